"""Writing a report: report.json, records.jsonl and report.md (the Markdown rendering is pure)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

Row = Mapping[str, Any]


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


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
