"""A ``Document`` from extracted text and its metadata (shared by every format), and metadata overrides: doc_id,
title, issuer, version, date and status validated and neutralised the same way wherever they come from."""

from __future__ import annotations

import datetime
import json
import os
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from clinrag.errors import (
    CorruptFileError,
    EmptyDocumentError,
    EncodingError,
    FileTooLargeError,
    IngestError,
    MetadataError,
)
from clinrag.records import Document, Page, Section, sha256_bytes
from ingest.sanitize import Finding, display_path, flags_of, has_lone_surrogate, inline, neutralise_inline

# Default of the setting ``ingest.max_text_chars``: what one file may hold once extracted:
# about 20 MB of text, some 25,000 chunks to embed; above that the file is refused by name.
MAX_TEXT_CHARS = 20_000_000
MAX_DOC_ID_CHARS = 200
# C0 controls except tab and newline, DEL, and C1 controls (\x9b is a one-byte escape sequence introducer)
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_KNOWN_KEYS = {"doc_id", "title", "issuer", "version", "date", "effective_date", "status", "text"}
STATUSES = ("current", "superseded")
# fields that ``apply_metadata`` may override (what a person can correct when uploading a file)
METADATA_KEYS = frozenset({"title", "issuer", "version", "date", "status", "doc_id"})


def text_too_large(path: Path | str, n_chars: int, limit: int) -> FileTooLargeError:
    return FileTooLargeError(
        display_path(path),
        f"extracted text is {n_chars / 1e6:.1f} million characters, above the {limit / 1e6:.0f} million-character "
        "limit of what is embedded",
        "split the document into smaller files",
    )


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80] or "document"


def check_strings(where: str, value: Any, field: str = "") -> None:
    """A lone surrogate (``"\\ud800"`` in JSON or YAML) cannot be stored or printed: name the field."""
    if isinstance(value, str):
        offset = has_lone_surrogate(value)
        if offset >= 0:
            raise EncodingError(
                where,
                f"field {field or 'value'!r} holds a lone surrogate U+{ord(value[offset]):04X} at character {offset}",
                "fix the \\u escape (a surrogate pair needs both halves)",
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            check_strings(where, str(key), f"{field}.key" if field else "key")
            check_strings(where, item, f"{field}.{key}" if field else str(key))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            check_strings(where, item, f"{field}[{i}]")


def first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return inline(line[:400])[:200]
    return ""


def _doc_id(where: str, value: Any, path: Path) -> str:
    if value is None or value == "":
        return slug(Path(str(path).split("#")[0]).stem)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise CorruptFileError(where, f"doc_id must be text, found a {type(value).__name__}")
    doc_id = str(value).strip()
    if not doc_id or len(doc_id) > MAX_DOC_ID_CHARS or inline(doc_id, MAX_DOC_ID_CHARS + 1) != doc_id:
        raise CorruptFileError(
            where, f"doc_id {display_path(doc_id)[:80]!s} is not one line of printable text of at most {MAX_DOC_ID_CHARS} characters",
            "use letters, digits and dashes",
        )
    return doc_id


def build_document(
    path: Path,
    text: str,
    sha256: str,
    meta: dict[str, Any],
    *,
    default_title: str,
    pages: tuple[Page, ...] = (),
    sections: tuple[Section, ...] = (),
    findings: tuple[Finding, ...] = (),
    where: str | None = None,
    origin: str | None = None,
) -> Document:
    where = where or display_path(path)
    check_strings(where, meta)
    check_strings(where, text, "text")
    if not text.strip():
        raise EmptyDocumentError(where, "document has no text")
    status = _status(meta.get("status"))
    if status is None:
        raise CorruptFileError(where, _status_problem(meta.get("status")))
    flags = set(flags_of(findings))
    fields: dict[str, str] = {}
    for key in ("title", "issuer", "version"):
        value, found = neutralise_inline(str(meta.get(key) or ""))
        fields[key] = value
        flags |= found
    date = inline(str(meta.get("effective_date") or meta.get("date") or ""), 40)
    extra = {k: _plain(v) for k, v in meta.items() if k not in _KNOWN_KEYS}
    return Document(
        doc_id=_doc_id(where, meta.get("doc_id"), path),
        title=fields["title"] or default_title or inline(Path(path).stem),
        text=text,
        source_path=display_path(path),
        sha256=sha256,
        issuer=fields["issuer"],
        version=fields["version"],
        date=date,
        status=status,
        pages=pages,
        sections=sections,
        metadata=extra,
        findings=findings,
        flags=tuple(sorted(flags)),
        origin=origin or os.path.abspath(path),
    )


def _status(value: Any) -> str | None:
    """``current`` (the default) or ``superseded`` in lower case; None for anything else."""
    status = str(value or "current").lower()
    return status if status in STATUSES else None


def _status_problem(value: Any) -> str:
    return f"status must be 'current' or 'superseded', found {display_path(str(value).lower())[:40]!r}"


def _plain(value: Any) -> Any:
    """Front-matter values as JSON-safe data (YAML dates become ISO strings)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def apply_metadata(document: Document, overrides: Mapping[str, Any], where: str) -> Document:
    """``document`` with its fields replaced by ``overrides`` (keys among ``METADATA_KEYS``), validated and
    neutralised as front matter is: title, issuer and version flattened to one line with hidden or instruction-like
    text neutralised (its flags join the document's), date one line of at most 40 characters, status ``current`` or
    ``superseded``, doc_id one line of printable text. An empty value (or None) keeps the file's own value.

    The document's ``sha256`` becomes a hash of the file's hash and the overrides applied, so the same file ingested
    with other metadata is an update rather than "unchanged"; ``metadata`` keeps the file's hash under
    ``file_sha256`` and the overrides under ``metadata_overrides``. Raises ``MetadataError`` naming ``where`` and
    the key."""
    if not isinstance(overrides, Mapping):
        raise MetadataError(where, f"metadata overrides must be a mapping of field to value, found a {type(overrides).__name__}")
    unknown = sorted(str(k) for k in overrides if k not in METADATA_KEYS)
    if unknown:
        raise MetadataError(
            where, f"unknown metadata field {display_path(unknown[0])[:60]!r}",
            f"use only {', '.join(sorted(METADATA_KEYS))}",
        )
    try:
        check_strings(where, dict(overrides))
        applied = _overrides(document, overrides, where)
    except MetadataError:
        raise
    except IngestError as exc:
        raise MetadataError(where, f"metadata override: {exc.reason}", exc.fix) from exc
    if not applied:
        return document
    flags = set(document.flags) | set(applied.pop("_flags", ()))
    canonical_overrides = json.dumps(applied, sort_keys=True, ensure_ascii=False)
    return replace(
        document,
        **applied,
        sha256=sha256_bytes(f"{document.sha256}\n{canonical_overrides}".encode()),
        flags=tuple(sorted(flags)),
        metadata={**document.metadata, "file_sha256": document.sha256, "metadata_overrides": applied},
    )


def _overrides(document: Document, overrides: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The validated new values of the fields ``overrides`` changes (empty values left out), plus ``_flags``
    when neutralising a value found something."""
    applied: dict[str, Any] = {}
    found: set[str] = set()
    for key in sorted(overrides):
        value = overrides[key]
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int, float, datetime.date)):
            raise MetadataError(where, f"metadata field {key!r} must be text, found a {type(value).__name__}",
                                "give it as a string")
        text = value.isoformat() if isinstance(value, datetime.date) else str(value)
        if key in ("title", "issuer", "version"):
            clean, flags = neutralise_inline(text)
            if clean:
                applied[key] = clean
                found |= flags
        elif key == "date":
            if inline(text, 40):
                applied[key] = inline(text, 40)
        elif key == "status":
            status = _status(text)
            if status is None:
                raise MetadataError(where, f"metadata override: {_status_problem(text)}", "choose current or superseded")
            applied[key] = status
        else:  # doc_id
            applied[key] = _doc_id(where, text, Path(document.source_path))
    if found:
        applied["_flags"] = sorted(found)
    return applied
