"""Corpus documents chunked exactly as the index chunks them, for building training pairs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from clinrag.records import Document
from clinrag.settings import ChunkingSettings
from clinrag.text import split_sentences
from ingest.chunking import chunk_document
from ingest.loaders import load_file

# NGC summary sections that hold no clinical content (bibliography, provenance, legal text)
_SKIP_SECTIONS = re.compile(
    r"^(guideline title|bibliographic source|guideline developer|date released|copyright statement|"
    r"clinical algorithm)", re.I,
)


@dataclass(frozen=True)
class Passage:
    doc_id: str
    title: str
    section: str
    text: str
    index: int  # position of the chunk in its document

    @property
    def key(self) -> str:
        return f"{self.doc_id}#{self.index}"


def load_documents(paths: Iterable[Path]) -> list[Document]:
    documents: list[Document] = []
    for path in paths:
        documents.extend(load_file(Path(path), 1 << 30))
    return documents


def _markdown_section(text: str, start: int) -> str:
    """The last '## heading' before ``start`` (JSONL corpora keep their headings inside the text)."""
    headings = list(re.finditer(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", text[:start], re.M))
    return headings[-1].group(1).strip() if headings else ""


def passages(documents: Iterable[Document], settings: ChunkingSettings | None = None) -> list[Passage]:
    """Every chunk of every document, with its section (from the loader or the last Markdown heading)."""
    settings = settings or ChunkingSettings()
    out: list[Passage] = []
    for document in documents:
        for i, chunk in enumerate(chunk_document(document, settings)):
            section = chunk.section or _markdown_section(document.text, chunk.char_start)
            if _SKIP_SECTIONS.match(section):
                continue
            text = chunk.text.strip()
            if len(text) < 80:
                continue
            out.append(Passage(document.doc_id, document.title, section, text, i))
    return out


def sentences(passage: Passage, min_chars: int = 40) -> list[str]:
    """Answer-worthy sentences of a passage (no headings, bullets unwrapped)."""
    out = []
    for s, e in split_sentences(passage.text):
        sentence = re.sub(r"^(?:[-*•]|\d+[.)])\s+", "", passage.text[s:e].strip())
        sentence = " ".join(sentence.split())
        if sentence.startswith("#") or len(sentence) < min_chars:
            continue
        out.append(sentence)
    return out
