"""The report's PNG plots (matplotlib, Agg): risk-coverage, reliability, accuracy per category."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from eval import metrics as M
from eval.report import Row, selective_correct


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
