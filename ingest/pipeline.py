"""Ingest files into the index: load, chunk, embed, then write everything in one consistent step.

A file that fails at any stage is reported with its reason and contributes nothing; the rest of the batch
is still ingested.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from clinrag.errors import ClinragError, IngestError
from clinrag.settings import Settings
from clinrag.text import content_terms
from ingest.chunking import chunk_document
from ingest.index import IndexStore, PreparedDocument
from ingest.loaders import iter_input_files, load_file
from ingest.records import Chunk, Document
from rag.protocols import Embedder


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    files: int = 0
    chunks_written: int = 0
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        return (
            f"{self.files} file(s): {len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.failed)} failed; {self.chunks_written} chunks written"
        )

    def to_dict(self) -> dict:
        return {
            "files": self.files,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": [{"path": p, "reason": r} for p, r in self.failed],
            "chunks_written": self.chunks_written,
            "timings_s": self.timings_s,
        }


def embedding_text(document: Document, chunk: Chunk, contextual_header: bool) -> str:
    """What the embedder and BM25 see: the chunk, optionally under its document title and section path."""
    if not contextual_header:
        return chunk.text
    header = document.title if not chunk.section else f"{document.title} | {chunk.section}"
    return f"{header}\n{chunk.text}"


def prepare_many(
    documents: list[Document], settings: Settings, embedder: Embedder, on_event: Callable[[str], None] = lambda _m: None
) -> list[PreparedDocument]:
    """Chunk every document, then embed all their chunks in shared batches (a JSONL corpus holds thousands of
    short documents; one encode call per document would waste most of the model's batching)."""
    chunked = []
    for document in documents:
        chunks = tuple(chunk_document(document, settings.chunking))
        if not chunks:
            raise IngestError(document.source_path, "document produced no chunks (no text)")
        texts = [embedding_text(document, c, settings.embedding.contextual_header) for c in chunks]
        chunked.append((document, chunks, texts))
    all_texts = [t for _, _, texts in chunked for t in texts]
    vectors = np.zeros((0, 0), dtype=np.float32)
    step = 1024
    parts = []
    for i in range(0, len(all_texts), step):
        parts.append(np.asarray(embedder.embed_documents(all_texts[i : i + step]), dtype=np.float32))
        if len(all_texts) > step:
            on_event(f"        embedded {min(i + step, len(all_texts))}/{len(all_texts)} chunks")
    if parts:
        vectors = np.concatenate(parts)
    prepared, offset = [], 0
    for document, chunks, texts in chunked:
        terms = tuple(tuple(content_terms(t)) for t in texts)
        prepared.append(PreparedDocument(document, chunks, vectors[offset : offset + len(chunks)], terms))
        offset += len(chunks)
    return prepared


def ingest_paths(
    paths: list[Path],
    settings: Settings,
    embedder: Embedder,
    store: IndexStore,
    on_event: Callable[[str], None] = lambda _msg: None,
    exclude_doc_ids: set[str] | frozenset[str] = frozenset(),
) -> IngestReport:
    """Ingest files and folders; documents whose id is in ``exclude_doc_ids`` are skipped (evaluation suites
    remove the evidence of must-refuse questions this way)."""
    report = IngestReport()
    store.check_compatible()
    known = store.document_hashes()
    claimed: dict[str, str] = {}
    prepared: list[PreparedDocument] = []
    t_load = t_embed = 0.0
    files = list(iter_input_files(paths))
    if not files:
        report.failed.append((", ".join(map(str, paths)), "no supported files found (.pdf, .md, .markdown, .txt, .jsonl)"))
        return report
    for path in files:
        report.files += 1
        started = time.perf_counter()
        file_prepared: list[PreparedDocument] = []
        file_unchanged: list[str] = []
        pending: list[Document] = []
        try:
            documents = [d for d in load_file(path, int(settings.max_file_mb * 1e6)) if d.doc_id not in exclude_doc_ids]
            t_load += time.perf_counter() - started
            for document in documents:
                owner = claimed.get(document.doc_id)
                if owner is not None:
                    raise IngestError(path, f"doc_id {document.doc_id!r} is already provided by {owner} in this batch")
                if known.get(document.doc_id) == document.sha256:
                    file_unchanged.append(document.doc_id)
                    continue
                pending.append(document)
            begin = time.perf_counter()
            file_prepared = prepare_many(pending, settings, embedder, on_event)
            t_embed += time.perf_counter() - begin
        except IngestError as exc:
            report.failed.append((str(path), exc.reason if exc.path == str(path) else str(exc)))
            on_event(f"FAILED  {exc}")
            continue
        except ClinragError:
            raise
        except Exception as exc:  # an unexpected parser failure must not stop the batch
            report.failed.append((str(path), f"unexpected {type(exc).__name__}: {exc}"))
            on_event(f"FAILED  {path}: unexpected {type(exc).__name__}: {exc}")
            continue
        for document in documents:
            claimed[document.doc_id] = str(path)
        report.unchanged.extend(file_unchanged)
        prepared.extend(file_prepared)
        new_chunks = sum(len(p.chunks) for p in file_prepared)
        report.chunks_written += new_chunks
        on_event(f"ok      {path}: {len(documents)} document(s), {len(file_unchanged)} unchanged, {new_chunks} new chunks")
    begin = time.perf_counter()
    if prepared:
        store.apply(prepared)
    for p in prepared:
        (report.updated if p.document.doc_id in known else report.added).append(p.document.doc_id)
    report.timings_s = {
        "load": round(t_load, 3),
        "chunk_and_embed": round(t_embed, 3),
        "write": round(time.perf_counter() - begin, 3),
    }
    return report
