"""Turn per-question rows into the report (pure ``build_report``) and write it out (``write_outputs``).

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

import json
from collections import defaultdict
from pathlib import Path
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


# ----------------------------------------------------------------------------- writing
def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_plots(rows: Sequence[Row], report: Mapping[str, Any], out_dir: Path) -> dict[str, str]:
    """risk_coverage.png, reliability.png and categories.png; returns {plot name: file name}."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files: dict[str, str] = {}
    usable = [r for r in rows if not (r.get("expected_behavior") == "answer" and r.get("correct") is None)]
    coverage, risk = M.risk_coverage_curve([float(r.get("groundedness") or 0.0) for r in usable], [selective_correct(r) for r in usable])
    fig, ax = plt.subplots(figsize=(5, 4))
    if coverage:
        ax.step([0.0] + coverage, [risk[0]] + risk, where="post", label=f"groundedness (AURC {report['selective'].get('aurc')})")
        op = report["refusal"].get("coverage")
        if op is not None:
            ax.axvline(op, color="grey", linestyle="--", label=f"operating coverage {op:.2f}")
    ax.set(xlabel="coverage", ylabel="risk (1 - accuracy)", xlim=(0, 1), ylim=(0, 1.02), title="Risk-coverage")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "risk_coverage.png", dpi=110)
    plt.close(fig)
    files["risk_coverage"] = "risk_coverage.png"

    bins = report.get("reliability") or []
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
    filled = [b for b in bins if b["count"]]
    if filled:
        ax.bar([(b["lo"] + b["hi"]) / 2 for b in filled], [b["accuracy"] for b in filled], width=0.09, alpha=0.7, label="accuracy")
        ax.plot([b["confidence"] for b in filled], [b["accuracy"] for b in filled], "o", color="black", markersize=4, label="mean confidence")
        for b in filled:
            ax.annotate(str(b["count"]), ((b["lo"] + b["hi"]) / 2, b["accuracy"]), ha="center", va="bottom", fontsize=7)
    ax.set(xlabel="groundedness", ylabel="accuracy of answered", xlim=(0, 1), ylim=(0, 1.05),
           title=f"Reliability (ECE {report['selective'].get('ece')})")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "reliability.png", dpi=110)
    plt.close(fig)
    files["reliability"] = "reliability.png"

    categories = report["answer"].get("by_category") or {}
    names = [c for c, v in categories.items() if v.get("accuracy") is not None]
    fig, ax = plt.subplots(figsize=(max(5, 0.5 * len(names) + 2), 4))
    if names:
        ax.bar(range(len(names)), [categories[c]["accuracy"] for c in names], color="tab:blue")
        ax.set_xticks(range(len(names)), [f"{c} ({categories[c]['n']})" for c in names], rotation=45, ha="right", fontsize=8)
    ax.set(ylabel="accuracy", ylim=(0, 1.05), title="Accuracy by category")
    fig.tight_layout()
    fig.savefig(out_dir / "categories.png", dpi=110)
    plt.close(fig)
    files["categories"] = "categories.png"
    return files


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def render_markdown(report: Mapping[str, Any], plots: Mapping[str, str]) -> str:
    """``report.md``: headline numbers, baselines side by side, categories, robustness, plots."""
    r = report
    lines = [
        f"# Evaluation: {r.get('suite')}",
        "",
        f"- questions: **{r.get('n')}** (limit {r.get('limit')}, seed {r.get('seed')}); errors: {r.get('errors')}",
        f"- generator: `{r.get('generator')}`; settings fingerprint: `{r.get('settings_fingerprint')}`",
        f"- index: `{r.get('index', {}).get('dir')}` ({'built' if r.get('index', {}).get('built') else 'reused'})",
        f"- wall time: {_fmt(r.get('wall_s'))} s",
        "",
        "## Headline",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    headline = [
        ("answer accuracy (answerable)", r["answer"].get("accuracy")),
        ("accuracy of answered", r["selective"].get("accuracy_answered")),
        ("retrieval recall@5", r["retrieval"].get("recall@5")),
        ("retrieval MRR", r["retrieval"].get("mrr")),
        ("citation precision", r["citations"].get("precision")),
        ("citation recall", r["citations"].get("recall")),
        ("refusal recall", r["refusal"].get("recall")),
        ("over-refusal", r["refusal"].get("over_refusal")),
        ("coverage", r["refusal"].get("coverage")),
        ("AURC (lower is better)", r["selective"].get("aurc")),
        ("ECE", r["selective"].get("ece")),
        ("Brier", r["selective"].get("brier")),
        ("latency p50 / p95 (s)", f"{_fmt(r['latency_s'].get('p50'))} / {_fmt(r['latency_s'].get('p95'))}"),
    ]
    lines += [f"| {name} | {_fmt(value)} |" for name, value in headline]
    lines += ["", "## Retrieval baselines (answerable questions, top 10)", ""]
    modes = list(r.get("baselines", {}))
    keys = ["recall@1", "recall@5", "recall@10", "mrr", "ndcg@10"]
    lines += ["| mode | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    for mode in modes:
        lines.append(f"| {mode} | " + " | ".join(_fmt(r['baselines'][mode].get(k)) for k in keys) + " |")
    lines += ["", "## By answer type", "", "| type | n | accuracy | answered | accuracy of answered |", "|---|---|---|---|---|"]
    for kind, v in r["answer"].get("by_type", {}).items():
        lines.append(f"| {kind} | {v['n']} | {_fmt(v['accuracy'])} | {v['answered']} | {_fmt(v['accuracy_answered'])} |")
    lines += ["", "## By category", "", "| category | n | accuracy | answered |", "|---|---|---|---|"]
    for category, v in r["answer"].get("by_category", {}).items():
        lines.append(f"| {category} | {v['n']} | {_fmt(v['accuracy'])} | {v['answered']} |")
    rob = r.get("robustness", {})
    ver = r.get("version", {})
    lines += [
        "",
        "## Robustness and versions",
        "",
        "| metric | value | n |",
        "|---|---|---|",
        f"| lay-wording accuracy drop | {_fmt(rob.get('lay_drop'))} | {rob.get('lay_pairs')} pairs |",
        f"| misspelling accuracy drop | {_fmt(rob.get('misspelled_drop'))} | {rob.get('misspelled_pairs')} pairs |",
        f"| demographic disagreement | {_fmt(rob.get('demographic_disagreement'))} | {rob.get('demographic_groups')} groups |",
        f"| current version cited | {_fmt(ver.get('current_cited_rate'))} | {ver.get('n')} |",
        f"| superseded evidence flagged | {_fmt(ver.get('superseded_flagged_rate'))} | {ver.get('n_superseded_surfaced')} |",
        "",
        "## Plots",
        "",
    ]
    titles = {"risk_coverage": "Risk-coverage", "reliability": "Reliability diagram", "categories": "Accuracy by category"}
    for name, file in plots.items():
        lines.append(f"![{titles.get(name, name)}]({file})")
    problems = r.get("suite_problems") or []
    if problems:
        lines += ["", "## Suite problems", ""] + [f"- {p}" for p in problems[:50]]
    lines += ["", "Scoring rules: see `eval/scoring.py` and `eval/report.py` docstrings.", ""]
    return "\n".join(lines)


def write_documents(report: Mapping[str, Any], rows: Sequence[Row], out_dir: Path) -> None:
    """Write report.json, report.md (embedding ``report['plots']``) and records.jsonl into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / "report.json", report)
    (out_dir / "report.md").write_text(render_markdown(report, report.get("plots") or {}), encoding="utf-8")
    write_jsonl(out_dir / "records.jsonl", rows)


def write_outputs(report: dict[str, Any], rows: Sequence[Row], out_dir: Path) -> dict[str, str]:
    """Write the plots, then report.json, report.md and records.jsonl; returns the plot files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    report["plots"] = write_plots(rows, report, out_dir)
    write_documents(report, rows, out_dir)
    return report["plots"]
