"""Per-sentence verification: each sentence is checked against each chunk it cites, separately.

The reader's support task reads the claim and the passage together (P entailed / contradicted / not stated);
model-free checks add lexical coverage and negation agreement; an optional local LLM judge adds its P(yes). A
logistic calibrator (``support`` in ``rag/calibration.json``) turns them into P(supported). A sentence whose
numbers, units or doses are not all stated in the passage is never supported (hard rule,
``clinrag.quantities.missing_numbers``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from clinrag.protocols import Judge, Reader
from clinrag.quantities import missing_numbers
from clinrag.text import NEGATIONS, content_terms, split_sentences, tokens
from rag.calibration import LogisticCalibrator

NUMBER_MISMATCH_CAP = 0.05
_MARKERS = re.compile(r"\s*\[\d+\]")


@dataclass(frozen=True)
class SupportCheck:
    probability: float
    features: dict[str, float]
    missing_numbers: tuple[str, ...]


def strip_markers(sentence: str) -> str:
    return _MARKERS.sub("", sentence).strip()


def lexical_features(claim: str, passage: str) -> dict[str, float]:
    """Pure, model-free features of one (claim, passage) pair."""
    claim_terms = content_terms(claim)
    p_list = content_terms(passage)
    passage_terms = set(p_list)
    coverage = sum(t in passage_terms for t in claim_terms) / len(claim_terms) if claim_terms else 0.0
    claim_bigrams = list(zip(claim_terms, claim_terms[1:]))
    passage_bigrams = set(zip(p_list, p_list[1:]))
    bigram = sum(b in passage_bigrams for b in claim_bigrams) / len(claim_bigrams) if claim_bigrams else coverage
    best = _best_sentence(claim_terms, passage)
    claim_neg = any(t in NEGATIONS for t in tokens(claim))
    best_neg = any(t in NEGATIONS for t in tokens(best))
    missing = missing_numbers(claim, passage)
    return {
        "coverage": coverage,
        "bigram_coverage": bigram,
        "numbers_ok": 0.0 if missing else 1.0,
        "has_numbers": 1.0 if re.search(r"\d", strip_markers(claim)) else 0.0,
        "negation_mismatch": 1.0 if claim_neg != best_neg else 0.0,
    }


def _best_sentence(claim_terms: list[str], passage: str) -> str:
    wanted = set(claim_terms)
    best, best_score = "", -1.0
    for s, e in split_sentences(passage):
        sentence = passage[s:e]
        terms = set(content_terms(sentence))
        score = len(wanted & terms) / (len(terms) ** 0.5 + 1)
        if score > best_score:
            best, best_score = sentence, score
    return best


class Verifier:
    """Implements the ``Verifier`` seam. Constructing it loads nothing."""

    def __init__(self, reader: Reader, calibrator: LogisticCalibrator, judge: Judge | None = None) -> None:
        self.reader = reader
        self.calibrator = calibrator
        self.judge = judge

    def check_many(self, pairs: Sequence[tuple[str, str]]) -> list[SupportCheck]:
        """Check (claim, passage) pairs in one pass of the reader."""
        claims = [strip_markers(c) for c, _ in pairs]
        passages = [p for _, p in pairs]
        probabilities = self.reader.support_pairs(claims, passages) if pairs else []
        out = []
        for claim, passage, probs in zip(claims, passages, probabilities):
            features = lexical_features(claim, passage)
            features.update({"entailed": float(probs[0]), "contradicted": float(probs[1]), "not_stated": float(probs[2])})
            if self.judge is not None:
                features["judge"] = float(self.judge.support_probability(claim, passage))
            probability = self.calibrator.probability(features)
            missing = tuple(missing_numbers(claim, passage))
            if missing:
                probability = min(probability, NUMBER_MISMATCH_CAP)
            out.append(SupportCheck(round(probability, 4), {k: round(v, 4) for k, v in features.items()}, missing))
        return out

    def check(self, claim: str, passage: str) -> SupportCheck:
        return self.check_many([(claim, passage)])[0]

    def features(self, claim: str, passage: str) -> dict[str, float]:
        return self.check(claim, passage).features

    def support(self, claim: str, passage: str) -> float:
        return self.check(claim, passage).probability
