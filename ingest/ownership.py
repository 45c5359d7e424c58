"""Who owns a doc_id: the source file that brought it. The same file re-ingested is an update; another file may take
the doc_id only with ``replace``, when its front matter says ``supersedes: <doc_id>``, or when the doc_id is released.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from clinrag.records import Document
from ingest.sanitize import display


def source_key(document: Document) -> str:
    """Where a document came from, as an absolute path (``#doc_id`` added for a JSONL record)."""
    return document.origin or os.path.abspath(document.source_path)


def supersedes_ids(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value.strip()} if value.strip() else set()
    if isinstance(value, (list, tuple)):
        return {str(v).strip() for v in value if str(v).strip()}
    return set()


def claim_conflict(existing: Mapping[str, Any] | None, document: Document, replace: bool) -> str | None:
    """Why ``document`` may not take its doc_id from the document the index holds under it, or None.

    The same source file re-ingested is an update; another file may take the doc_id only with ``replace`` or
    when its front matter says ``supersedes: <that doc_id>``."""
    if existing is None or replace:
        return None
    stored_key, stored_path = str(existing.get("source_key") or ""), str(existing.get("source_path") or "")
    if stored_key:
        if stored_key == source_key(document):
            return None
    elif _legacy_same_source(stored_path, document):
        return None
    if document.doc_id in supersedes_ids(document.metadata.get("supersedes")):
        return None
    return f"doc_id {display(document.doc_id, 120)} is already held by {display(stored_path, 300)}"


def conflict_fix(doc_id: str) -> str:
    return (
        f"give this document another doc_id, add 'supersedes: {display(doc_id, 120)}' to its front matter, "
        "or ingest it with --replace"
    )


def _legacy_same_source(stored: str, document: Document) -> bool:
    """Rows written before source keys were stored: the same file name (and JSONL record) counts as the same."""
    suffix = f"#{document.doc_id}"
    if document.origin.endswith(suffix):  # a JSONL record: the stored path must name the same record
        return stored.endswith(suffix) and Path(stored[: -len(suffix)]).name == Path(document.origin[: -len(suffix)]).name
    return Path(stored).name == Path(document.origin or document.source_path).name
