"""Per-sentence verification: each sentence is checked against each chunk it cites, separately.

Signals (no NLI model ships offline): lexical coverage of the sentence by the passage, a numbers-and-doses
check, a negation-agreement check, the best sentence-level embedding similarity, and optionally a local LLM
as a yes/no judge. A logistic calibrator fitted on the judge sets turns them into P(supported). A sentence
whose numbers, units or doses are not all stated in the passage is never supported (hard rule).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
import numpy as np

from clinrag.text import NEGATIONS, content_terms, missing_numbers, split_sentences, tokens
from rag.calibration import LogisticCalibrator
from rag.protocols import Embedder, Judge

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
    passage_terms = set(content_terms(passage))
    coverage = sum(t in passage_terms for t in claim_terms) / len(claim_terms) if claim_terms else 0.0
    claim_bigrams = list(zip(claim_terms, claim_terms[1:]))
    p_list = content_terms(passage)
    passage_bigrams = set(zip(p_list, p_list[1:]))
    bigram = sum(b in passage_bigrams for b in claim_bigrams) / len(claim_bigrams) if claim_bigrams else coverage
    best = _best_sentence(claim_terms, passage)
    claim_neg = any(t in NEGATIONS for t in tokens(claim))
    best_neg = any(t in NEGATIONS for t in tokens(best))
    missing = missing_numbers(claim, passage)
    has_numbers = bool(re.search(r"\d", strip_markers(claim)))
    return {
        "coverage": coverage,
        "bigram_coverage": bigram,
        "numbers_ok": 0.0 if missing else 1.0,
        "has_numbers": 1.0 if has_numbers else 0.0,
        "negation_mismatch": 1.0 if claim_neg != best_neg else 0.0,
        "claim_terms": float(len(claim_terms)),
        "length_ratio": min(3.0, len(claim) / max(1, len(best))),
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

    def __init__(
        self,
        embedder: Embedder,
        calibrator: LogisticCalibrator,
        judge: Judge | None = None,
    ) -> None:
        self.embedder = embedder
        self.calibrator = calibrator
        self.judge = judge
        self._sentence_vectors: dict[str, tuple[list[str], np.ndarray]] = {}

    def features(self, claim: str, passage: str) -> dict[str, float]:
        claim = strip_markers(claim)
        features = lexical_features(claim, passage)
        sentences, vectors = self._passage_vectors(passage)
        claim_vector = self.embedder.embed_query(claim)
        cosines = vectors @ claim_vector if len(sentences) else np.zeros(1)
        features["cos_best"] = float(np.max(cosines))
        features["cos_passage"] = float(vectors.mean(axis=0) @ claim_vector / (np.linalg.norm(vectors.mean(axis=0)) or 1.0)) if len(sentences) else 0.0
        if self.judge is not None:
            features["judge"] = float(self.judge.support_probability(claim, passage))
        return features

    def check(self, claim: str, passage: str) -> SupportCheck:
        features = self.features(claim, passage)
        probability = self.calibrator.probability(features)
        missing = tuple(missing_numbers(strip_markers(claim), passage))
        if missing:
            probability = min(probability, NUMBER_MISMATCH_CAP)
        return SupportCheck(round(probability, 4), {k: round(v, 4) for k, v in features.items()}, missing)

    def support(self, claim: str, passage: str) -> float:
        return self.check(claim, passage).probability

    def _passage_vectors(self, passage: str) -> tuple[list[str], np.ndarray]:
        cached = self._sentence_vectors.get(passage)
        if cached is None:
            sentences = [passage[s:e] for s, e in split_sentences(passage)] or [passage]
            cached = (sentences, self.embedder.embed_documents(sentences))
            if len(self._sentence_vectors) > 2048:
                self._sentence_vectors.clear()
            self._sentence_vectors[passage] = cached
        return cached

