"""Groundedness: the probability that every statement an answer shows is supported by the passage it cites (pure).

An answer shows sentences and, for a yes/no question, a verdict. Each sentence's probability of being supported is
its calibrated support (the verifier's ``support`` calibrator, fitted on held-back support pairs); a sentence that is
one or more whole sentences of a current passage, word for word, is what that passage says and gets the probability
the same calibrator gives a verbatim quote (entailed, nothing contradicted or missing, every word and number found).
The verdict's probability is the measured precision of verdicts of its kind (``calibration.json``:
``verdict_precision``). The statements are taken as independent: groundedness is the product.

Whether the answer addresses what was asked is another question, answered by the ``answers_question`` calibrator
(fitted on whether dev-suite answers were right).
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

from clinrag.records import SentenceRecord

# the support features of a claim that is a verbatim sentence of its passage
VERBATIM_FEATURES = {"entailed": 1.0, "contradicted": 0.0, "not_stated": 0.0, "coverage": 1.0, "bigram_coverage": 1.0,
                     "numbers_ok": 1.0, "negation_mismatch": 0.0, "judge": 1.0}


def is_verbatim(sentence: SentenceRecord, current: set[str]) -> bool:
    """Whether the sentence is a whole-sentence quote of a current passage it cites."""
    per_chunk = (sentence.checks or {}).get("per_chunk") or {}
    return any(check.get("quoted") and chunk in current for chunk, check in per_chunk.items() if chunk in sentence.citations)


def sentence_probabilities(sentences: Sequence[SentenceRecord], current: set[str], verbatim_probability: float) -> list[float]:
    return [max(float(s.support), verbatim_probability) if is_verbatim(s, current) else float(s.support) for s in sentences]


def groundedness(
    sentences: Sequence[SentenceRecord], current: set[str], verbatim_probability: float, verdict_probability: float | None = None
) -> float:
    """P(every shown statement is supported): the product of the sentences' probabilities and the verdict's."""
    probabilities = sentence_probabilities(sentences, current, verbatim_probability)
    if verdict_probability is not None:
        probabilities.append(float(verdict_probability))
    if not probabilities:
        return 0.0
    return float(math.exp(sum(math.log(max(p, 1e-9)) for p in probabilities)))


def verdict_precision(precisions: Mapping[str, float], source: str | None) -> float | None:
    """The measured precision of a verdict from ``source`` ("recommendation" or "reader"); None without a verdict."""
    if source is None:
        return None
    return float(precisions.get(source, precisions.get("reader", 0.5)))
