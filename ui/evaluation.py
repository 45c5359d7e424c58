"""The Evaluation page: run a benchmark suite (or a stratified sample of it) with a progress bar, then read the
report: headline numbers, accuracy per category, the risk-coverage and reliability plots, the records it got
wrong, and earlier reports beside it. Runs share the process's loaded models (the App of ``ui.runtime``). Only the
evaluator role sees the page; each run is appended to the audit log with the evaluator's name."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import streamlit as st

from clinrag.settings import REPO_ROOT, Settings
from stores.audit import record_event
from stores.users import Identity, require
from ui import render as R
from ui.access import permitted
from ui.runtime import runtime, show_error

BUNDLED_SUITES = REPO_ROOT / "eval" / "suites"


def suite_choices() -> dict[str, Path]:
    return {p.name: p for p in sorted(BUNDLED_SUITES.iterdir()) if (p / "suite.json").is_file()} if BUNDLED_SUITES.is_dir() else {}


def wrong_records(records_path: Path, limit: int = 200) -> list[dict[str, Any]]:
    """Rows of records.jsonl that were scored wrong: a wrong or refused answer, or an answer to a must-refuse
    question."""
    rows = []
    if not records_path.is_file():
        return rows
    for line in records_path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("correct") is False:
            rows.append({
                "id": row.get("id"), "category": row.get("category"), "expected": row.get("expected_behavior"),
                "decision": row.get("decision"), "question": row.get("question"),
                "answer": R.snippet(row.get("answer") or row.get("refusal_reason") or "", 200),
                "gold": R.snippet(str(row.get("gold_answer") or ""), 200), "groundedness": row.get("groundedness"),
                "refusal_code": row.get("refusal_code"),
            })
    return rows[:limit]


def comparison_rows(eval_dir: Path) -> list[dict[str, Any]]:
    """One row per earlier suite report under ``eval_dir``, newest first."""
    rows = []
    for path in R.find_reports(eval_dir):
        try:
            report = R.load_report(path)
        except (OSError, ValueError):
            continue
        if "answer" not in report:
            continue
        rows.append({
            "run": str(path.parent.relative_to(eval_dir)), "suite": report.get("suite"), "generator": report.get("generator"),
            "n": report.get("n"), "accuracy": (report.get("answer") or {}).get("accuracy"),
            "over_refusal": (report.get("refusal") or {}).get("over_refusal"),
            "refusal_recall": (report.get("refusal") or {}).get("recall"),
            "ece": (report.get("selective") or {}).get("ece"), "aurc": (report.get("selective") or {}).get("aurc"),
            "settings": report.get("settings_fingerprint"),
            "when": time.strftime("%Y-%m-%d %H:%M", time.localtime(path.stat().st_mtime)),
        })
    return rows


def run_form(settings: Settings, identity: Identity) -> None:
    suites = suite_choices()
    with st.form("eval-run"):
        c1, c2, c3 = st.columns(3)
        name = c1.selectbox("Suite", list(suites), index=list(suites).index("clinrag-demo") if "clinrag-demo" in suites else 0,
                            key="eval-suite")
        limit = c2.number_input("Questions (0 = all)", min_value=0, value=30, step=10, key="eval-limit",
                                help="A stratified sample keeps the share of answerable and must-refuse questions")
        seed = c3.number_input("Sample seed", min_value=0, value=0, step=1, key="eval-seed")
        go = st.form_submit_button("Run evaluation", type="primary")
    if not go:
        return
    try:
        require(identity, "evaluate")
        rt = runtime(settings)
        from eval.runner import run_suite

        out = Path(settings.eval_dir) / f"ui-{name}-{time.strftime('%Y%m%d-%H%M%S')}"
        bar = st.progress(0.0, text=f"Preparing {name} (its index is built once and cached)…")

        def on_progress(done: int, total: int) -> None:
            bar.progress(done / max(total, 1), text=f"{done}/{total} questions answered")

        report = run_suite(
            suites[name], settings, out_dir=out, limit=int(limit) or None, seed=int(seed), generator="extractive",
            embedder=rt.app.embedder, reader=rt.app.reader, calibration=rt.app.calibration, progress=False,
            on_progress=on_progress,
        )
        bar.progress(1.0, text=f"Done in {report.get('wall_s', 0):.0f} s")
        record_event(settings, "evaluation", identity.name, suite=name, limit=int(limit), seed=int(seed),
                     report=out.name, n=report.get("n"), accuracy=(report.get("answer") or {}).get("accuracy"))
    except Exception as exc:  # noqa: BLE001
        show_error(exc)
        return
    st.session_state["eval-report"] = str(out.relative_to(settings.eval_dir))


def show_report(eval_dir: Path, reports: list[Path]) -> None:
    labels = [str(p.parent.relative_to(eval_dir)) for p in reports]
    chosen = st.session_state.get("eval-report")
    index = labels.index(chosen) if chosen in labels else 0
    choice = st.selectbox("Report", labels, index=index)
    path = reports[labels.index(choice)]
    try:
        report = R.load_report(path)
    except Exception as exc:  # noqa: BLE001
        st.error(R.escape_md(f"Could not read {path}: {exc}"))
        return
    st.caption(" · ".join(f"{k}: {v}" for k, v in R.report_meta(report)))
    rows = R.headline_rows(report)
    if rows:
        cols = st.columns(4)
        for col, (label, value) in zip(cols, R.headline_metrics(report)):
            col.metric(label, value)
        by_category = (report.get("answer") or {}).get("by_category") or {}
        if by_category:
            st.markdown("**Accuracy per category**")
            st.dataframe([{"category": k, **v} for k, v in by_category.items()], hide_index=True)
        with st.expander("All headline metrics"):
            st.dataframe(rows, hide_index=True)
    else:
        st.json(report, expanded=False)
    plots = R.report_plots(path, report)
    if plots:
        cols = st.columns(min(3, len(plots)))
        for i, plot in enumerate(plots):
            cols[i % len(cols)].image(str(plot), caption=plot.stem.replace("_", " "), width="stretch")
    wrong = wrong_records(path.parent / "records.jsonl")
    st.markdown(f"**Records scored wrong ({len(wrong)})**")
    if wrong:
        st.dataframe(wrong, hide_index=True)
    with st.expander("Full report.json"):
        st.json(report, expanded=False)


def evaluation_page(settings: Settings, identity: Identity) -> None:
    if not permitted(identity, "evaluate"):
        return
    eval_dir = Path(settings.eval_dir)
    st.markdown("Run a bundled benchmark suite (or a sample of it) with the extractive generator, or read a report "
                "made with `clinrag eval`:")
    run_form(settings, identity)
    st.code(R.EVAL_COMMAND, language="bash")
    reports = R.find_reports(eval_dir)
    if not reports:
        st.info(f"No evaluation reports yet (looked for {R.escape_inline(eval_dir / '*' / 'report.json')}).")
        return
    show_report(eval_dir, reports)
    earlier = comparison_rows(eval_dir)
    if len(earlier) > 1:
        st.markdown("**Earlier reports, for comparison**")
        st.dataframe(earlier, hide_index=True)
