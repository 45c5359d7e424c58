"""Pure metric functions: retrieval ranking, selective prediction, calibration and latency.

Everything here takes plain lists and returns plain floats (or ``None`` when a metric is undefined, for
example a mean over no items), so the runner can put the results straight into ``report.json``.
scikit-learn supplies the metrics it has (nDCG, Brier, AUROC, balanced accuracy, confusion matrix);
ECE, AURC and the rank metrics are small enough to write out.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np

K_VALUES = (1, 5, 10)


# ----------------------------------------------------------------------------- retrieval
def first_hit_rank(ranked_doc_ids: Sequence[str], gold: Iterable[str]) -> int | None:
    """1-based rank of the first result whose document is a gold document, or ``None``."""
    gold_set = set(gold)
    for rank, doc_id in enumerate(ranked_doc_ids, start=1):
        if doc_id in gold_set:
            return rank
    return None


def hit_at_k(ranked_doc_ids: Sequence[str], gold: Iterable[str], k: int) -> float:
    """1.0 when any of the top ``k`` results comes from a gold document, else 0.0."""
    rank = first_hit_rank(ranked_doc_ids[:k], gold)
    return 0.0 if rank is None else 1.0


def reciprocal_rank(ranked_doc_ids: Sequence[str], gold: Iterable[str]) -> float:
    """1 / rank of the first gold result (0.0 when none is retrieved)."""
    rank = first_hit_rank(ranked_doc_ids, gold)
    return 0.0 if rank is None else 1.0 / rank


def unique_in_order(items: Iterable[str]) -> list[str]:
    """Items without repeats, first occurrence kept."""
    return list(dict.fromkeys(items))


def ndcg_at_k(ranked_doc_ids: Sequence[str], gold: Iterable[str], k: int = 10) -> float:
    """Binary-relevance nDCG@k at document level (sklearn ``ndcg_score``).

    The top-``k`` result chunks are collapsed to their documents (first occurrence keeps its place), each
    gold document is relevant once, and the ideal ranking puts ``min(k, |gold|)`` gold documents first, so
    a gold document that was never retrieved lowers the score.
    """
    from sklearn.metrics import ndcg_score

    gold_set = set(gold)
    if not gold_set:
        return 0.0
    docs = unique_in_order(ranked_doc_ids[:k])
    relevance = [1.0 if d in gold_set else 0.0 for d in docs]
    relevance += [0.0] * (k - len(relevance))  # pad so that the missing gold documents fall outside the top k
    missing = len(gold_set - set(docs))
    relevance += [1.0] * missing
    if sum(relevance) == 0:
        return 0.0
    n = len(relevance)
    scores = [float(n - i) for i in range(n)]  # strictly decreasing: the given order is the ranking
    return float(ndcg_score([relevance], [scores], k=k))


def retrieval_summary(rankings: Sequence[Sequence[str]], golds: Sequence[Iterable[str]]) -> dict[str, float | int | None]:
    """recall@1/5/10, MRR and nDCG@10 averaged over questions (``rankings`` hold result doc ids, best first)."""
    pairs = [(list(r), set(g)) for r, g in zip(rankings, golds) if set(g)]
    out: dict[str, float | int | None] = {}
    for k in K_VALUES:
        out[f"recall@{k}"] = mean([hit_at_k(r, g, k) for r, g in pairs])
    out["mrr"] = mean([reciprocal_rank(r[:10], g) for r, g in pairs])
    out["ndcg@10"] = mean([ndcg_at_k(r, g, 10) for r, g in pairs])
    out["n"] = len(pairs)
    return out


# ----------------------------------------------------------------------------- selective prediction
def risk_coverage_curve(confidence: Sequence[float], correct: Sequence[bool]) -> tuple[list[float], list[float]]:
    """(coverage, risk) at every distinct confidence threshold, from the most confident item down.

    Items with equal confidence are accepted together, so the curve does not depend on input order.
    """
    if len(confidence) != len(correct):
        raise ValueError("confidence and correct must have the same length")
    n = len(confidence)
    if n == 0:
        return [], []
    conf = np.asarray(confidence, dtype=float)
    wrong = 1.0 - np.asarray(correct, dtype=float)
    order = np.argsort(-conf, kind="stable")
    conf, wrong = conf[order], wrong[order]
    coverage: list[float] = []
    risk: list[float] = []
    errors = 0.0
    i = 0
    while i < n:
        j = i
        while j < n and conf[j] == conf[i]:
            errors += wrong[j]
            j += 1
        coverage.append(j / n)
        risk.append(errors / j)
        i = j
    return coverage, risk


def aurc(confidence: Sequence[float], correct: Sequence[bool]) -> float | None:
    """Area under the risk-coverage curve (step integral; lower is better).

    Without ties this is the usual ``mean over i of risk(top i)``; tied items enter together.
    """
    coverage, risk = risk_coverage_curve(confidence, correct)
    if not coverage:
        return None
    area = 0.0
    previous = 0.0
    for c, r in zip(coverage, risk):
        area += (c - previous) * r
        previous = c
    return float(area)


def reliability_bins(
    confidence: Sequence[float], correct: Sequence[bool], n_bins: int = 10
) -> list[dict[str, float | int]]:
    """Equal-width bins over [0, 1]: each with its count, mean confidence and accuracy (empty bins kept)."""
    conf = np.clip(np.asarray(confidence, dtype=float), 0.0, 1.0)
    acc = np.asarray(correct, dtype=float)
    index = np.minimum((conf * n_bins).astype(int), n_bins - 1)  # 1.0 falls in the last bin
    bins = []
    for b in range(n_bins):
        mask = index == b
        count = int(mask.sum())
        bins.append(
            {
                "lo": b / n_bins,
                "hi": (b + 1) / n_bins,
                "count": count,
                "confidence": float(conf[mask].mean()) if count else 0.0,
                "accuracy": float(acc[mask].mean()) if count else 0.0,
            }
        )
    return bins


def ece(confidence: Sequence[float], correct: Sequence[bool], n_bins: int = 10) -> float | None:
    """Expected calibration error: sum over equal-width bins of |bin| / n * |accuracy - mean confidence|."""
    n = len(confidence)
    if n == 0:
        return None
    total = 0.0
    for b in reliability_bins(confidence, correct, n_bins):
        if b["count"]:
            total += b["count"] / n * abs(float(b["accuracy"]) - float(b["confidence"]))
    return float(total)


def brier(confidence: Sequence[float], correct: Sequence[bool]) -> float | None:
    """Brier score (sklearn ``brier_score_loss``) of confidence against 0/1 correctness."""
    if len(confidence) == 0:
        return None
    from sklearn.metrics import brier_score_loss

    y = np.asarray(correct, dtype=int)
    p = np.clip(np.asarray(confidence, dtype=float), 0.0, 1.0)
    try:
        return float(brier_score_loss(y, p, pos_label=1))
    except ValueError:  # a single-class input on sklearn versions that refuse it
        return float(np.mean((p - y) ** 2))


def auroc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """Area under the ROC curve (sklearn ``roc_auc_score``); ``None`` when only one class is present."""
    y = np.asarray(labels, dtype=int)
    if len(y) == 0 or len(set(y.tolist())) < 2:
        return None
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, np.asarray(scores, dtype=float)))


def binary_classification(predicted: Sequence[bool], actual: Sequence[bool]) -> dict[str, object]:
    """Balanced accuracy and the confusion matrix ``[[tn, fp], [fn, tp]]`` (sklearn), positive class = True."""
    from sklearn.metrics import balanced_accuracy_score, confusion_matrix

    y_true = np.asarray(actual, dtype=int)
    y_pred = np.asarray(predicted, dtype=int)
    if len(y_true) == 0:
        return {"balanced_accuracy": None, "confusion_matrix": [[0, 0], [0, 0]]}
    matrix = confusion_matrix(y_true, y_pred, labels=[0, 1])
    if len(set(y_true.tolist())) < 2:
        balanced = float(np.mean(y_true == y_pred))  # sklearn warns and averages one class: same value
    else:
        balanced = float(balanced_accuracy_score(y_true, y_pred))
    return {"balanced_accuracy": balanced, "confusion_matrix": matrix.tolist()}


# ----------------------------------------------------------------------------- small helpers
def mean(values: Iterable[float]) -> float | None:
    """Arithmetic mean, ``None`` for no values."""
    items = [float(v) for v in values]
    return float(sum(items) / len(items)) if items else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (linear interpolation), ``None`` for no values."""
    if len(values) == 0:
        return None
    return float(np.percentile(np.asarray(values, dtype=float), q))


def rounded(value: object, digits: int = 4) -> object:
    """Round floats (recursively in dicts and lists) for a readable report; NaN becomes ``None``."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, digits)
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v, digits) for v in value]
    return value
