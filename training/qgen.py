"""Synthetic guideline questions: the local Qwen2.5-1.5B writes a clinician, a patient and a yes/no question for
selected corpus sentences (greedy decoding, fixed seed: the same inputs give the same file).

The questions are training data for the reader's relevance and verdict tasks. They are written from corpus text
only (public-domain NGC summaries and the CDC/NIDDK PDFs); no question of any evaluation suite is used. The run
resumes: rows already in the output file are kept.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
import time
from pathlib import Path
from typing import Iterable

from training.corpus import Passage, sentences

SYSTEM = "You write questions that a guideline sentence answers. Never copy the sentence. Follow the format exactly."
# one worked example, written for this project, shown as a previous turn of the chat
EXAMPLE_USER = (
    "Guideline: Screening for abdominal aortic aneurysm (USPSTF)\n"
    "Sentence: The USPSTF recommends one-time screening for AAA with ultrasonography in men aged 65 to 75 years who "
    "have ever smoked.\nWrite the three lines: Doctor, Patient, YesNo."
)
EXAMPLE_REPLY = (
    "Doctor: Which men should get one-time ultrasound screening for abdominal aortic aneurysm?\n"
    "Patient: My husband is 70 and used to smoke. Should he get his belly checked for an aneurysm?\n"
    "YesNo: Should men aged 65 to 75 who have ever smoked be screened once for AAA? | yes"
)
USER = "Guideline: {title}\nSentence: {sentence}\nWrite the three lines: Doctor, Patient, YesNo."
_WORTHY = re.compile(
    r"\b(recommend\w*|should|suggest\w*|consider\w*|not recommended|grade|insufficient|dose|daily|every|"
    r"at least|no more than|mg|mcg|years|screen\w*|avoid|contraindicated|indicated|first-line|prefer\w*|"
    r"is effective|reduce\w*|increase\w*|risk)\b",
    re.I,
)
_YESNO_START = re.compile(r"^(is|are|does|do|did|should|can|could|may|must|will|would|has|have|was|were)\b", re.I)


def select_sentences(passages: Iterable[Passage], per_doc: int, seed: int) -> list[dict]:
    """Question-worthy sentences (recommendations, doses, grades, populations), at most ``per_doc`` a document."""
    passages_list = list(passages)
    by_doc: dict[str, list[dict]] = {}
    for p in passages_list:
        for sentence in sentences(p, min_chars=60):
            if len(sentence) > 400 or not _WORTHY.search(sentence):
                continue
            key = hashlib.sha256(f"{p.doc_id}\x1f{sentence}".encode()).hexdigest()[:16]
            by_doc.setdefault(p.doc_id, []).append(
                {"id": key, "doc_id": p.doc_id, "passage": p.key, "title": p.title, "section": p.section, "sentence": sentence}
            )
    rng = random.Random(seed)
    n_passages: dict[str, int] = {}
    for p in passages_list:
        n_passages[p.doc_id] = n_passages.get(p.doc_id, 0) + 1
    chosen: list[dict] = []
    for doc_id in sorted(by_doc):
        items = sorted(by_doc[doc_id], key=lambda r: r["id"])
        rng.shuffle(items)
        # long documents get more questions: one per four passages, between per_doc and 4 * per_doc
        cap = max(per_doc, min(4 * per_doc, n_passages[doc_id] // 4))
        chosen.extend(items[:cap])
    rng.shuffle(chosen)  # a run cut short (--limit) still covers every document evenly
    return chosen


def parse_reply(raw: str) -> dict | None:
    """The three questions from the model's reply (lines 'Doctor:', 'Patient:', 'YesNo: ... | yes'), or None."""
    found = {}
    for key, label in (("clinician", "doctor"), ("patient", "patient"), ("yesno", "yesno")):
        m = re.search(rf"^\s*{label}\s*:\s*(.+)$", raw, re.I | re.M)
        if not m:
            return None
        found[key] = " ".join(m.group(1).split())
    answer = None
    m = re.match(r"(.*?)\s*\|\s*(yes|no)\b", found["yesno"], re.I)
    if m:
        found["yesno"], answer = m.group(1).strip(), m.group(2).lower()
    for key in ("clinician", "patient", "yesno"):
        if not 12 <= len(found[key]) <= 300:
            return None
    if not found["clinician"].endswith("?") or not _YESNO_START.match(found["yesno"]):
        return None
    found["yesno_answer"] = answer
    return found


def generate(items: list[dict], out_path: Path, model: str = "qwen2.5-coder-1.5b", seed: int = 7, log_every: int = 20) -> None:
    from rag.models import load_llama

    done = set()
    if out_path.exists():
        done = {json.loads(line)["id"] for line in out_path.read_text().splitlines() if line.strip()}
    todo = [it for it in items if it["id"] not in done]
    print(f"qgen: {len(done)} done, {len(todo)} to generate with {model}", file=sys.stderr)
    llama = load_llama(model, 2048, 0, seed)
    started = time.perf_counter()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("a", encoding="utf-8") as out:
        for n, item in enumerate(todo, start=1):
            user = USER.format(title=item["title"][:160], sentence=item["sentence"])
            llama.reset()
            reply = llama.create_chat_completion(
                messages=[
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": EXAMPLE_USER},
                    {"role": "assistant", "content": EXAMPLE_REPLY},
                    {"role": "user", "content": user},
                ],
                temperature=0.0, top_k=1, seed=seed, max_tokens=120, stop=["\nGuideline", "\n\n\n"],
            )["choices"][0]["message"]["content"] or ""
            parsed = parse_reply(reply)
            out.write(json.dumps({**item, "model": model, "questions": parsed, "raw": None if parsed else reply}) + "\n")
            out.flush()
            if n % log_every == 0:
                rate = n / (time.perf_counter() - started)
                print(f"qgen: {n}/{len(todo)} ({rate:.2f}/s)", file=sys.stderr)


def guideline_passages(root: Path | None = None) -> list[Passage]:
    """Passages of the guideline corpora the questions are written from (documents that a dev suite removes
    to make must-refuse questions are left out, so their content is never learnt)."""
    from training.corpus import load_documents, passages
    from training.sources import SHARED_DATA, path_of

    root = root or SHARED_DATA
    excluded = set((root / "suites" / "guideline-dev" / "exclude_doc_ids.txt").read_text().split())
    docs = load_documents([path_of("ngc_corpus", root), path_of("cdc_outpatient_pdf", root), path_of("niddk_pdf", root)])
    return [p for p in passages(d for d in docs if d.doc_id not in excluded)]


def main(argv: list[str] | None = None) -> int:
    import argparse

    from clinrag.settings import REPO_ROOT

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "var" / "reader-data" / "synthetic_questions.jsonl")
    parser.add_argument("--per-doc", type=int, default=5)
    parser.add_argument("--limit", type=int, default=420)
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    args = parser.parse_args(argv)
    items = select_sentences(guideline_passages(), args.per_doc, seed=13)
    if args.limit:
        items = items[: args.limit]
    generate(items, args.out, args.model)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
