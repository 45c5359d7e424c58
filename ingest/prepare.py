"""Documents to ``PreparedDocument``s: chunk them, take the vectors the index already holds for the same embedded
texts, embed the rest in shared batches. Pure but for the embedder and the reads of the index it reuses from.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from clinrag.errors import EmptyDocumentError, IngestError
from clinrag.protocols import Embedder
from clinrag.records import Chunk, Document
from clinrag.settings import Settings
from clinrag.text import content_terms
from ingest.catalog_writes import PreparedDocument
from ingest.chunking import chunk_document
from ingest.index import IndexStore
from ingest.sanitize import display_path


def embedding_text(document: Document, chunk: Chunk, contextual_header: bool) -> str:
    """What the embedder and BM25 see: the chunk, optionally under its document title and section path."""
    return header_text(document.title, chunk.section, chunk.text, contextual_header)


def header_text(title: str, section: str, text: str, contextual_header: bool) -> str:
    if not contextual_header:
        return text
    header = title if not section else f"{title} | {section}"
    return f"{header}\n{text}"


def chunk_many(documents: list[Document], settings: Settings) -> list[tuple[Document, tuple[Chunk, ...], list[str]]]:
    """Each document with its chunks and the texts the embedder sees (pure)."""
    chunked = []
    for document in documents:
        chunks = tuple(chunk_document(document, settings.chunking))
        if not chunks:
            raise EmptyDocumentError(display_path(document.source_path), "document produced no chunks (no text)")
        texts = [embedding_text(document, c, settings.embedding.contextual_header) for c in chunks]
        chunked.append((document, chunks, texts))
    return chunked


def reusable_vectors(store: IndexStore, chunked: list[tuple[Document, tuple[Chunk, ...], list[str]]],
                     contextual_header: bool) -> dict[str, np.ndarray]:
    """Vectors the index already holds for the same embedded texts in these documents' previous versions, by new
    chunk id: an update that changes one section embeds only the chunks whose text changed (a vector depends on
    its text alone; the index holds one embedder's vectors, ``IndexStore.check_compatible``)."""
    previous = {header_text(title, section, text, contextual_header): cid
                for cid, title, section, text in store.chunk_sources(d.doc_id for d, _, _ in chunked)}
    if not previous:
        return {}
    wanted = {c.chunk_id: previous[t] for _, chunks, texts in chunked for c, t in zip(chunks, texts) if t in previous}
    stored = store.vectors.get(sorted(set(wanted.values()))) if wanted else {}
    return {new: stored[old] for new, old in wanted.items() if old in stored}


def embed_texts(texts: list[str], embedder: Embedder, on_event: Callable[[str], None], where: str) -> np.ndarray:
    """Vectors of ``texts`` in batches of 1024 (one encode call per document would waste the model's batching)."""
    step = 1024
    parts = []
    for i in range(0, len(texts), step):
        parts.append(np.asarray(embedder.embed_documents(texts[i : i + step]), dtype=np.float32))
        if len(texts) > step:
            on_event(f"        embedded {min(i + step, len(texts))}/{len(texts)} chunks")
    vectors = np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)
    if len(vectors) != len(texts):
        raise IngestError(where, f"the embedder returned {len(vectors)} vectors for {len(texts)} chunks")
    return vectors


def prepare_many(
    documents: list[Document], settings: Settings, embedder: Embedder, on_event: Callable[[str], None] = lambda _m: None,
    reuse: IndexStore | None = None, embed: Callable[[list[str]], np.ndarray] | None = None,
) -> list[PreparedDocument]:
    """Chunk every document, then embed all their chunks in shared batches (a JSONL corpus holds thousands of
    short documents). ``reuse``: take the vectors of chunks that store already holds with the same embedded text
    instead of embedding them again. ``embed``: texts -> vectors instead of the embedder (``ingest.ray_engine``)."""
    chunked = chunk_many(documents, settings)
    known = reusable_vectors(reuse, chunked, settings.embedding.contextual_header) if reuse is not None else {}
    all_ids = [c.chunk_id for _, chunks, _ in chunked for c in chunks]
    all_texts = [t for _, _, texts in chunked for t in texts]
    todo = [i for i, cid in enumerate(all_ids) if cid not in known]
    where = display_path(documents[0].source_path) if documents else ""
    todo_texts = [all_texts[i] for i in todo]
    fresh = (embed(todo_texts) if embed is not None else embed_texts(todo_texts, embedder, on_event, where)) if todo else None
    if fresh is not None and len(fresh) != len(todo):
        raise IngestError(where, f"the embedder returned {len(fresh)} vectors for {len(todo)} chunks")
    if not known:
        vectors = fresh if fresh is not None else np.zeros((0, 0), dtype=np.float32)
    else:
        dim = len(next(iter(known.values())))
        vectors = np.zeros((len(all_ids), dim), dtype=np.float32)
        for i, cid in enumerate(all_ids):
            if cid in known:
                vectors[i] = known[cid]
        if fresh is not None:
            vectors[todo] = fresh
    prepared, offset = [], 0
    for document, chunks, texts in chunked:
        terms = tuple(tuple(content_terms(t)) for t in texts)
        prepared.append(PreparedDocument(document, chunks, vectors[offset : offset + len(chunks)], terms,
                                         reused=sum(c.chunk_id in known for c in chunks)))
        offset += len(chunks)
    return prepared
