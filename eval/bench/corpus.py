"""Deterministic synthetic corpora with real text statistics, for ``clinrag bench``.

A pool of real sentences is read from the bundled guidelines (``corpora/``) and, when present, the shared corpora
(``../shared/data/corpora/*.jsonl``), in source order, so neighbouring sentences share a topic. A synthetic
document takes a window of that pool around a random centre and each of its chunks resamples 3 to 7 sentences from
the window: words, sentence lengths and topical clustering are real, the size is anything. A chunk's vector is the
normalised sum of its sentences' vectors (each sentence encoded once by the real embedder), so the vectors cluster
as real ones do; ``random`` vectors (unit Gaussian) are the alternative for sizes where even that is too slow.

Everything here is a pure function of (pool, size, seed): the same arguments give the same chunks and vectors.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clinrag.records import Chunk, Document
from clinrag.text import content_terms

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])")
_MARKUP = re.compile(r"^(#{1,6}\s+|[-*+]\s+|\d+\.\s+|\|)", re.MULTILINE)
CHUNKS_PER_DOC = 10
WINDOW = 60  # sentences of the pool a document draws from
MAX_RECORDS_PER_FILE = 400  # records read from each shared JSONL corpus


def split_sentences(text: str) -> list[str]:
    """Prose sentences of a text: markup lines and front matter dropped, 40 to 400 characters each."""
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        text = text[end + 4 :] if end > 0 else text
    out = []
    for block in re.split(r"\n\s*\n", text):
        block = " ".join(_MARKUP.sub("", line).strip() for line in block.splitlines() if not line.lstrip().startswith("#"))
        for sentence in _SENTENCE_END.split(block):
            sentence = " ".join(sentence.split())
            if 40 <= len(sentence) <= 400 and sum(ch.isalpha() for ch in sentence) > len(sentence) // 2:
                out.append(sentence)
    return out


def read_sources(paths: Sequence[Path]) -> list[tuple[str, list[str]]]:
    """(source name, sentences in order) for each Markdown/text file and JSONL record under ``paths``."""
    sources: list[tuple[str, list[str]]] = []
    for root in paths:
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        for f in files:
            if f.suffix in (".md", ".txt") and not f.name.upper().startswith("README"):
                sources.append((f.name, split_sentences(f.read_text(encoding="utf-8", errors="replace"))))
            elif f.suffix == ".jsonl":
                with f.open(encoding="utf-8", errors="replace") as handle:
                    for n, line in enumerate(handle):
                        if n >= MAX_RECORDS_PER_FILE:
                            break
                        try:
                            record = json.loads(line)
                        except ValueError:
                            continue
                        sources.append((f"{f.name}#{n}", split_sentences(str(record.get("text", "")))))
    return [(name, s) for name, s in sources if s]


def sentence_pool(sources: Sequence[tuple[str, list[str]]], size: int, seed: int) -> list[str]:
    """At most ``size`` distinct sentences, in source order, taken from evenly spread sources (deterministic)."""
    seen: set[str] = set()
    ordered = []
    for _, sentences in sources:
        for s in sentences:
            if s not in seen:
                seen.add(s)
                ordered.append(s)
    if len(ordered) <= size:
        return ordered
    rng = np.random.default_rng(seed)
    run = 40
    starts = np.sort(rng.choice(len(ordered) // run, size=max(1, size // run), replace=False)) * run
    return [ordered[i] for start in starts for i in range(start, min(start + run, len(ordered)))][:size]


def pool_digest(pool: Sequence[str]) -> str:
    return hashlib.sha256("\x1e".join(pool).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SyntheticChunk:
    doc_id: str
    title: str
    section: str
    sentences: tuple[int, ...]  # indices into the pool


def synthetic_chunks(pool_size: int, n_chunks: int, seed: int) -> list[SyntheticChunk]:
    """``n_chunks`` chunks in documents of ``CHUNKS_PER_DOC``; each document draws from a window of the pool."""
    rng = np.random.default_rng(seed)
    out: list[SyntheticChunk] = []
    doc = 0
    while len(out) < n_chunks:
        centre = int(rng.integers(pool_size))
        doc_id = f"syn-{doc:07d}"
        title = f"Synthetic guideline {doc}"
        for j in range(min(CHUNKS_PER_DOC, n_chunks - len(out))):
            count = int(rng.integers(3, 8))
            picks = (centre + rng.integers(-WINDOW // 2, WINDOW // 2, size=count)) % pool_size
            out.append(SyntheticChunk(doc_id, title, f"Section {j + 1}", tuple(int(i) for i in picks)))
        doc += 1
    return out


def chunk_text(pool: Sequence[str], chunk: SyntheticChunk) -> str:
    return " ".join(pool[i] for i in chunk.sentences)


def chunk_vectors(pool_vectors: np.ndarray | None, chunks: Sequence[SyntheticChunk], dim: int, seed: int) -> np.ndarray:
    """Normalised sums of the sentences' vectors; unit Gaussian vectors (seeded) when ``pool_vectors`` is None."""
    if pool_vectors is None:
        rng = np.random.default_rng(seed + 1)
        v = rng.standard_normal((len(chunks), dim)).astype(np.float32)
    else:
        v = np.zeros((len(chunks), pool_vectors.shape[1]), dtype=np.float32)
        for row, c in enumerate(chunks):
            v[row] = pool_vectors[list(c.sentences)].sum(axis=0)
    v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    return v


def documents(pool: Sequence[str], chunks: Sequence[SyntheticChunk], pool_terms: Sequence[Sequence[str]] | None = None
              ) -> Iterator[tuple[Document, list[Chunk], list[tuple[str, ...]]]]:
    """(document, its chunks, each chunk's BM25 terms as ingest makes them: title | section, then the text).
    ``pool_terms`` (the terms of each pool sentence) spares stemming every chunk again."""
    start = 0
    while start < len(chunks):
        end = start
        while end < len(chunks) and chunks[end].doc_id == chunks[start].doc_id:
            end += 1
        group = chunks[start:end]
        texts = [chunk_text(pool, c) for c in group]
        body, offsets = "", []
        for text in texts:
            begin = len(body) + (2 if body else 0)
            body = f"{body}\n\n{text}" if body else text
            offsets.append((begin, begin + len(text)))
        first = group[0]
        document = Document(doc_id=first.doc_id, title=first.title, text=body, source_path=f"synthetic/{first.doc_id}",
                            sha256=hashlib.sha256(body.encode()).hexdigest(), origin=f"synthetic/{first.doc_id}")
        records, terms = [], []
        for c, text, (a, b) in zip(group, texts, offsets):
            records.append(Chunk(Chunk.make_id(c.doc_id, a, b, text), c.doc_id, text, a, b, None, None, c.section))
            header = content_terms(f"{c.title} | {c.section}")
            body_terms = ([t for i in c.sentences for t in pool_terms[i]] if pool_terms is not None
                          else content_terms(text))
            terms.append(tuple(header + body_terms))
        yield document, records, terms
        start = end


def write_jsonl(pool: Sequence[str], chunks: Sequence[SyntheticChunk], path: Path) -> int:
    """The chunks' documents as a JSONL corpus that ``clinrag ingest`` reads; returns the number of documents."""
    n = 0
    with path.open("w", encoding="utf-8") as out:
        for document, _, _ in documents(pool, chunks):
            out.write(json.dumps({"doc_id": document.doc_id, "title": document.title, "text": document.text}) + "\n")
            n += 1
    return n
