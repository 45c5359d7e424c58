"""Pure reranking: the reader's relevance decides the order, the fused rank breaks near-ties.

score = logit(P(relevant)) + prior * log(1 / fused_rank). Fusion keeps recall (the candidates are the fused
top-N); the reader picks which of them answers.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Sequence, TypeVar

T = TypeVar("T")


def logit(p: float, eps: float = 1e-6) -> float:
    p = min(1.0 - eps, max(eps, float(p)))
    return math.log(p / (1.0 - p))


def rerank_order(relevance: Sequence[float], prior: float) -> list[int]:
    """Indices of the candidates (given in fused order) sorted by blended score, best first; stable on ties."""
    scores = [logit(p) - prior * math.log(rank) for rank, p in enumerate(relevance, start=1)]
    return sorted(range(len(scores)), key=lambda i: (-scores[i], i))


def reranked(results: Sequence[T], relevance: Sequence[float], prior: float) -> tuple[list[T], list[float]]:
    """The results and their relevance in reranked order."""
    order = rerank_order(relevance, prior)
    return [results[i] for i in order], [float(relevance[i]) for i in order]


def with_scores(results, relevance: Sequence[float]):
    """SearchResults carrying the reader's relevance as ``reader_score``."""
    return [replace(r, reader_score=round(float(p), 6)) for r, p in zip(results, relevance)]
