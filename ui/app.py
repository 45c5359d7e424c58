"""Streamlit UI of clinrag: Ask, Library and Evaluation tabs.

Start it with ``clinrag ui`` (which sets ``CLINRAG_INDEX_DIR``) or ``streamlit run ui/app.py``.
Document text is untrusted: it is only ever shown through ``ui.render`` escaping, ``st.text``, ``st.json`` or
``st.dataframe``; nothing here uses ``unsafe_allow_html``.

Test hook: with ``CLINRAG_TEST_FAKE_EMBEDDER=1`` the app uses ``tests.fakes.HashEmbedder`` instead of the
real embedder (the Streamlit AppTest in ``tests/test_ui.py`` runs that way). ``CLINRAG_EVAL_DIR`` overrides the
folder the Evaluation tab lists (default ``var/eval``).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `streamlit run ui/app.py` puts ui/ first on sys.path, not the repo
    sys.path.insert(0, str(REPO_ROOT))

import streamlit as st  # noqa: E402

from clinrag.errors import ClinragError  # noqa: E402
from clinrag.settings import Settings, load_settings  # noqa: E402
from ui import render as R  # noqa: E402

UPLOAD_DIR = REPO_ROOT / "var" / "uploads"
EVAL_DIR = Path(os.environ.get("CLINRAG_EVAL_DIR") or REPO_ROOT / "var" / "eval")  # where `clinrag eval` writes
GENERATOR_HELP = {
    "extractive": "extractive — quotes verified sentences from the passages (fast, no language model)",
    "local": "local — a small local LLM drafts the answer (slower; needs the model package)",
    "api": "api — an OpenAI-compatible endpoint drafts the answer",
}

st.set_page_config(page_title="clinrag — guideline QA", page_icon="🩺", layout="wide")


# ----------------------------------------------------------------------------- app construction
def _fake_embedder() -> bool:
    return os.environ.get("CLINRAG_TEST_FAKE_EMBEDDER") == "1"


@st.cache_resource(show_spinner=False)
def _cached_app(fingerprint: str, index_dir: str, fake: bool, _settings: Settings):
    """One App per (settings fingerprint, index folder, test hook); shared across sessions."""
    from clinrag.app import App

    if fake:
        from tests.conftest import unit_calibration  # test hook only
        from tests.fakes import HashEmbedder, LexicalReader

        app = App(_settings, embedder=HashEmbedder(), reader=LexicalReader(), calibration=unit_calibration())
    else:
        app = App(_settings)
    # Open the Chroma client here, once: st.cache_resource computes a value in one thread while other sessions
    # wait, and chromadb fails (KeyError / 'Could not connect to tenant') when two threads open the same
    # persistent path for the first time concurrently.
    try:
        if app.store.exists():
            app.store.vectors.count()
    except Exception:  # noqa: BLE001 - reported when the user asks or lists documents
        pass
    return app


def get_app(settings: Settings):
    return _cached_app(settings.fingerprint(), str(settings.index_dir), _fake_embedder(), settings)


def show_error(exc: BaseException) -> None:
    if isinstance(exc, ClinragError):
        st.error(R.escape_md(str(exc)))
    else:
        st.error(R.escape_md(f"Unexpected error ({type(exc).__name__}): {exc}"))
        with st.expander("technical details"):
            st.exception(exc)


# ----------------------------------------------------------------------------- Ask
def generator_options(settings: Settings) -> list[str]:
    options = ["extractive", "local"]
    if settings.generation.api_base_url:
        options.append("api")
    return options


def render_source(n: int, result, expanded: bool = False) -> None:
    with st.expander(R.source_title(n, result), expanded=expanded):
        st.markdown(R.source_meta_markdown(result))
        if R.is_superseded(result):
            st.warning("This passage is from a SUPERSEDED guideline version. Prefer the current version.", icon=":material/warning:")
        st.caption("Exact passage text")
        st.markdown(R.passage_markdown(result))


def render_record(record) -> None:
    for warning in R.warning_texts(record):
        st.warning(warning, icon=":material/warning:")
    if record.decision == "refuse":
        with st.container(border=True):
            st.subheader("Refusal")
            st.info(R.refusal_markdown(record), icon=":material/block:")
            st.caption(
                "clinrag refuses rather than guess when the loaded guidelines do not clearly support an answer. "
                "These are the closest passages it searched:"
            )
            _, closest = R.sources_for(record)
            if not closest:
                st.write("No passages were found in the index.")
            for n, result in closest:
                render_source(n, result)
    else:
        with st.container(border=True):
            st.subheader("Answer")
            verdict = R.verdict_markdown(record)
            if verdict:
                st.markdown(verdict)
            st.markdown(R.answer_markdown(record))
            st.markdown(R.groundedness_markdown(record))
        cited, other = R.sources_for(record)
        st.subheader("Sources")
        if not cited:
            st.caption("No passage is cited.")
        for n, result in cited:
            render_source(n, result)
        if other:
            with st.expander(f"Other passages retrieved ({len(other)}), not cited"):
                for n, result in other:
                    st.markdown(R.source_title(n, result))
                    st.caption(R.passage_preview(result))
    with st.expander("Details: timings and settings"):
        st.json(R.details(record))
    st.caption(R.NOTICE)


def ask_tab(settings: Settings) -> None:
    st.markdown("Ask a question about the loaded clinical guidelines. Answers cite the passages they rest on.")
    options = generator_options(settings)
    default = settings.generation.generator if settings.generation.generator in options else "extractive"
    linked = st.query_params.get("q", "")  # ?q=... asks once on the first load (shareable question links)
    auto = bool(linked.strip()) and not st.session_state.get("linked_question_asked")
    if auto:
        st.session_state["linked_question_asked"] = True
        st.session_state["question"] = linked
    with st.form("ask-form", clear_on_submit=False, border=False):
        question = st.text_area(
            "Question", key="question", height=90,
            placeholder="e.g. What blood pressure target is recommended for most adults with hypertension?",
        )
        generator = st.radio(
            "Generator", options, index=options.index(default), horizontal=True, key="generator",
            format_func=lambda name: GENERATOR_HELP.get(name, name),
        )
        submitted = st.form_submit_button("Ask", type="primary")
    if submitted or auto:
        st.session_state.pop("record", None)
        if not (question or "").strip():
            st.warning("Type a question first, for example: 'What is the target blood pressure for most adults?'")
            return
        try:
            app = get_app(settings)
            app.store.require_ready()
            with st.spinner("Searching the guidelines and verifying the answer…"):
                started = time.perf_counter()
                record = app.answerer(generator).ask(question)
                st.session_state["record"] = record
                st.session_state["record_wall_s"] = time.perf_counter() - started
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a raw stack trace
            show_error(exc)
            return
    record = st.session_state.get("record")
    if record is not None:
        render_record(record)


# ----------------------------------------------------------------------------- Library
def save_uploads(files) -> list[Path]:
    UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    saved = []
    for f in files:
        target = UPLOAD_DIR / R.safe_upload_name(f.name)
        target.write_bytes(f.getvalue())
        saved.append(target)
    return saved


def library_tab(settings: Settings) -> None:
    st.info(R.LIBRARY_NOTICE, icon=":material/info:")
    try:
        app = get_app(settings)
        documents = app.store.documents()
    except Exception as exc:  # noqa: BLE001
        show_error(exc)
        return
    st.subheader(f"Indexed documents ({len(documents)})")
    if documents:
        rows = R.document_rows(documents)
        narrow = st.column_config.TextColumn(width="small")
        st.dataframe(
            rows, hide_index=True, column_order=list(R.DOCUMENT_COLUMNS),
            column_config={"title": st.column_config.TextColumn(width="medium"), "issuer": narrow, "source_path": narrow},
        )
        superseded = [r["doc_id"] for r in rows if r["status"] == "SUPERSEDED"]
        if superseded:
            st.caption(f"{len(superseded)} superseded document(s) are kept for reference and flagged in answers.")
    else:
        st.write(f"The index at {R.escape_inline(settings.index_dir)} holds no documents yet. Upload files below "
                 "or run `clinrag ingest corpora/`.")

    st.subheader("Add documents")
    with st.form("upload-form", clear_on_submit=True):
        files = st.file_uploader(
            "PDF, Markdown, text or JSONL files", type=list(R.UPLOAD_TYPES), accept_multiple_files=True, key="uploads"
        )
        go = st.form_submit_button("Ingest uploaded files")
    if go:
        if not files:
            st.warning("Choose at least one file to ingest.")
        else:
            try:
                paths = save_uploads(files)
                with st.spinner(f"Ingesting {len(paths)} file(s)…"):
                    report = app.ingest(paths)
                st.session_state["ingest_report"] = report
            except Exception as exc:  # noqa: BLE001
                show_error(exc)
            else:
                st.rerun()  # refresh the table and the sidebar count
    report = st.session_state.get("ingest_report")
    if report is not None:
        summary, failures = R.ingest_summary(report)
        (st.success if report.ok else st.warning)(f"Last ingest: {summary}")
        for failure in failures:
            st.error(f"Failed: {failure}")


# ----------------------------------------------------------------------------- Evaluation
def evaluation_tab() -> None:
    st.markdown("Run an evaluation from a terminal in the repository, then pick its report here:")
    st.code(R.EVAL_COMMAND, language="bash")
    reports = R.find_reports(EVAL_DIR)
    if not reports:
        st.info(f"No evaluation reports yet (looked for {R.escape_inline(EVAL_DIR / '*' / 'report.json')}).")
        return
    labels = [str(p.parent.relative_to(EVAL_DIR)) for p in reports]
    choice = st.selectbox("Report", labels, key="eval-report")
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
        st.dataframe(rows, hide_index=True, height=36 * (len(rows) + 1) + 4)
    else:
        st.json(report, expanded=False)
    plots = R.report_plots(path, report)
    if plots:
        cols = st.columns(min(3, len(plots)))
        for i, plot in enumerate(plots):
            cols[i % len(cols)].image(str(plot), caption=plot.stem.replace("_", " "), width="stretch")
    with st.expander("Full report.json"):
        st.json(report, expanded=False)


# ----------------------------------------------------------------------------- sidebar and page
def sidebar(settings: Settings) -> None:
    with st.sidebar:
        st.header("clinrag")
        st.caption("Offline clinical guideline QA with cited, verified answers.")
        st.markdown("**Index location**")
        st.code(str(settings.index_dir), language=None)
        try:
            count = len(get_app(settings).store.documents())
            st.metric("Documents", count)
        except Exception as exc:  # noqa: BLE001
            st.caption(f"Index not readable: {R.escape_inline(exc)}")
        st.caption(f"Settings fingerprint `{settings.fingerprint()}`")
        st.divider()
        st.markdown(f"**{R.NOTICE}**")


def main() -> None:
    try:
        settings = load_settings()
    except ClinragError as exc:
        st.error(R.escape_md(str(exc)))
        st.stop()
        return
    st.title("clinrag — clinical guideline QA")
    ask, library, evaluation = st.tabs(["Ask", "Library", "Evaluation"])
    with ask:
        ask_tab(settings)
    with library:
        library_tab(settings)
    with evaluation:
        evaluation_tab()
    sidebar(settings)  # last, so the document count includes an ingest made in this run


main()
