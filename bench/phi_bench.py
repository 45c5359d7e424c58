"""PHI redaction benchmark: recall per identifier kind on the synthetic set, and false positives on text that holds
no patient identifiers (clinical numbers in guideline sentences, the bundled benchmark questions).

Usage: python bench/phi_bench.py [--set tests/data/phi_questions.jsonl] [--show-misses] [--json]
       python bench/phi_bench.py --set tests/data/phi_prose.jsonl   (the prose set: scripts/make_phi_prose_set.py)

Recall counts a gold span as found when redacted spans cover it entirely (whatever kind they were given); "kind
agreement" is the share of found spans whose covering finding has the gold kind. Messages marked ``hard`` (a name
in no list after a weak cue, in lower or upper case: a known limit) are reported apart. A clinical number is lost
when a number token of a guideline sentence is no longer in its redacted text. On the bundled suite's questions (no
patient identifiers in them) every number token that redaction removes is a false redaction, counted per category
(dose, lab value, age, year, duration or count, other).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from clinrag.privacy import KINDS, find_identifiers, redact_text  # noqa: E402

SET = REPO / "tests" / "data" / "phi_questions.jsonl"
HELDOUT = REPO / "tests" / "data" / "phi_heldout.jsonl"  # 40 hand-written messages, identifiers listed as substrings
NUMBER = re.compile(r"\d[\d,.]*(?:/\d[\d,.]*)?")


def load_set(path: Path = SET) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def score_set(records: list[dict]) -> dict:
    """Per kind: gold spans, found, kind agreement; plus spans found outside any gold span (false positives)."""
    per_kind: dict[str, Counter] = {k: Counter() for k in KINDS}
    hard = Counter()
    misses, extras = [], []
    for record in records:
        findings = find_identifiers(record["text"])
        for span in record["spans"]:
            covering = [f for f in findings if f.start < span["end"] and f.end > span["start"]]
            covered = _covered(span["start"], span["end"], covering)
            bucket = hard if record["hard"] else per_kind[span["kind"]]
            bucket["gold"] += 1
            bucket["found"] += covered
            bucket["kind_ok"] += covered and any(f.kind == span["kind"] for f in covering)
            if not covered:
                misses.append((record["id"], span["kind"], record["text"][span["start"] : span["end"]], record["text"]))
        for f in findings:
            if not any(f.start < s["end"] and f.end > s["start"] for s in record["spans"]):
                extras.append((record["id"], f.kind, record["text"][f.start : f.end]))
    return {"per_kind": per_kind, "hard": hard, "misses": misses, "extras": extras}


def _covered(start: int, end: int, findings) -> bool:
    pos = start
    for f in sorted(findings, key=lambda f: f.start):
        if pos >= end:
            return True
        if f.start > pos:
            return False
        pos = max(pos, f.end)
    return pos >= end


def heldout_recall(path: Path = HELDOUT) -> tuple[int, int, list[tuple[str, str, str]]]:
    """(found, total, misses) on the hand-written messages, whose identifiers are listed as (substring, kind)."""
    found = total = 0
    misses = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        findings = find_identifiers(record["text"])
        for substring, kind in record["identifiers"]:
            start = record["text"].index(substring)
            total += 1
            ok = _covered(start, start + len(substring), [f for f in findings if f.end > start])
            found += ok
            if not ok:
                misses.append((kind, substring, record["text"]))
    return found, total, misses


def guideline_sentences(root: Path = REPO / "corpora") -> list[str]:
    """Sentences with a digit from the bundled demonstration corpus (no patient data)."""
    out = []
    for path in sorted(root.rglob("*.md")):
        text = re.sub(r"^---\n.*?\n---\n", "", path.read_text(encoding="utf-8"), flags=re.S)
        for line in text.splitlines():
            if line.startswith("#"):
                continue
            out.extend(s.strip() for s in re.split(r"(?<=[.!?])\s+", line) if re.search(r"\d", s) and len(s.strip()) > 20)
    return out


def number_losses(sentences: list[str]) -> tuple[int, int, list[tuple[str, str]]]:
    """(number tokens, tokens lost, examples) after redaction."""
    total, lost, examples = 0, 0, []
    for sentence in sentences:
        before = Counter(NUMBER.findall(sentence))
        after = Counter(NUMBER.findall(redact_text(sentence).text))
        total += sum(before.values())
        missing = before - after
        lost += sum(missing.values())
        if missing:
            examples.append((sentence, redact_text(sentence).text))
    return total, lost, examples


def flagged(texts: list[str]) -> list[tuple[str, str]]:
    return [(t, r.text) for t in texts if (r := redact_text(t)).count]


def suite_questions() -> list[str]:
    paths = [REPO / "eval" / "suites" / "clinrag-demo" / "questions.jsonl"]
    shared = REPO.parent / "shared" / "data" / "suites"
    paths += sorted(shared.glob("*/questions.jsonl")) if shared.is_dir() else []
    out = []
    for path in paths:
        out += [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


BUNDLED_SUITE = REPO / "eval" / "suites" / "clinrag-demo" / "questions.jsonl"
_CATEGORY_RULES = [  # (category, regex on the number with 30 characters either side, marked «n»)
    ("year", re.compile(r"«(?:19|20)\d\d»(?![\d/.-])")),
    ("age", re.compile(r"(?:\bage[ds]?|\baged|\bover|\bunder|\bolder\s+than)\s+«\d+»|«\d+»\s*(?:-\s*)?(?:to\s+\d+\s+)?"
                       r"(?:years?|yrs?|yo\b|y/o)(?:\s*(?:-\s*)?old|\s+or\s+(?:older|younger)|\s+of\s+age)?", re.I)),
    ("lab value", re.compile(r"«[\d.,/]+»\s*(?:mg/dl|mmol/l|mmol/mol|%|ml/min|ng/ml|pg/ml|mm\s?hg|mg/g|g/dl|µmol/l|"
                             r"umol/l|meq/l|cells|/[uµ]l|x\s*10|iu/l|u/l|bpm|kg/m2|°|degrees)", re.I)),
    ("dose", re.compile(r"«[\d.,/]+»\s*(?:mg|mcg|µg|ug|g\b|grams?|iu|units?|ml|mg/kg|puffs?|tablets?|inhalations?|doses?)", re.I)),
    ("duration or count", re.compile(r"«[\d.,]+»\s*(?:-\s*)?(?:to\s+\d+\s+)?(?:hours?|days?|weeks?|months?|years?|minutes?|"
                                     r"times|drugs?|doses?|grams?)", re.I)),
]


def number_category(text: str, start: int, end: int) -> str:
    """'dose', 'lab value', 'age', 'year', 'duration or count' or 'other', from the words around the number."""
    marked = text[max(0, start - 30) : start] + "«" + text[start:end] + "»" + text[end : end + 30]
    for category, rule in _CATEGORY_RULES:
        if rule.search(marked):
            return category
    return "other"


def question_number_losses(path: Path = BUNDLED_SUITE) -> dict:
    """Clinical numbers in the bundled suite's questions (which hold no patient identifier) that redaction removes:
    per category, the number tokens and how many are no longer in the redacted question."""
    questions = [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    per: dict[str, Counter] = {}
    examples = []
    for question in questions:
        redacted = redact_text(question).text
        left = Counter(NUMBER.findall(redacted))
        for m in NUMBER.finditer(question):
            bucket = per.setdefault(number_category(question, m.start(), m.end()), Counter())
            bucket["numbers"] += 1
            if left[m.group()] > 0:
                left[m.group()] -= 1
            else:
                bucket["lost"] += 1
                examples.append((m.group(), question, redacted))
    total = sum(c["numbers"] for c in per.values())
    lost = sum(c["lost"] for c in per.values())
    return {"questions": len(questions), "numbers": total, "lost": lost,
            "rate": round(lost / max(total, 1), 4), "per_category": {k: dict(v) for k, v in sorted(per.items())},
            "_examples": examples}


def clinical_kept(records: list[dict]) -> tuple[int, int]:
    """(clinical numbers listed in the set's messages, how many survive redaction)."""
    total = kept = 0
    for record in records:
        redacted = redact_text(record["text"]).text
        for number in record.get("clinical", []):
            total += 1
            kept += number in redacted
    return total, kept


def five_digit_stress(root: Path = REPO.parent / "shared" / "data" / "corpora") -> tuple[int, int, list[str]]:
    """(five-digit numbers standing alone in the shared corpora, how many the ZIP rule takes, their contexts): a
    stress test of the ZIP rule on biomedical prose (passages are never redacted; most hits are real addresses)."""
    from clinrag.privacy.locations import _ZIP_BARE, _bare_zip

    seen = taken = 0
    contexts = []
    for path in sorted(root.glob("*.jsonl")) if root.is_dir() else []:
        for line in path.read_text(encoding="utf-8").split("\n"):  # (splitlines also splits at U+2028 inside strings)
            text = str(json.loads(line).get("text") or "") if line.strip() else ""
            for m in _ZIP_BARE.finditer(text):
                seen += 1
                if _bare_zip(text, m, True):
                    taken += 1
                    contexts.append(" ".join(text[max(0, m.start() - 50) : m.end() + 25].split()))
    return seen, taken, contexts


def run(set_path: Path = SET) -> dict:
    records = load_set(set_path)
    started = time.perf_counter()
    scored = score_set(records)
    per_message_ms = 1000 * (time.perf_counter() - started) / max(len(records), 1)
    sentences = guideline_sentences()
    total, lost, loss_examples = number_losses(sentences)
    sentence_flags = flagged(sentences)
    questions = suite_questions()
    question_flags = flagged(questions)
    recall = {k: round(c["found"] / c["gold"], 4) for k, c in scored["per_kind"].items() if c["gold"]}
    held_found, held_total, held_misses = heldout_recall()
    suite_numbers = question_number_losses()
    clinical_total, clinical_survived = clinical_kept(records)
    return {
        "messages": len(records),
        "gold_spans": sum(c["gold"] for c in scored["per_kind"].values()) + scored["hard"]["gold"],
        "recall": recall,
        "kind_agreement": {k: round(c["kind_ok"] / c["found"], 4) for k, c in scored["per_kind"].items() if c["found"]},
        "recall_hard": round(scored["hard"]["found"] / scored["hard"]["gold"], 4) if scored["hard"]["gold"] else None,
        "hard_spans": scored["hard"]["gold"],
        "heldout_found": held_found,
        "heldout_total": held_total,
        "extra_findings_in_set": len(scored["extras"]),
        "guideline_sentences": len(sentences),
        "guideline_number_tokens": total,
        "guideline_numbers_lost": lost,
        "guideline_sentences_flagged": len(sentence_flags),
        "benchmark_questions": len(questions),
        "benchmark_questions_flagged": len(question_flags),
        "ms_per_message": round(per_message_ms, 3),
        "set_clinical_numbers": clinical_total,
        "set_clinical_numbers_kept": clinical_survived,
        "suite_questions": suite_numbers["questions"],
        "suite_question_numbers": suite_numbers["numbers"],
        "suite_question_numbers_lost": suite_numbers["lost"],
        "suite_question_numbers_per_category": suite_numbers["per_category"],
        "_suite_number_losses": suite_numbers["_examples"],
        "_misses": scored["misses"] + [("heldout", k, s, t) for k, s, t in held_misses],
        "_extras": scored["extras"],
        "_loss_examples": loss_examples,
        "_sentence_flags": sentence_flags,
        "_question_flags": question_flags,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="PHI redaction recall and false positives")
    parser.add_argument("--set", type=Path, default=SET)
    parser.add_argument("--show-misses", action="store_true", help="print missed spans and false positives")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--zip-stress", action="store_true",
                        help="also print every five-digit number of the shared corpora that the ZIP rule takes")
    args = parser.parse_args(argv)
    result = run(args.set)
    if args.zip_stress:
        seen, taken, contexts = five_digit_stress()
        print(f"shared corpora: {seen} five-digit numbers standing alone, {taken} taken as ZIP codes")
        for context in contexts:
            print("ZIP |", context)
    public = {k: v for k, v in result.items() if not k.startswith("_")}
    if args.json:
        print(json.dumps(public, indent=2))
    else:
        print(f"PHI set: {result['messages']} messages, {result['gold_spans']} identifier spans")
        print(f"{'kind':<12} {'recall':>7} {'kind ok':>8}")
        for kind, value in result["recall"].items():
            print(f"{kind:<12} {value:>7.3f} {result['kind_agreement'].get(kind, 0):>8.3f}")
        print(f"hard (invented name, weak cue, lower/upper case): recall {result['recall_hard']} over {result['hard_spans']} spans")
        print(f"findings outside gold spans in the set: {result['extra_findings_in_set']}")
        print(f"hand-written messages: {result['heldout_found']}/{result['heldout_total']} identifiers found")
        print(f"guideline sentences with numbers: {result['guideline_sentences']}; number tokens "
              f"{result['guideline_number_tokens']}, lost {result['guideline_numbers_lost']}; sentences with any "
              f"redaction {result['guideline_sentences_flagged']} "
              f"({100 * result['guideline_sentences_flagged'] / max(result['guideline_sentences'], 1):.2f}%)")
        print(f"benchmark questions (no PHI): {result['benchmark_questions']}; with any redaction "
              f"{result['benchmark_questions_flagged']} "
              f"({100 * result['benchmark_questions_flagged'] / max(result['benchmark_questions'], 1):.2f}%)")
        print(f"clinical numbers in the set's messages: {result['set_clinical_numbers_kept']}/"
              f"{result['set_clinical_numbers']} kept")
        print(f"bundled suite questions: {result['suite_questions']}; number tokens {result['suite_question_numbers']}, "
              f"falsely redacted {result['suite_question_numbers_lost']} "
              f"({100 * result['suite_question_numbers_lost'] / max(result['suite_question_numbers'], 1):.2f}%)")
        for category, counts in result["suite_question_numbers_per_category"].items():
            print(f"    {category:<18} {counts.get('numbers', 0):>5} numbers, {counts.get('lost', 0)} redacted")
        print(f"{result['ms_per_message']} ms per message")
    if args.show_misses:
        for label, key in (("MISS", "_misses"), ("EXTRA", "_extras"), ("NUMBER LOST", "_loss_examples"),
                           ("GUIDELINE FLAG", "_sentence_flags"), ("QUESTION FLAG", "_question_flags"),
                           ("SUITE NUMBER REDACTED", "_suite_number_losses")):
            for item in result[key]:
                print(label, "|", " | ".join(map(str, item)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
