"""Pure yes/no verdict decision from the reader's verdict probabilities over the answer's evidence sentences.

A verdict is stated only for a yes/no question, only when one piece of evidence gives yes (or no) a probability
of at least the threshold, and never when another piece of evidence says the opposite with that confidence.
Otherwise the answer quotes the evidence without a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

YES, NO, NOT_STATED = 0, 1, 2


@dataclass(frozen=True)
class VerdictDecision:
    verdict: str | None  # "yes", "no" or None
    confidence: float  # the larger of P(yes), P(no) on the deciding evidence
    evidence: int | None  # index of the deciding evidence
    reason: str


def decide_verdict(probabilities: Sequence[Sequence[float]], threshold: float) -> VerdictDecision:
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
    return VerdictDecision("yes" if best_label == YES else "no", best_p, best_i, "stated by the evidence")
