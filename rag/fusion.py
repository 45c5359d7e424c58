"""Pure rank fusion."""

from __future__ import annotations

from typing import Mapping, Sequence


def weighted_rrf(
    rankings: Mapping[str, Sequence[str]], weights: Mapping[str, float], k: float = 60.0
) -> list[tuple[str, float]]:
    """Weighted reciprocal-rank fusion: ``score(d) = sum_r w_r / (k + rank_r(d))`` with 1-based ranks.

    Ties are broken by the best rank an item reached in any ranking, then by id, so the output is a
    deterministic function of the inputs. Rankings with weight 0 are ignored; duplicates within one ranking
    count at their first position.
    """
    scores: dict[str, float] = {}
    best_rank: dict[str, int] = {}
    for name, ranking in rankings.items():
        weight = weights.get(name, 1.0)
        if weight <= 0:
            continue
        seen: set[str] = set()
        for rank, item in enumerate(ranking, start=1):
            if item in seen:
                continue
            seen.add(item)
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
            best_rank[item] = min(best_rank.get(item, rank), rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], best_rank[kv[0]], kv[0]))
