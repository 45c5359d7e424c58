"""PDF: page-aware text with pypdf (the only module that imports it); bookmarks become section paths."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from clinrag.errors import (
    CorruptFileError,
    EmptyDocumentError,
    EncryptedFileError,
    FileTooLargeError,
)
from clinrag.records import Document, Page, Section, sha256_bytes
from ingest.documents import CONTROL_CHARS, MAX_TEXT_CHARS, build_document, first_line, text_too_large
from ingest.sanitize import Finding, display_path, inline, neutralise

PDF_META_KEY = "/ClinragMeta"


def load_pdf(path: Path, data: bytes, max_text_chars: int = MAX_TEXT_CHARS) -> Document:
    """Extract page-aware text with pypdf; bookmarks (the outline) become the section paths."""
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    shown = display_path(path)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # pypdf raises several types for unsupported encryption
                raise EncryptedFileError(shown, f"PDF is encrypted ({inline(str(exc), 200)})", "supply an unencrypted copy") from exc
            if not opened:
                raise EncryptedFileError(shown, "PDF is password-protected", "supply an unencrypted copy")
        page_texts: list[str] = []
        total = 0
        for page in reader.pages:
            page_text = CONTROL_CHARS.sub("", page.extract_text() or "")
            total += len(page_text)
            if total > max_text_chars:
                raise text_too_large(path, total, max_text_chars)
            page_texts.append(page_text)
        raw_meta = dict(reader.metadata or {})
        outline = _flatten_outline(reader)
    except (EncryptedFileError, FileTooLargeError):
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError, AttributeError, OSError, RecursionError) as exc:
        raise CorruptFileError(
            shown, f"PDF could not be parsed ({type(exc).__name__}: {inline(str(exc), 200)})", "re-export or re-download it"
        ) from exc
    if not page_texts:
        raise EmptyDocumentError(shown, "PDF has no pages")
    if not any(t.strip() for t in page_texts):
        raise EmptyDocumentError(
            shown, f"PDF has no text layer on any of its {len(page_texts)} pages (scanned or image-only)", "run OCR first"
        )
    pages: list[Page] = []
    parts: list[str] = []
    findings: list[Finding] = []
    offset = 0
    for number, page_text in enumerate(page_texts, start=1):
        page_text = _SURROGATES.sub("\ufffd", page_text.strip("\n"))
        page_text, page_findings = neutralise(page_text)
        findings.extend(Finding(f.start + offset, f.end + offset, f.flag) for f in page_findings)
        pages.append(Page(number, offset, offset + len(page_text)))
        parts.append(page_text)
        offset += len(page_text) + 2
    text = "\n\n".join(parts)
    meta = _pdf_metadata(raw_meta)
    meta["pages_without_text"] = [p.number for p, t in zip(pages, page_texts) if not t.strip()]
    sections = _locate_outline(text, pages, outline)
    default_title = inline(_SURROGATES.sub("\ufffd", str(raw_meta.get("/Title") or ""))) or first_line(text)
    return build_document(
        path, text, sha256_bytes(data), meta, default_title=default_title, pages=tuple(pages), sections=sections,
        findings=tuple(findings),
    )


_SURROGATES = re.compile("[\ud800-\udfff]")


def _pdf_metadata(raw: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if raw.get(PDF_META_KEY):
        try:
            loaded = json.loads(str(raw[PDF_META_KEY]))
            if isinstance(loaded, dict):
                meta.update(loaded)
        except (json.JSONDecodeError, RecursionError):
            pass
    if raw.get("/Author") and "issuer" not in meta:
        meta["issuer"] = str(raw["/Author"])
    return _replace_surrogates(meta)


def _replace_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_replace_surrogates(str(k)): _replace_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_surrogates(v) for v in value]
    return value


def _flatten_outline(reader: Any) -> list[tuple[int, str, int]]:
    """(depth, title, 0-based page index) for every bookmark, in document order."""
    flat: list[tuple[int, str, int]] = []

    def walk(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                if depth < 50:
                    walk(item, depth + 1)
                continue
            try:
                page_index = reader.get_destination_page_number(item)
            except Exception:  # a broken bookmark must not cost the document
                continue
            if page_index is not None and page_index >= 0:
                flat.append((depth, inline(_SURROGATES.sub("\ufffd", str(item.title))), page_index))

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
        pattern = r"\s+".join(map(re.escape, title.split()[:40]))
        found = re.search(pattern, text[max(page.start, last) : page.end])
        start = (max(page.start, last) + found.start()) if found else page.start
        stack = [(d, t) for d, t in stack if d < depth] + [(depth, title)]
        if start < last:
            start = last
        sections.append(Section(start, tuple(t for _, t in stack)))
        last = start
    return tuple(sections)
