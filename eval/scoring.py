"""Pure answer scoring: is one answer right for one question?

Rules (the report and README describe the same):

- Answer text is compared after removing citation markers such as ``[1]`` or ``[2, 3]`` and normalising
  (NFKC, lower case, unified dashes, collapsed spaces; see ``clinrag.text.normalize``).
- ``yesno``: the record's ``verdict`` must equal the gold ``yes``/``no``/``maybe``; without a verdict the
  first word of the answer is used.
- ``short``: gold is a list of synonym lists, one per required element (``[["130 to 139", "130-139"],
  ["80 to 89"]]`` asks for both ranges); correct when, for each inner list, any of its synonyms appears in
  the answer. A synonym must start at a word boundary and end at one (an English plural ``s``/``es`` may
  follow a word); a synonym containing digits must match exactly between non-alphanumeric neighbours, so
  ``130/80`` does not match ``1130/80`` or ``130/805`` and ``5`` does not match ``1.5``.
- ``list``: the fraction of inner lists found; correct when at least ``LIST_THRESHOLD`` (0.5).
- ``long``: token F1 and ROUGE-L F1 against ``reference_answer``; correct when ROUGE-L F1 is at least
  ``ROUGE_L_THRESHOLD`` (0.2: long answers are paraphrases, and extractive answers of three sentences
  against a multi-paragraph reference rarely reach more even when right). ROUGE-L comes from the
  ``rouge-score`` package when it is installed, otherwise from the LCS below (same tokens, no stemming).
- Decisions: a ``refuse`` question is correct only when refused; an ``answer`` question that was refused
  is wrong, except in the ``false-premise`` category where refusing is also correct.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping, Sequence

from clinrag.text import normalize, tokens

LIST_THRESHOLD = 0.5
ROUGE_L_THRESHOLD = 0.2
ANSWER_TYPES = ("yesno", "short", "list", "long")
BEHAVIORS = ("answer", "refuse")
YESNO_VALUES = ("yes", "no", "maybe")

_MARKERS = re.compile(r"\[\s*\d+(?:\s*[,;\u2013-]\s*\d+)*\s*\]")
_LOOSE = re.compile(r"[^a-z0-9%./<>=+]+")


@dataclass(frozen=True)
class Score:
    """The verdict on one answer: ``correct`` is ``None`` when the question has no usable gold answer."""

    correct: bool | None
    method: str
    value: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ----------------------------------------------------------------------------- text
def strip_markers(text: str) -> str:
    """Remove citation markers like ``[1]``, ``[1, 2]`` or ``[3-4]``."""
    return _MARKERS.sub(" ", text or "")


def normalize_answer(text: str) -> str:
    """The form answers are compared in: markers removed, then ``clinrag.text.normalize``."""
    return normalize(strip_markers(text))


def _loose(text: str) -> str:
    """Normalised text with punctuation other than number-bearing marks turned into spaces, and a letter run joined
    to the number that follows it by a hyphen ("HER-2" and "Her2" both read "her2"; "COVID-19" reads "covid19")."""
    text = re.sub(r"(?<=[a-z])-(?=\d)", "", normalize(text))
    return " ".join(_LOOSE.sub(" ", text).split())


def synonym_in_text(synonym: str, answer_text: str) -> bool:
    """Whether ``synonym`` appears in ``answer_text`` (both normalised; word and number boundaries respected)."""
    needle = _loose(synonym).strip(" .")
    if not needle:
        return False
    haystack = _loose(strip_markers(answer_text))
    body = re.escape(needle)
    if any(ch.isdigit() for ch in needle):
        pattern = rf"(?<![a-z0-9])(?<![0-9][.,/]){body}(?![a-z0-9])(?![.,/][0-9])"
    elif needle[-1].isalnum():
        pattern = rf"(?<![a-z0-9]){body}(?:s|es)?(?![a-z0-9])"
    else:
        pattern = rf"(?<![a-z0-9]){body}"
    return re.search(pattern, haystack) is not None


def gold_synonym_lists(gold: Any) -> list[list[str]]:
    """Gold answers as a list of synonym lists (accepts a string, a list of strings or a list of lists)."""
    if gold is None:
        return []
    if isinstance(gold, str):
        return [[gold]] if gold.strip() else []
    out: list[list[str]] = []
    for item in gold:
        if isinstance(item, str):
            if item.strip():
                out.append([item])
        elif isinstance(item, (list, tuple)):
            synonyms = [str(s) for s in item if str(s).strip()]
            if synonyms:
                out.append(synonyms)
    return out


# ----------------------------------------------------------------------------- per answer type
def yesno_of(verdict: str | None, answer_text: str) -> str | None:
    """The yes/no/maybe the record commits to: its verdict, else the first word of its answer."""
    if verdict:
        v = normalize(verdict)
        return v if v in YESNO_VALUES else v.split(" ")[0].strip(".,:;!") or None
    words = normalize_answer(answer_text).split()
    if not words:
        return None
    first = words[0].strip(".,:;!\"'()")
    return first if first in YESNO_VALUES else first or None


def score_yesno(gold: Any, verdict: str | None, answer_text: str) -> Score:
    expected = normalize(str(gold)) if isinstance(gold, str) else None
    if expected not in YESNO_VALUES:
        return Score(None, "yesno", detail={"reason": f"gold answer {gold!r} is not yes/no/maybe"})
    said = yesno_of(verdict, answer_text)
    return Score(said == expected, "yesno", 1.0 if said == expected else 0.0, {"said": said, "expected": expected})


def score_short(gold: Any, answer_text: str) -> Score:
    lists = gold_synonym_lists(gold)
    if not lists:
        return Score(None, "synonyms", detail={"reason": "no gold synonyms"})
    found = [any(synonym_in_text(s, answer_text) for s in synonyms) for synonyms in lists]
    return Score(all(found), "synonyms", sum(found) / len(lists), {"found": sum(found), "of": len(lists)})


def score_list(gold: Any, answer_text: str) -> Score:
    lists = gold_synonym_lists(gold)
    if not lists:
        return Score(None, "list", detail={"reason": "no gold items"})
    found = [any(synonym_in_text(s, answer_text) for s in synonyms) for synonyms in lists]
    fraction = sum(found) / len(lists)
    return Score(fraction >= LIST_THRESHOLD, "list", fraction, {"found": sum(found), "of": len(lists)})


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD-style bag-of-tokens F1 (markers removed, normalised tokens, stopwords kept)."""
    pred = tokens(strip_markers(prediction))
    ref = tokens(reference)
    if not pred or not ref:
        return 0.0
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision = common / len(pred)
    recall = common / len(ref)
    return 2 * precision * recall / (precision + recall)


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (O(len(a) * len(b)) time, O(len(b)) memory)."""
    if not a or not b:
        return 0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F1 (``rouge-score`` when installed, else LCS over ``clinrag.text.tokens``)."""
    prediction = strip_markers(prediction)
    try:
        from rouge_score import rouge_scorer  # optional dependency
    except ImportError:
        pred, ref = tokens(prediction), tokens(reference)
        lcs = lcs_length(pred, ref)
        if lcs == 0:
            return 0.0
        p, r = lcs / len(pred), lcs / len(ref)
        return 2 * p * r / (p + r)
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    return float(scorer.score(reference, prediction)["rougeL"].fmeasure)


def score_long(reference: str, answer_text: str) -> Score:
    if not (reference or "").strip():
        return Score(None, "rougeL", detail={"reason": "no reference_answer"})
    rl = rouge_l(answer_text, reference)
    f1 = token_f1(answer_text, reference)
    return Score(rl >= ROUGE_L_THRESHOLD, "rougeL", rl, {"rougeL": rl, "token_f1": f1})


def score_content(question: Mapping[str, Any], answer_text: str, verdict: str | None) -> Score:
    """Score an answer's content against the question's gold answer by ``answer_type``."""
    kind = question.get("answer_type")
    gold = question.get("gold_answer")
    if kind == "yesno":
        return score_yesno(gold, verdict, answer_text)
    if kind == "short":
        return score_short(gold, answer_text)
    if kind == "list":
        return score_list(gold, answer_text)
    if kind == "long":
        reference = question.get("reference_answer") or ""
        if not reference.strip() and gold_synonym_lists(gold):
            return score_short(gold, answer_text)
        return score_long(reference, answer_text)
    return Score(None, "unknown", detail={"reason": f"unknown answer_type {kind!r}"})


def is_false_premise(question: Mapping[str, Any]) -> bool:
    category = str(question.get("category") or "").lower().replace("_", "-").replace(" ", "-")
    return "false-premise" in category


def score_question(question: Mapping[str, Any], decision: str, answer_text: str, verdict: str | None) -> Score:
    """Correctness of one record for one question, decision included (see the module docstring)."""
    expected = question.get("expected_behavior")
    if expected == "refuse":
        ok = decision == "refuse"
        return Score(ok, "refusal", 1.0 if ok else 0.0)
    if decision == "refuse":
        ok = is_false_premise(question)
        return Score(ok, "refused", 1.0 if ok else 0.0, {"false_premise": ok})
    return score_content(question, answer_text, verdict)
