"""Streamlit UI of clinrag: Ask (a chat with cited, verified answers), Library, Evaluation, Audit and Users.

Each page is shown only to the roles that may use it (``stores.users.PERMISSIONS``, checked again by the page and
by each of its actions); who is signed in comes from ``ui.access.sign_in``.

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
from stores.users import Identity  # noqa: E402
from ui import render as R  # noqa: E402
from ui.access import sign_in, sign_out  # noqa: E402
from ui.ask import ask_page  # noqa: E402
from ui.audit import audit_page  # noqa: E402
from ui.evaluation import evaluation_page  # noqa: E402
from ui.library import library_page  # noqa: E402
from ui.runtime import runtime  # noqa: E402
from ui.users import users_page  # noqa: E402

st.set_page_config(page_title="clinrag — guideline QA", page_icon="🩺", layout="wide")


# (tab label, the action that opens it, the page); rendered in this order with Ask last, shown in PAGE_ORDER
PAGES = (
    ("Library", "library", library_page),
    ("Evaluation", "evaluate", evaluation_page),
    ("Audit", "audit", audit_page),
    ("Users", "users", users_page),
    ("Ask", "ask", ask_page),  # last: a new question reruns the script once it is answered
)
PAGE_ORDER = ("Ask", "Library", "Evaluation", "Audit", "Users")


def sidebar(settings: Settings, identity: Identity) -> None:
    with st.sidebar:
        st.header("clinrag")
        st.caption("Offline clinical guideline QA with cited, verified answers.")
        roles = ", ".join(sorted(identity.roles)) or "no role"
        st.markdown(f"Signed in as **{R.escape_inline(identity.name)}** ({R.escape_inline(roles)})")
        if identity.source in {"accounts", "password"} and st.button("Sign out", key="sign-out"):
            sign_out()
            st.rerun()
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
    identity = sign_in(settings)
    if identity is None:
        return
    st.title("clinrag — clinical guideline QA")
    pages = [(label, page) for label, action, page in PAGES if identity.may(action)]
    if pages:
        labels = [label for label in PAGE_ORDER if label in dict(pages)]
        tabs = dict(zip(labels, st.tabs(labels)))
        for label, page in pages:
            with tabs[label]:
                page(settings, identity)
    else:
        st.warning(R.escape_md(f"{identity.name} holds no role that opens a page; an admin grants one with "
                               f"`clinrag users add {identity.name} --role clinician --replace`."))
    sidebar(settings, identity)  # after the pages, so the document count includes an ingest made in this run


main()
