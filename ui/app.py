"""Streamlit UI of clinrag: Ask (a chat with cited, verified answers), Library and Evaluation.

Start it with ``clinrag ui`` (binds 127.0.0.1 unless ``--host`` says otherwise) or ``streamlit run ui/app.py``.
Document text is untrusted: it is only ever shown through ``ui.render`` escaping, ``st.text``, ``st.json`` or
``st.dataframe``; nothing here uses ``unsafe_allow_html``. Questions never go into URLs.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `streamlit run ui/app.py` puts ui/ first on sys.path, not the repo
    sys.path.insert(0, str(REPO_ROOT))

import streamlit as st  # noqa: E402

from clinrag.errors import ClinragError  # noqa: E402
from clinrag.settings import Settings, load_settings  # noqa: E402
from ui import render as R  # noqa: E402
from ui.ask import ask_page  # noqa: E402
from ui.evaluation import evaluation_page  # noqa: E402
from ui.library import library_page  # noqa: E402
from ui.runtime import login_gate, runtime  # noqa: E402

st.set_page_config(page_title="clinrag — guideline QA", page_icon="🩺", layout="wide")


def sidebar(settings: Settings) -> None:
    with st.sidebar:
        st.header("clinrag")
        st.caption("Offline clinical guideline QA with cited, verified answers.")
        try:
            documents = runtime(settings).app.store.documents()
            st.metric("Documents", len(documents))
            latest = max((d.get("date") or "" for d in documents), default="")
            if latest:
                st.caption(f"Newest guideline date: {R.escape_inline(latest)}")
        except Exception as exc:  # noqa: BLE001
            st.caption(f"Index not readable: {R.escape_inline(exc)}")
        st.markdown("**Index location**")
        st.code(str(settings.index_dir), language=None)
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
    if not login_gate(settings):
        return
    st.title("clinrag — clinical guideline QA")
    ask, library, evaluation = st.tabs(["Ask", "Library", "Evaluation"])
    with library:
        library_page(settings)
    with evaluation:
        evaluation_page(settings)
    with ask:
        ask_page(settings)  # last: a new question reruns the script once it is answered
    sidebar(settings)  # after the pages, so the document count includes an ingest made in this run


main()
