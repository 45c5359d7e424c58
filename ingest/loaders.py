"""Turn files into Documents. Parsing of text formats is pure; only ``load_pdf`` touches the PDF library.

Every failure raises an ``IngestError`` subclass that names the file, the reason and the fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from clinrag.errors import (
    CorruptFileError,
    EmptyDocumentError,
    EncodingError,
    EncryptedFileError,
    FileTooLargeError,
    IngestError,
    UnsupportedFormatError,
)
from ingest.records import Document, Page, Section, sha256_bytes

SUPPORTED_SUFFIXES = {".pdf", ".md", ".markdown", ".txt", ".text", ".jsonl"}
PDF_META_KEY = "/ClinragMeta"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_KNOWN_KEYS = {"doc_id", "title", "issuer", "version", "date", "effective_date", "status", "text"}


def iter_input_files(paths: list[Path]) -> Iterator[Path]:
    """Files named directly, and supported files found in folders (skipping names that start with ``_`` or
    ``.`` and README/NOTICE files, which describe a folder rather than belong to it)."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path).parts
                if any(part.startswith(("_", ".")) for part in rel):
                    continue
                if child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES:
                    if child.stem.upper() in {"README", "NOTICE", "LICENSE"}:
                        continue
                    yield child
        else:
            yield path


def load_file(path: Path, max_bytes: int) -> list[Document]:
    """Documents of one file (a JSONL corpus file holds many)."""
    if not path.exists():
        raise IngestError(path, "file not found", "check the path")
    if not path.is_file():
        raise IngestError(path, "not a regular file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFormatError(
            path, f"unsupported file type {suffix or '(none)'}", f"supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}"
        )
    size = path.stat().st_size
    if size > max_bytes:
        raise FileTooLargeError(
            path, f"file is {size / 1e6:.1f} MB, above the {max_bytes / 1e6:.0f} MB limit", "raise CLINRAG_MAX_FILE_MB or split it"
        )
    data = path.read_bytes()
    if not data.strip():
        raise EmptyDocumentError(path, "file is empty")
    if suffix == ".pdf":
        return [load_pdf(path, data)]
    text = decode_text(path, data)
    if suffix == ".jsonl":
        return parse_jsonl(path, text)
    if suffix in {".md", ".markdown"}:
        return [parse_markdown(path, text, sha256_bytes(data))]
    return [parse_plain_text(path, text, sha256_bytes(data))]


def decode_text(path: Path, data: bytes) -> str:
    """UTF-8 (with or without BOM) or BOM-marked UTF-16; anything else is refused rather than guessed."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise EncodingError(
                path,
                f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                "re-save the file as UTF-8",
            ) from exc
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip():
        raise EmptyDocumentError(path, "file holds no text")
    return text


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80] or "document"


def parse_markdown(path: Path, text: str, sha256: str) -> Document:
    meta: dict[str, Any] = {}
    body = text
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            raise CorruptFileError(path, f"front matter is not valid YAML: {exc}", "fix the block between the --- lines") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise CorruptFileError(path, "front matter must be a mapping of keys to values")
        meta = {str(k): v for k, v in (loaded or {}).items()}
        body = text[match.end() :]
    if not body.strip():
        raise EmptyDocumentError(path, "markdown has no body text after its front matter")
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    for heading in _HEADING.finditer(body):
        level, title = len(heading.group(1)), heading.group(2).strip()
        stack = [(lvl, t) for lvl, t in stack if lvl < level] + [(level, title)]
        sections.append(Section(heading.start(), tuple(t for _, t in stack)))
    first_heading = next((s.path[0] for s in sections), "")
    return _document(path, body, sha256, meta, default_title=first_heading or _first_line(body), sections=tuple(sections))


def parse_plain_text(path: Path, text: str, sha256: str) -> Document:
    return _document(path, text, sha256, {}, default_title=_first_line(text))


def parse_jsonl(path: Path, text: str) -> list[Document]:
    documents: list[Document] = []
    seen: set[str] = set()
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorruptFileError(path, f"line {number} is not valid JSON ({exc.msg})", "one JSON object per line") from exc
        if not isinstance(record, dict):
            raise CorruptFileError(path, f"line {number} is a {type(record).__name__}, expected a JSON object")
        doc_id, body = record.get("doc_id"), record.get("text")
        if not isinstance(doc_id, str) or not doc_id.strip():
            raise CorruptFileError(path, f"line {number} has no string 'doc_id'")
        if not isinstance(body, str) or not body.strip():
            raise CorruptFileError(path, f"line {number} (doc_id {doc_id}) has no text")
        if doc_id in seen:
            raise CorruptFileError(path, f"line {number} repeats doc_id {doc_id}", "doc_ids must be unique in a file")
        seen.add(doc_id)
        body = _CONTROL.sub("", body)
        meta = {k: v for k, v in record.items() if k != "text"}
        documents.append(
            _document(Path(f"{path}#{doc_id}"), body, sha256_bytes(line.encode()), meta, default_title=_first_line(body))
        )
    if not documents:
        raise EmptyDocumentError(path, "JSONL file holds no documents")
    return documents


def load_pdf(path: Path, data: bytes) -> Document:
    """Extract page-aware text with pypdf; bookmarks (the outline) become the section paths."""
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # pypdf raises several types for unsupported encryption
                raise EncryptedFileError(path, f"PDF is encrypted ({exc})", "supply an unencrypted copy") from exc
            if not opened:
                raise EncryptedFileError(path, "PDF is password-protected", "supply an unencrypted copy")
        page_texts = [_CONTROL.sub("", page.extract_text() or "") for page in reader.pages]
        raw_meta = dict(reader.metadata or {})
        outline = _flatten_outline(reader)
    except EncryptedFileError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError, AttributeError, OSError) as exc:
        raise CorruptFileError(path, f"PDF could not be parsed ({type(exc).__name__}: {exc})", "re-export or re-download it") from exc
    if not page_texts:
        raise EmptyDocumentError(path, "PDF has no pages")
    if not any(t.strip() for t in page_texts):
        raise EmptyDocumentError(
            path, f"PDF has no text layer on any of its {len(page_texts)} pages (scanned or image-only)", "run OCR first"
        )
    pages: list[Page] = []
    parts: list[str] = []
    offset = 0
    for number, page_text in enumerate(page_texts, start=1):
        page_text = page_text.strip("\n")
        pages.append(Page(number, offset, offset + len(page_text)))
        parts.append(page_text)
        offset += len(page_text) + 2
    text = "\n\n".join(parts)
    meta = _pdf_metadata(raw_meta)
    meta["pages_without_text"] = [p.number for p, t in zip(pages, page_texts) if not t.strip()]
    sections = _locate_outline(text, pages, outline)
    default_title = str(raw_meta.get("/Title") or "").strip() or _first_line(text)
    return _document(path, text, sha256_bytes(data), meta, default_title=default_title, pages=tuple(pages), sections=sections)


def _pdf_metadata(raw: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if raw.get(PDF_META_KEY):
        try:
            loaded = json.loads(str(raw[PDF_META_KEY]))
            if isinstance(loaded, dict):
                meta.update(loaded)
        except json.JSONDecodeError:
            pass
    if raw.get("/Author") and "issuer" not in meta:
        meta["issuer"] = str(raw["/Author"])
    return meta


def _flatten_outline(reader: Any) -> list[tuple[int, str, int]]:
    """(depth, title, 0-based page index) for every bookmark, in document order."""
    flat: list[tuple[int, str, int]] = []

    def walk(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
                continue
            try:
                page_index = reader.get_destination_page_number(item)
            except Exception:  # a broken bookmark must not cost the document
                continue
            if page_index is not None and page_index >= 0:
                flat.append((depth, str(item.title).strip(), page_index))

    try:
        walk(reader.outline, 0)
    except Exception:
        return []
    return flat


def _locate_outline(text: str, pages: list[Page], outline: list[tuple[int, str, int]]) -> tuple[Section, ...]:
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    last = 0
    for depth, title, page_index in outline:
        if page_index >= len(pages) or not title:
            continue
        page = pages[page_index]
        pattern = r"\s+".join(map(re.escape, title.split()))
        found = re.search(pattern, text[max(page.start, last) : page.end])
        start = (max(page.start, last) + found.start()) if found else page.start
        stack = [(d, t) for d, t in stack if d < depth] + [(depth, title)]
        if start < last:
            start = last
        sections.append(Section(start, tuple(t for _, t in stack)))
        last = start
    return tuple(sections)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return ""


def _document(
    path: Path,
    text: str,
    sha256: str,
    meta: dict[str, Any],
    *,
    default_title: str,
    pages: tuple[Page, ...] = (),
    sections: tuple[Section, ...] = (),
) -> Document:
    if not text.strip():
        raise EmptyDocumentError(path, "document has no text")
    status = str(meta.get("status") or "current").lower()
    if status not in {"current", "superseded"}:
        raise CorruptFileError(path, f"status must be 'current' or 'superseded', found {status!r}")
    date = meta.get("effective_date") or meta.get("date") or ""
    extra = {k: _plain(v) for k, v in meta.items() if k not in _KNOWN_KEYS}
    return Document(
        doc_id=str(meta.get("doc_id") or slug(Path(str(path).split("#")[0]).stem)),
        title=str(meta.get("title") or default_title or Path(path).stem),
        text=text,
        source_path=str(path),
        sha256=sha256,
        issuer=str(meta.get("issuer") or ""),
        version=str(meta.get("version") or ""),
        date=str(date),
        status=status,
        pages=pages,
        sections=sections,
        metadata=extra,
    )


def _plain(value: Any) -> Any:
    """Front-matter values as JSON-safe data (YAML dates become ISO strings)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)
