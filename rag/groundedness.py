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
import statistics
from typing import Mapping, Sequence

from clinrag.records import SentenceRecord
from rag.rerank import logit

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


def answer_signals(features: Mapping[str, float], answerability: float, kept: Sequence[SentenceRecord],
                   dropped: Sequence[SentenceRecord], relevance: Sequence[float], cited_relevance: Sequence[float],
                   verdict_confidence: float | None, verdict: str | None) -> dict[str, float]:
    """The calibrators' inputs for an answer (pure): the gate's ``features``, the kept sentences' supports, the reader's
    relevance of those sentences and of the passages they cite, and the verdict."""
    supports = [s.support for s in kept]
    return {
        **features,
        "answerability": answerability,
        "support_min": min(supports),
        "support_mean": statistics.fmean(supports),
        "support_min_logit": logit(min(supports)),
        "entailed_min": min(float(s.checks.get("best_entailed", 0.0)) for s in kept),
        "sentence_relevance_max": max(relevance) if relevance else 0.0,
        "sentence_relevance_max_logit": logit(max(relevance)) if relevance else -14.0,
        "sentence_relevance_mean": statistics.fmean(relevance) if relevance else 0.0,
        "cited_relevance_max_logit": logit(max(cited_relevance)) if cited_relevance else -14.0,
        "verdict_confidence": verdict_confidence or 0.0,
        "is_yesno": 1.0 if verdict_confidence is not None else 0.0,
        "verdict_stated": 1.0 if verdict else 0.0,  # a yes/no question answered without a verdict answers less
        "dropped_fraction": len(dropped) / (len(kept) + len(dropped)),
        "n_sentences": float(len(kept)),
    }
