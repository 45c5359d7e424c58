"""The Library page: upload guidelines with their metadata, watch the ingest, supersede, retire, restore or
delete documents, and mark issuers trusted or untrusted, through the same library service as ``clinrag library``. Only the librarian role sees the page or
may act on it; each change is appended to the audit log with the librarian's name (``stores.audit.record_event``).

Uploads are checked (type by extension and content, size against ``max_file_mb``) and saved under a fresh folder
per upload inside ``upload_dir``, so two uploads with the same name never overwrite each other while the file name,
which gives the default doc_id, stays as the librarian chose it (made safe).
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import streamlit as st

from clinrag.settings import Settings
from stores.audit import record_event
from stores.users import Identity, require
from ingest.library import Library
from ui import render as R
from ui.access import permitted
from ui.runtime import Runtime, runtime, show_error

STATUS_CHOICES = ("current", "superseded")
ACTIONS = ("supersede", "retire", "restore", "delete")


def upload_problem(name: str, data: bytes, max_mb: float) -> str | None:
    """Why an uploaded file is refused before ingest (None when it may go on)."""
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in R.UPLOAD_TYPES and suffix != "markdown":
        return f"{name}: unsupported type .{suffix or '(none)'} (expected {', '.join(R.UPLOAD_TYPES)})"
    if not data:
        return f"{name}: the file is empty"
    if len(data) > max_mb * 1e6:
        return f"{name}: {len(data) / 1e6:.1f} MB is above the {max_mb:.0f} MB limit"
    if suffix == "pdf" and not data.lstrip()[:5].startswith(b"%PDF-"):
        return f"{name}: named .pdf but is not a PDF file (it does not start with %PDF-)"
    return None


def save_upload(upload_dir: Path, name: str, data: bytes) -> Path:
    """Write one upload under a new folder of its own; returns the file's path."""
    folder = Path(upload_dir) / f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}"
    folder.mkdir(parents=True, exist_ok=False)
    target = folder / R.safe_upload_name(name)
    target.write_bytes(data)
    return target


def metadata_form(documents: list[dict[str, Any]]) -> dict[str, Any]:
    st.caption("Metadata for a single file (leave a field empty to keep what the file says).")
    c1, c2 = st.columns(2)
    values = {
        "title": c1.text_input("Title", key="meta-title"),
        "issuer": c2.text_input("Issuer", key="meta-issuer"),
        "version": c1.text_input("Version", key="meta-version"),
        "date": c2.text_input("Effective date (YYYY-MM-DD)", key="meta-date"),
        "doc_id": c1.text_input("Document id (optional)", key="meta-doc-id"),
        "status": c2.selectbox("Status", STATUS_CHOICES, key="meta-status"),
    }
    current = [d["doc_id"] for d in documents if not d.get("retired")]
    values["supersedes"] = st.selectbox("Supersedes (an indexed document this one replaces)", ["(none)"] + current,
                                        key="meta-supersedes")
    return values


def ingest_uploads(settings: Settings, rt: Runtime, files, meta: dict[str, Any], identity: Identity) -> None:
    require(identity, "library")
    checked = [(f, upload_problem(f.name, f.getvalue(), settings.max_file_mb)) for f in files]
    problems = [problem for _, problem in checked if problem]
    accepted = [f for f, problem in checked if problem is None]
    st.session_state["ingest_result"] = {"report": None, "refused": problems, "superseded": None}
    if not accepted:
        return
    paths = [save_upload(settings.upload_dir, f.name, f.getvalue()) for f in accepted]
    overrides = {k: v.strip() for k, v in meta.items() if k not in {"supersedes", "status"} and isinstance(v, str) and v.strip()}
    if meta.get("status") and meta["status"] != "current":
        overrides["status"] = meta["status"]
    metadata = {str(paths[0]): overrides} if overrides and len(paths) == 1 else None
    if overrides and len(paths) > 1:
        st.warning("Metadata applies to a single file; it was not applied to these files.")
    bar = st.progress(0.0, text=f"Ingesting {len(paths)} file(s)…")

    def on_progress(done: int, total: int, name: str) -> None:
        bar.progress(done / max(total, 1), text=f"{done}/{total} file(s) ingested — last: {name}")

    with rt.write_lock:
        report = rt.app.ingest(paths, metadata=metadata, on_progress=on_progress, user=identity.name)
    bar.progress(1.0, text="Ingest finished")
    result: dict[str, Any] = {"report": report, "refused": problems, "superseded": None}
    st.session_state["ingest_result"] = result
    record_event(settings, "ingest", identity.name, files=[p.name for p in paths], added=list(report.added),
                 updated=list(report.updated), failed=[Path(path).name for path, _ in report.failed])
    target = meta.get("supersedes")
    new_ids = list(report.added) + list(report.updated) + list(report.unchanged)
    if target and target != "(none)" and report.ok and len(new_ids) == 1:
        reason = "replaced by an upload"
        result["superseded"] = Library(rt.app.store, user=identity.name).supersede(target, by=new_ids[0], reason=reason)
        record_event(settings, "library", identity.name, action="supersede", doc_id=target, by=new_ids[0], detail=reason)


def show_ingest_result() -> None:
    result = st.session_state.get("ingest_result")
    if not result:
        return
    for problem in result.get("refused") or []:
        st.error(R.escape_md(f"Refused before ingest: {problem}"))
    report = result["report"]
    if report is None:
        return
    summary, failures = R.ingest_summary(report)
    (st.success if report.ok else st.warning)(f"Last ingest: {summary}")
    for label, ids in (("Added", report.added), ("Updated", report.updated), ("Unchanged", report.unchanged)):
        if ids:
            st.markdown(f"**{label}:** " + ", ".join(R.escape_inline(i) for i in ids))
    for failure in failures:
        st.error(f"Failed: {failure}")
    for flagged in getattr(report, "flagged", []) or []:
        st.warning(R.escape_md(f"{flagged['doc_id']}: flagged ({', '.join(flagged['flags'])}); instruction-like or "
                               "hidden text was neutralised and is never followed"))
    if result.get("superseded"):
        doc = result["superseded"]
        st.info(R.escape_md(f"{doc['doc_id']} is now marked superseded by {doc.get('superseded_by')}."))


def document_table(documents: list[dict[str, Any]]) -> None:
    rows = R.document_rows(documents)
    for row, doc in zip(rows, documents):
        row["retired"] = bool(doc.get("retired"))
        row["superseded_by"] = doc.get("superseded_by") or ""
        row["flags"] = ", ".join(doc.get("flags") or [])
    narrow = st.column_config.TextColumn(width="small")
    st.dataframe(
        rows, hide_index=True,
        column_order=["doc_id", "title", "issuer", "version", "date", "status", "retired", "superseded_by", "chunks",
                      "pages", "flags", "source_path"],
        column_config={"title": st.column_config.TextColumn(width="medium"), "issuer": narrow, "source_path": narrow},
    )


def actions_form(settings: Settings, rt: Runtime, documents: list[dict[str, Any]], identity: Identity) -> None:
    ids = [d["doc_id"] for d in documents]
    with st.form("library-action"):
        c1, c2 = st.columns(2)
        doc_id = c1.selectbox("Document", ids, key="action-doc")
        action = c2.radio("Action", ACTIONS, horizontal=True, key="action-kind",
                          help="supersede: keep it, flagged, pointing to its replacement · retire: exclude it from "
                               "answers, keep it for audit · restore: undo retire · delete: remove it from the index")
        by = c1.selectbox("Superseded by (for supersede)", ["(choose)"] + ids, key="action-by")
        reason = c2.text_input("Reason (logged)", key="action-reason")
        confirm = st.checkbox("I understand that delete removes the document from the index", key="action-confirm")
        go = st.form_submit_button("Apply", type="primary")
    if not go:
        return
    library = Library(rt.app.store, user=identity.name)
    try:
        require(identity, "library")
        with rt.write_lock:
            if action == "supersede":
                if by == "(choose)":
                    st.warning("Choose the document that supersedes it.")
                    return
                library.supersede(doc_id, by=by, reason=reason)
                message = f"{doc_id} is now superseded by {by}."
            elif action == "retire":
                library.retire(doc_id, reason=reason)
                message = f"{doc_id} is retired: excluded from answers, kept for audit."
            elif action == "restore":
                library.restore(doc_id)
                message = f"{doc_id} is back in search."
            else:
                if not confirm:
                    st.warning("Tick the confirmation box to delete.")
                    return
                library.delete(doc_id, reason=reason)
                message = f"{doc_id} was deleted from the index."
        record_event(settings, "library", identity.name, action=action, doc_id=doc_id, detail=reason,
                     by=by if action == "supersede" else None)
    except Exception as exc:  # noqa: BLE001
        show_error(exc)
        return
    st.session_state["library_message"] = message
    st.rerun()


TRUST_ACTIONS = {"trusted": "trust", "untrusted": "distrust", "no mark (unknown)": "untrust"}


def issuer_trust_section(settings: Settings, rt: Runtime, identity: Identity) -> None:
    """The librarian's issuer trust: every issuer with its mark, and a form to set it (the same library service as
    ``clinrag library trust|distrust|untrust``). A trusted issuer's side is followed when current documents disagree;
    an untrusted issuer's document is never the sole basis of an answer."""
    library = Library(rt.app.store, user=identity.name)
    issuers = library.issuers()
    st.dataframe([{"issuer": r["issuer"] or "(no issuer)", "trust": r["trust"], "current": r["current"],
                   "documents": r["documents"], "reason": r["reason"], "since": r["updated_at"] or ""} for r in issuers],
                 hide_index=True)
    names = [r["issuer"] for r in issuers if r["issuer"]]
    if not names:
        return
    with st.form("issuer-trust"):
        c1, c2 = st.columns(2)
        issuer = c1.selectbox("Issuer", names, key="trust-issuer")
        mark = c2.radio("Mark", list(TRUST_ACTIONS), horizontal=True, key="trust-mark",
                        help="trusted: followed when current documents disagree · untrusted: never the sole basis of "
                             "an answer · no mark: neither")
        reason = st.text_input("Reason (logged)", key="trust-reason")
        go = st.form_submit_button("Set trust")
    if not go:
        return
    action = TRUST_ACTIONS[mark]
    try:
        require(identity, "library")
        with rt.write_lock:
            if action == "untrust":
                if next(r for r in issuers if r["issuer"] == issuer)["trust"] == "unknown":
                    st.info(R.escape_md(f"{issuer} has no trust mark."))
                    return
                library.untrust(issuer)
            else:
                getattr(library, action)(issuer, reason=reason)
        record_event(settings, "library", identity.name, action=action, doc_id=f"issuer:{issuer}", detail=reason)
    except Exception as exc:  # noqa: BLE001
        show_error(exc)
        return
    st.session_state["library_message"] = f"{issuer} is now {'unknown (no mark)' if action == 'untrust' else mark}."
    st.rerun()


LOG_COLUMNS = ("seq", "at", "action", "user", "doc_id", "file", "sha256", "chunks_added", "chunks_removed", "outcome",
               "detail")


def ingest_log_section(rt: Runtime) -> None:
    """Every change to the library, newest first (``clinrag library log``), and a check of its hash chain."""
    library = Library(rt.app.store)
    entries = library.history()
    st.subheader(f"Ingest log ({len(entries)} changes)")
    st.caption("Every ingest, update, removal, deletion, supersession, retirement, restoration and trust mark, who made "
               "it, which file and sha256, chunks added and removed, and the outcome; hash-chained.")
    st.dataframe([{k: e[k] for k in LOG_COLUMNS} for e in reversed(entries[-500:])], hide_index=True)
    if st.button("Verify the ingest log", key="verify-ingest-log"):
        result = library.verify_history()
        (st.success if result.ok else st.error)(R.escape_md(result.message()))


def library_page(settings: Settings, identity: Identity) -> None:
    if not permitted(identity, "library"):
        return
    st.info(R.LIBRARY_NOTICE, icon=":material/info:")
    try:
        rt = runtime(settings)
        documents = Library(rt.app.store).list()
    except Exception as exc:  # noqa: BLE001
        show_error(exc)
        return
    message = st.session_state.pop("library_message", None)
    if message:
        st.success(R.escape_md(message))
    st.subheader(f"Indexed documents ({len(documents)})")
    if documents:
        document_table(documents)
        retired = sum(1 for d in documents if d.get("retired"))
        superseded = sum(1 for d in documents if (d.get("status") or "") == "superseded")
        st.caption(f"{superseded} superseded (flagged in answers) · {retired} retired (excluded from answers, kept for audit)")
        st.subheader("Supersede, retire, restore or delete")
        actions_form(settings, rt, documents, identity)
        st.subheader("Issuer trust")
        st.caption("When current documents disagree, the answer follows a trusted issuer's; an untrusted issuer's "
                   "document is never the sole basis of an answer.")
        issuer_trust_section(settings, rt, identity)
        ingest_log_section(rt)
    else:
        st.write(f"The index at {R.escape_inline(settings.index_dir)} holds no documents yet. Upload files below "
                 "or run `clinrag ingest corpora/`.")

    st.subheader("Add documents")
    with st.form("upload-form", clear_on_submit=True):
        files = st.file_uploader("PDF, Markdown, text or JSONL files", type=list(R.UPLOAD_TYPES) + ["markdown"],
                                 accept_multiple_files=True, key="uploads")
        meta = metadata_form(documents)
        go = st.form_submit_button("Ingest uploaded files", type="primary")
    if go:
        if not files:
            st.warning("Choose at least one file to ingest.")
        else:
            try:
                ingest_uploads(settings, rt, files, meta, identity)
            except Exception as exc:  # noqa: BLE001
                show_error(exc)
            else:
                st.rerun()
    show_ingest_result()
