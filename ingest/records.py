"""Small frozen records that flow from ingestion to answers. Ids are derived from content, never random."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from ingest.sanitize import Finding


@dataclass(frozen=True)
class Page:
    """A page of the extracted text: ``text[start:end]`` came from page ``number`` (1-based)."""

    number: int
    start: int
    end: int


@dataclass(frozen=True)
class Section:
    """A heading path that is in effect from character ``start`` of the extracted text onwards."""

    start: int
    path: tuple[str, ...]


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    text: str
    source_path: str
    sha256: str
    issuer: str = ""
    version: str = ""
    date: str = ""
    status: str = "current"
    pages: tuple[Page, ...] = ()
    sections: tuple[Section, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # what ingestion neutralised or flagged in ``text`` (hidden text, forged markers, instruction-like prose),
    # and the flags of the whole document (these plus any found in the title or metadata)
    findings: tuple[Finding, ...] = field(default=(), compare=False, hash=False)
    flags: tuple[str, ...] = ()
    # the file it came from as an absolute path (``#doc_id`` added for a JSONL record), exactly as on disk;
    # ``source_path`` is the printable form for people. Decides who owns the doc_id.
    origin: str = ""

    def catalog_entry(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "issuer": self.issuer,
            "version": self.version,
            "date": self.date,
            "status": self.status,
            "source_path": self.source_path,
            "sha256": self.sha256,
            "n_pages": len(self.pages),
            "n_chars": len(self.text),
            "metadata": self.metadata,
            "flags": list(self.flags),
        }


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    text: str
    char_start: int
    char_end: int
    page_start: int | None
    page_end: int | None
    section: str
    flags: tuple[str, ...] = ()  # sanitize flags of the findings inside this chunk; not part of the id

    @staticmethod
    def make_id(doc_id: str, char_start: int, char_end: int, text: str) -> str:
        digest = hashlib.sha256(f"{doc_id}\x1f{char_start}\x1f{char_end}\x1f{text}".encode()).hexdigest()
        return f"{doc_id[:40]}:{digest[:16]}"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
