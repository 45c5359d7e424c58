"""The Audit page (admin and evaluator roles): the hash-chained audit log in the app.

Recent answers and refusals, library changes and other events (evaluation runs, account changes), each with the user
who made it; filters by type, user, date and text; a "Verify chain" button that walks the whole chain and says where
it breaks; and the filtered records as CSV or JSONL (the same files as ``clinrag audit export``). Questions in the
log are already redacted; nothing here reads the index's documents.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from clinrag.settings import Settings
from stores.audit import (ANSWER_TYPES, EVENT_TYPES, AuditLog, audit_path, export_csv, export_jsonl, export_row,
                          filter_records, records_of)
from stores.users import Identity, require
from ui import render as R
from ui.access import permitted
from ui.runtime import show_error

TYPES = ANSWER_TYPES + EVENT_TYPES
LIBRARY_TYPES = ("library", "ingest")
ANSWER_COLUMNS = ["seq", "time", "user", "decision", "refusal_code", "groundedness", "question", "redacted", "cited",
                  "generator"]
CHANGE_COLUMNS = ["seq", "time", "user", "type", "action", "doc_id", "detail", "other"]
EVENT_COLUMNS = ["seq", "time", "user", "type", "action", "other"]


def table_rows(records: list[dict[str, Any]], columns: list[str], newest_first: bool = True) -> list[dict[str, Any]]:
    """The records as display rows of ``columns`` (``stores.audit.export_row``), newest first."""
    rows = [{c: export_row(line)[c] for c in columns} for line in records]
    return rows[::-1] if newest_first else rows


def verify_section(log: AuditLog, identity: Identity) -> None:
    if st.button("Verify chain", key="audit-verify", icon=":material/verified:"):
        try:
            require(identity, "audit")
            result = log.verify()
        except Exception as exc:  # noqa: BLE001
            show_error(exc)
            return
        st.session_state["audit-verification"] = (result.ok, result.message())
    outcome = st.session_state.get("audit-verification")
    if outcome:
        ok, message = outcome
        if ok:
            st.success(R.escape_md(f"The chain verifies: {message}"), icon=":material/verified:")
        else:
            st.error(R.escape_md(f"The chain is broken: {message}"), icon=":material/gpp_bad:")


def filters(records: list[dict[str, Any]]) -> dict[str, Any]:
    c1, c2 = st.columns(2)
    types = c1.multiselect("Types", TYPES, default=list(TYPES), key="audit-types")
    users = sorted({str(r.get("user") or "") for r in records})
    chosen_users = c2.multiselect("Users (none chosen: all)", users, key="audit-users")
    c3, c4, c5, c6 = st.columns([1, 1, 2, 1])
    since = c3.date_input("From (UTC)", value=None, key="audit-since")
    until = c4.date_input("To (UTC)", value=None, key="audit-until")
    text = c5.text_input("Contains (question, document, user, detail)", key="audit-text")
    latest = c6.number_input("Latest records", min_value=1, value=200, step=50, key="audit-latest")
    return {
        "types": types, "users": chosen_users or None, "text": text,
        "since": since.isoformat() if isinstance(since, date) else None,
        "until": until.isoformat() if isinstance(until, date) else None, "latest": int(latest),
    }


def audit_page(settings: Settings, identity: Identity) -> None:
    if not permitted(identity, "audit"):
        return
    log = AuditLog(audit_path(settings.index_dir, settings))
    st.markdown("Every answer and refusal (with the redacted question) and every change made by a person is one line "
                f"of the hash-chained log `{R.escape_inline(log.path)}`; each line names its user.")
    verify_section(log, identity)
    try:
        records = records_of(log.read())
    except Exception as exc:  # noqa: BLE001 - a line that is not JSON: verify names it
        show_error(exc)
        return
    if not records:
        st.info("The audit log holds no records yet.")
        return
    chosen = filters(records)
    found = filter_records(records, types=chosen["types"], users=chosen["users"], since=chosen["since"],
                           until=chosen["until"], text=chosen["text"])
    answers = [r for r in found if r.get("type") in ANSWER_TYPES]
    changes = [r for r in found if r.get("type") in LIBRARY_TYPES]
    others = [r for r in found if r.get("type") not in ANSWER_TYPES + LIBRARY_TYPES]
    cols = st.columns(4)
    cols[0].metric("Records shown", f"{len(found)} of {len(records)}")
    cols[1].metric("Answers", sum(r.get("type") == "answer" for r in found))
    cols[2].metric("Refusals", sum(r.get("type") == "refusal" for r in found))
    cols[3].metric("Library changes", len(changes))
    latest = chosen["latest"]
    st.subheader(f"Answers and refusals ({len(answers)})")
    if answers:
        st.dataframe(table_rows(answers[-latest:], ANSWER_COLUMNS), hide_index=True)
    st.subheader(f"Library changes ({len(changes)})")
    if changes:
        st.dataframe(table_rows(changes[-latest:], CHANGE_COLUMNS), hide_index=True)
    if others:
        with st.expander(f"Evaluation runs and account changes ({len(others)})"):
            st.dataframe(table_rows(others[-latest:], EVENT_COLUMNS), hide_index=True)
    left, right = st.columns(2)
    left.download_button("Export CSV", export_csv(found), file_name="clinrag-audit.csv", mime="text/csv",
                         key="audit-export-csv", icon=":material/download:",
                         help="The filtered records, one flat row each")
    right.download_button("Export JSONL", export_jsonl(found), file_name="clinrag-audit.jsonl",
                          mime="application/jsonl", key="audit-export-jsonl", icon=":material/download:",
                          help="The filtered records exactly as logged, hashes included")
