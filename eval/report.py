"""Turn per-question rows into the report (pure ``build_report``); ``eval/plots.py`` draws it and ``eval/outputs.py``
writes it (JSON, JSONL, Markdown).

A *row* is one question's outcome, as written to ``records.jsonl``: the question fields, the record's
decision / answer / verdict / groundedness / warnings, the cited and evidence doc ids, the fused top-10
doc ids, ``correct`` (``None`` when unscorable) and ``score``. See ``eval.runner.question_row``.

Definitions used below (``answerable`` = expected_behavior ``answer``):

- ``answer.accuracy``: correct over answerable questions; a refusal counts as wrong except for the
  ``false-premise`` category. ``selective.accuracy_answered``: the same over answerable questions that
  were answered. ``selective.precision_answered``: over every answered question, where answering a
  must-refuse question is wrong.
- ``citations.precision``: cited chunks (unique per answer) from a gold doc / all cited chunks, over
  answered answerable questions; ``citations.recall``: the fraction of those answers citing a gold doc.
- ``refusal.recall``: must-refuse questions refused; ``over_refusal``: answerable questions (false-premise
  ones excepted) refused; ``coverage``: fraction of all questions answered.
- ``selective``: confidence = groundedness. The risk-coverage curve and AURC run over all scorable
  questions, where an item is correct only if it was answered, is answerable and the answer is right (so a
  refused question is an error at coverages beyond the system's own); ECE (10 equal-width bins) and Brier
  run over the answered questions only.
- ``robustness``: for each (base, variant) pair linked by ``variant_of``, ``*_drop`` is the base accuracy
  minus the variant accuracy; ``demographic_disagreement`` is the fraction of demographic groups (a base and
  its demographic variants) where any variant's decision or correctness differs from the base's.
- ``version`` (category ``version``): ``current_cited_rate`` = answers citing a gold (current) doc over all
  version questions; ``superseded_flagged_rate`` = among version questions whose evidence or citations
  include a superseded doc, those where a warning mentions the superseded doc (or supersession) or the
  superseded evidence carries status ``superseded``.
"""

from __future__ import annotations

import numpy as np

from collections import defaultdict
from typing import Any, Iterable, Mapping, Sequence

from eval import metrics as M
from eval.suites import VARIANT_KINDS

Row = Mapping[str, Any]


# ----------------------------------------------------------------------------- pure aggregation
def _answerable(rows: Iterable[Row]) -> list[Row]:
    return [r for r in rows if r.get("expected_behavior") == "answer"]


def _scored(rows: Iterable[Row]) -> list[Row]:
    return [r for r in rows if r.get("correct") is not None]


def selective_correct(row: Row) -> bool:
    """Correct as an answer: answered, answerable and right."""
    return bool(row.get("decision") == "answer" and row.get("expected_behavior") == "answer" and row.get("correct"))


def answer_section(rows: Sequence[Row]) -> dict[str, Any]:
    answerable = _scored(_answerable(rows))
    by_type: dict[str, Any] = {}
    for kind in sorted({str(r.get("answer_type")) for r in answerable}):
        group = [r for r in answerable if str(r.get("answer_type")) == kind]
        answered = [r for r in group if r.get("decision") == "answer"]
        entry: dict[str, Any] = {
            "n": len(group),
            "accuracy": M.mean(r["correct"] for r in group),
            "answered": len(answered),
            "accuracy_answered": M.mean(r["correct"] for r in answered),
        }
        values = [r["score"].get("value") for r in answered if r.get("score", {}).get("value") is not None]
        if kind == "long":
            entry["rougeL"] = M.mean(r["score"]["detail"].get("rougeL", 0.0) for r in answered if r["score"].get("detail"))
            entry["token_f1"] = M.mean(r["score"]["detail"].get("token_f1", 0.0) for r in answered if r["score"].get("detail"))
        if kind == "list":
            entry["item_recall"] = M.mean(values)
        by_type[kind] = entry
    by_category: dict[str, Any] = {}
    for category in sorted({str(r.get("category")) for r in rows}):
        group = _scored(r for r in rows if str(r.get("category")) == category)
        by_category[category] = {
            "n": len(group),
            "accuracy": M.mean(r["correct"] for r in group),
            "answered": sum(r.get("decision") == "answer" for r in group),
        }
    return {
        "accuracy": M.mean(r["correct"] for r in answerable),
        "n_answerable": len(answerable),
        "by_type": by_type,
        "by_category": by_category,
        "overall_accuracy": M.mean(r["correct"] for r in _scored(rows)),
    }


def citation_section(rows: Sequence[Row]) -> dict[str, Any]:
    answered = [r for r in _answerable(rows) if r.get("decision") == "answer"]
    cited = gold_cited = 0
    citing_gold = []
    for r in answered:
        gold = set(r.get("gold_doc_ids") or [])
        docs = r.get("cited_doc_ids") or []
        cited += len(docs)
        gold_cited += sum(d in gold for d in docs)
        citing_gold.append(1.0 if gold & set(docs) else 0.0)
    return {
        "precision": gold_cited / cited if cited else None,
        "recall": M.mean(citing_gold),
        "n_answers": len(answered),
        "n_cited_chunks": cited,
        "uncited_answers": sum(1 for r in answered if not r.get("cited_doc_ids")),
    }


def refusal_section(rows: Sequence[Row]) -> dict[str, Any]:
    must_refuse = [r for r in rows if r.get("expected_behavior") == "refuse"]
    answerable = [r for r in _answerable(rows) if not r.get("false_premise")]
    refused = [r.get("decision") == "refuse" for r in rows]
    should = [r.get("expected_behavior") == "refuse" for r in rows]
    cls = M.binary_classification(refused, should)
    n_refused = sum(refused)
    return {
        "recall": M.mean(1.0 if r.get("decision") == "refuse" else 0.0 for r in must_refuse),
        "over_refusal": M.mean(1.0 if r.get("decision") == "refuse" else 0.0 for r in answerable),
        "coverage": M.mean(0.0 if x else 1.0 for x in refused),
        "precision": (sum(a and b for a, b in zip(refused, should)) / n_refused) if n_refused else None,
        "balanced_accuracy": cls["balanced_accuracy"],
        "confusion_matrix": cls["confusion_matrix"],
        "confusion_labels": ["answer expected", "refuse expected"],
        "n_must_refuse": len(must_refuse),
        "n_refused": n_refused,
    }


def selective_section(rows: Sequence[Row]) -> dict[str, Any]:
    usable = [r for r in rows if not (r.get("expected_behavior") == "answer" and r.get("correct") is None)]
    confidence = [float(r.get("groundedness") or 0.0) for r in usable]
    correct = [selective_correct(r) for r in usable]
    answered = [r for r in usable if r.get("decision") == "answer"]
    a_conf = [float(r.get("groundedness") or 0.0) for r in answered]
    a_correct = [selective_correct(r) for r in answered]
    answered_answerable = [r for r in answered if r.get("expected_behavior") == "answer"]
    return {
        "accuracy_answered": M.mean(1.0 if r.get("correct") else 0.0 for r in answered_answerable),
        "precision_answered": M.mean(1.0 if c else 0.0 for c in a_correct),
        "aurc": M.aurc(confidence, correct),
        "ece": M.ece(a_conf, a_correct, 10),
        "brier": M.brier(a_conf, a_correct),
        "auroc_answered": M.auroc(a_conf, a_correct),
        "mean_groundedness_answered": M.mean(a_conf),
        "n_answered": len(answered),
        "n": len(usable),
    }


def supported_label(row: Row) -> bool | None:
    """Whether every statement a record shows is supported, where that is known without a human judge: every sentence
    is a verbatim quote of its passage, and a stated verdict to a yes/no question is the gold one. None otherwise."""
    if row.get("decision") != "answer" or not row.get("all_quoted"):
        return None
    if row.get("verdict") and row.get("answer_type") == "yesno" and row.get("expected_behavior") == "answer":
        return bool(row.get("correct"))
    if row.get("verdict") and row.get("expected_behavior") == "refuse":
        return False  # a verdict on a must-refuse question is a statement the loaded guidelines do not make
    return True


def scores_section(rows: Sequence[Row]) -> dict[str, Any]:
    """Each score against its own target: ``groundedness`` against whether every shown statement is supported
    (``supported_label``), ``answers_question`` against whether the answer was right."""
    answered = [r for r in rows if r.get("decision") == "answer" and not (r.get("expected_behavior") == "answer" and r.get("correct") is None)]
    labelled = [(float(r.get("groundedness") or 0.0), supported_label(r)) for r in answered]
    labelled = [(g, y) for g, y in labelled if y is not None]
    aq = [(float(r["answers_question"]), selective_correct(r)) for r in answered if r.get("answers_question") is not None]
    verbatim_right = [float(r.get("groundedness") or 0.0) for r in answered if r.get("all_quoted") and selective_correct(r)]
    return {
        "groundedness": {"auroc": M.auroc([g for g, _ in labelled], [y for _, y in labelled]),
                         "ece": M.ece([g for g, _ in labelled], [y for _, y in labelled], 10),
                         "supported_rate": M.mean(1.0 if y else 0.0 for _, y in labelled), "n": len(labelled),
                         "median_correct_verbatim": float(np.median(verbatim_right)) if verbatim_right else None},
        "answers_question": {"auroc": M.auroc([p for p, _ in aq], [y for _, y in aq]),
                             "ece": M.ece([p for p, _ in aq], [y for _, y in aq], 10), "n": len(aq)},
    }


def reliability_section(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """The reliability diagram's bins (groundedness vs correctness of answered questions)."""
    answered = [r for r in rows if r.get("decision") == "answer" and not (r.get("expected_behavior") == "answer" and r.get("correct") is None)]
    return M.reliability_bins([float(r.get("groundedness") or 0.0) for r in answered], [selective_correct(r) for r in answered], 10)


def robustness_section(rows: Sequence[Row]) -> dict[str, Any]:
    by_id = {str(r.get("id")): r for r in rows}
    pairs: dict[str, list[tuple[Row, Row]]] = defaultdict(list)
    for r in rows:
        kind = r.get("variant_kind")
        base = by_id.get(str(r.get("variant_of")))
        if kind in VARIANT_KINDS and base is not None and r.get("correct") is not None and base.get("correct") is not None:
            pairs[kind].append((base, r))
    out: dict[str, Any] = {}
    for kind in ("lay", "misspelled"):
        group = pairs.get(kind, [])
        base_acc = M.mean(1.0 if b["correct"] else 0.0 for b, _ in group)
        var_acc = M.mean(1.0 if v["correct"] else 0.0 for _, v in group)
        out[f"{kind}_drop"] = None if base_acc is None or var_acc is None else base_acc - var_acc
        out[f"{kind}_pairs"] = len(group)
    groups: dict[str, list[Row]] = defaultdict(list)
    for base, variant in pairs.get("demographic", []):
        groups[str(base.get("id"))].append(variant)
    differs = [
        1.0
        if any(v.get("decision") != by_id[b].get("decision") or bool(v["correct"]) != bool(by_id[b]["correct"]) for v in vs)
        else 0.0
        for b, vs in groups.items()
    ]
    out["demographic_disagreement"] = M.mean(differs)
    out["demographic_groups"] = len(groups)
    return out


def _is_version(row: Row) -> bool:
    return str(row.get("category") or "").lower().startswith("version")


def version_flagged(row: Row) -> bool:
    """A warning names a superseded doc (or supersession), or superseded evidence carries its status."""
    superseded = set(row.get("superseded_doc_ids") or [])
    for warning in row.get("warnings") or []:
        text = str(warning).lower()
        if any(s.lower() in text for s in superseded) or "supersed" in text:
            return True
    return any(e.get("status") == "superseded" for e in row.get("evidence") or [] if e.get("doc_id") in superseded or not superseded)


def version_section(rows: Sequence[Row]) -> dict[str, Any]:
    group = [r for r in rows if _is_version(r) and r.get("expected_behavior") == "answer"]
    if not group:
        return {"current_cited_rate": None, "superseded_flagged_rate": None, "n": 0}
    current = [1.0 if set(r.get("cited_doc_ids") or []) & set(r.get("gold_doc_ids") or []) else 0.0 for r in group]

    def superseded_ids(r: Row) -> set[str]:
        ids = set(r.get("superseded_doc_ids") or [])
        return ids | {e["doc_id"] for e in r.get("evidence") or [] if e.get("status") == "superseded"}

    surfaced = [
        r for r in group
        if superseded_ids(r) & ({e.get("doc_id") for e in r.get("evidence") or []} | set(r.get("cited_doc_ids") or []))
    ]
    cited_superseded = [1.0 if superseded_ids(r) & set(r.get("cited_doc_ids") or []) else 0.0 for r in group]
    return {
        "current_cited_rate": M.mean(current),
        "superseded_flagged_rate": M.mean(1.0 if version_flagged(r) else 0.0 for r in surfaced),
        "superseded_cited_rate": M.mean(cited_superseded),
        "accuracy": M.mean(1.0 if r.get("correct") else 0.0 for r in group if r.get("correct") is not None),
        "n": len(group),
        "n_superseded_surfaced": len(surfaced),
    }


def build_report(
    rows: Sequence[Row], baselines: Mapping[str, Mapping[str, Any]], meta: Mapping[str, Any]
) -> dict[str, Any]:
    """The report dictionary (``report.json``) from the rows, the retrieval baselines and run metadata."""
    latencies = [float(r["latency_s"]) for r in rows if r.get("latency_s") is not None]
    report: dict[str, Any] = {
        "suite": meta.get("suite"),
        "n": len(rows),
        "settings_fingerprint": meta.get("settings_fingerprint"),
        "generator": meta.get("generator"),
        # what the answers used: the reader's reranking of the fused candidates when it ran, else fusion
        "retrieval": dict(baselines.get("reranked") or baselines.get("fused", {})),
        "retrieval_mode": "reranked" if baselines.get("reranked") else "fused",
        "answer": answer_section(rows),
        "citations": citation_section(rows),
        "refusal": refusal_section(rows),
        "selective": selective_section(rows),
        "scores": scores_section(rows),
        "reliability": reliability_section(rows),
        "latency_s": {
            "p50": M.percentile(latencies, 50),
            "p95": M.percentile(latencies, 95),
            "mean": M.mean(latencies),
            "max": max(latencies) if latencies else None,
        },
        "baselines": {mode: dict(values) for mode, values in baselines.items()},
        "robustness": robustness_section(rows),
        "version": version_section(rows),
        "errors": sum(1 for r in rows if r.get("error")),
    }
    report.update({k: v for k, v in meta.items() if k not in report})
    return M.rounded(report)  # type: ignore[return-value]
