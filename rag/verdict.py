"""Pure yes/no verdict decision from the reader's verdict probabilities over the answer's evidence sentences.

A verdict is stated only for a yes/no question, only when one piece of evidence gives yes (or no) a probability
of at least the threshold, and never when another piece of evidence says the opposite with that confidence.
Otherwise the answer quotes the evidence without a verdict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

YES, NO, NOT_STATED = 0, 1, 2


@dataclass(frozen=True)
class VerdictDecision:
    verdict: str | None  # "yes", "no" or None
    confidence: float  # the larger of P(yes), P(no) on the deciding evidence
    evidence: int | None  # index of the deciding evidence
    reason: str


# Wording that makes a recommendation conditional or individual (USPSTF grade C "selectively offer", "the decision
# should be an individual one", "may be considered", "insufficient evidence"): a plain yes or no would overstate it.
CONDITIONAL = re.compile(
    r"\b(individual(?:ly|i[sz]ed)?|selective(?:ly)?|shared decision|may (?:be )?(?:considered|consider|offer|reasonable)|"
    r"can be considered|is reasonable|insufficient (?:evidence|to assess)|depending on|case[- ]by[- ]case|"
    r"taking into account|weigh(?:ing)? the (?:benefits|risks|harms))\b",
    re.IGNORECASE,
)


def conditional_wording(sentence: str) -> str | None:
    """The words that make ``sentence`` a conditional or individual recommendation (None when there are none)."""
    found = CONDITIONAL.search(sentence or "")
    return found.group(0) if found else None


def decide_verdict(
    probabilities: Sequence[Sequence[float]], threshold: float, sentences: Sequence[str] | None = None
) -> VerdictDecision:
    """``sentences`` (the evidence texts, in the order of ``probabilities``), when given, let a conditional
    recommendation withhold the verdict even when the reader is confident."""
    if not len(probabilities):
        return VerdictDecision(None, 0.0, None, "no evidence to judge")
    best_i, best_label, best_p = None, None, -1.0
    for i, row in enumerate(probabilities):
        label = YES if row[YES] >= row[NO] else NO
        p = float(row[label])
        if p > best_p:
            best_i, best_label, best_p = i, label, p
    opposite = NO if best_label == YES else YES
    if any(float(row[opposite]) >= max(threshold, 0.5) for row in probabilities):
        return VerdictDecision(None, best_p, None, "the evidence points both ways")
    if best_p < threshold:
        return VerdictDecision(None, best_p, best_i, "the evidence does not state yes or no with confidence")
    if sentences is not None and best_i is not None and best_i < len(sentences):
        hedge = conditional_wording(sentences[best_i])
        if hedge:
            return VerdictDecision(None, best_p, best_i, f"the evidence makes it a conditional or individual decision ({hedge!r})")
    return VerdictDecision("yes" if best_label == YES else "no", best_p, best_i, "stated by the evidence")
