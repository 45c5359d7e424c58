"""JSONL corpus files: one document a line; a bad line is an error for that record, not for the file."""

from __future__ import annotations

import json
import os
from pathlib import Path

from clinrag.errors import (
    CorruptFileError,
    EmptyDocumentError,
    FileTooLargeError,
    IngestError,
)
from clinrag.records import Document, sha256_bytes
from ingest.documents import CONTROL_CHARS, MAX_TEXT_CHARS, build_document, check_strings, first_line
from ingest.sanitize import display_path, inline, neutralise

def parse_jsonl(path: Path, text: str) -> list[Document]:
    documents, errors = parse_jsonl_lenient(path, text)
    if errors:
        raise errors[0]
    return documents


def parse_jsonl_lenient(
    path: Path, text: str, max_text_chars: int = MAX_TEXT_CHARS
) -> tuple[list[Document], list[IngestError]]:
    """One document a line; a bad line is an error for that record (named ``file line N``), not for the file."""
    documents: list[Document] = []
    errors: list[IngestError] = []
    seen: dict[str, int] = {}
    shown = display_path(path)
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            document = _jsonl_record(path, shown, number, line, seen, max_text_chars)
        except IngestError as exc:
            errors.append(exc)
            continue
        except Exception as exc:  # noqa: BLE001 - one record must never cost the file
            errors.append(CorruptFileError(shown, f"line {number}: unexpected {type(exc).__name__}: {inline(str(exc), 200)}"))
            continue
        seen[document.doc_id] = number
        documents.append(document)
    if not documents and not errors:
        raise EmptyDocumentError(shown, "JSONL file holds no documents")
    return documents, errors


def _jsonl_record(path: Path, shown: str, number: int, line: str, seen: dict[str, int], max_text_chars: int) -> Document:
    try:
        return _jsonl_document(path, shown, line, seen, max_text_chars)
    except IngestError as exc:  # name the line: "corpus.jsonl: line 12: ..."
        raise type(exc)(shown, f"line {number}: {exc.reason}", exc.fix) from exc


def _jsonl_document(path: Path, where: str, line: str, seen: dict[str, int], max_text_chars: int) -> Document:
    if len(line) > max_text_chars:
        raise FileTooLargeError(
            where, f"the record is {len(line) / 1e6:.1f} million characters, above the {max_text_chars / 1e6:.0f} "
            "million-character limit of what is embedded", "split the document into several records",
        )
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CorruptFileError(where, f"not valid JSON ({exc.msg})", "one JSON object per line") from exc
    except RecursionError as exc:
        raise CorruptFileError(where, "JSON nested too deeply", "one flat JSON object per line") from exc
    if not isinstance(record, dict):
        raise CorruptFileError(where, f"is a JSON {type(record).__name__}, expected a JSON object")
    check_strings(where, record)
    doc_id, body = record.get("doc_id"), record.get("text")
    if not isinstance(doc_id, str) or not doc_id.strip():
        raise CorruptFileError(where, "no string 'doc_id'", "every line needs a \"doc_id\"")
    if not isinstance(body, str) or not body.strip():
        raise CorruptFileError(where, f"doc_id {display_path(doc_id)[:80]} has no text")
    if doc_id in seen:
        raise CorruptFileError(
            where, f"repeats doc_id {display_path(doc_id)[:80]} of line {seen[doc_id]}", "doc_ids must be unique in a file"
        )
    body = CONTROL_CHARS.sub("", body)
    body, findings = neutralise(body)
    meta = {k: v for k, v in record.items() if k != "text"}
    return build_document(
        Path(f"{path}#{doc_id}"), body, sha256_bytes(line.encode()), meta, default_title=first_line(body), findings=findings,
        where=where, origin=f"{os.path.abspath(path)}#{doc_id}",
    )
