"""Child processes of ``clinrag bench``: each build runs in a fresh process so that its peak RSS is its own.

    python -m eval.bench.workers build SPEC.json
    python -m eval.bench.workers local SPEC.json

``build``: SPEC names the engine (``clinrag`` or ``naive``), the target folder, the sentence pool file, the pool
vectors (``.npy``, or none for random unit vectors), the size and the seed. Prints one JSON line: build_s, chunks,
documents. ``local``: SPEC names an index and questions; answers them extractively, then with the local model,
and prints the RSS before and after the model loads, the first streamed words and the verified answer. The parent reads the peak RSS (VmHWM) from /proc while the child runs.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from eval.bench import corpus

DOCS_PER_COMMIT = 256


def _inputs(spec: dict[str, Any]) -> tuple[list[str], np.ndarray | None, list[corpus.SyntheticChunk]]:
    pool = json.loads(Path(spec["pool"]).read_text(encoding="utf-8"))
    vectors = np.load(spec["pool_vectors"]) if spec.get("pool_vectors") else None
    return pool, vectors, corpus.synthetic_chunks(len(pool), int(spec["size"]), int(spec["seed"]))


def build_clinrag(spec: dict[str, Any]) -> dict[str, Any]:
    """The synthetic corpus written through ``IndexStore.apply`` (catalog, postings, Chroma) in commits of
    ``DOCS_PER_COMMIT`` documents, as ingest writes a JSONL corpus; embedding is replaced by the given vectors."""
    from composition.app import App
    from clinrag.settings import load_settings
    from clinrag.text import content_terms
    from ingest.catalog_writes import PreparedDocument

    pool, pool_vectors, chunks = _inputs(spec)
    settings = load_settings(Path(spec["settings"]) if spec.get("settings") else None, index_dir=Path(spec["folder"]))
    store = App(settings).store
    pool_terms = [content_terms(s) for s in pool]
    started = time.perf_counter()
    batch: list[PreparedDocument] = []
    offset = n_docs = 0
    for document, records, terms in corpus.documents(pool, chunks, pool_terms):
        vectors = corpus.chunk_vectors(pool_vectors, chunks[offset : offset + len(records)], int(spec["dim"]),
                                       int(spec["seed"]) + offset)
        offset += len(records)
        batch.append(PreparedDocument(document, tuple(records), vectors, tuple(terms)))
        n_docs += 1
        if len(batch) >= DOCS_PER_COMMIT:
            store.apply(batch)
            batch = []
    if batch:
        store.apply(batch)
    return {"build_s": round(time.perf_counter() - started, 2), "chunks": offset, "documents": n_docs}


def build_naive(spec: dict[str, Any]) -> dict[str, Any]:
    from eval.bench import naive

    pool, pool_vectors, chunks = _inputs(spec)
    ids, texts, vectors = [], [], []
    offset = 0
    for document, records, _ in corpus.documents(pool, chunks):
        ids.extend(r.chunk_id for r in records)
        # the text the clinrag index embeds and indexes: title | section, then the chunk
        texts.extend(f"{document.title} | {r.section}\n{r.text}" for r in records)
        vectors.append(corpus.chunk_vectors(pool_vectors, chunks[offset : offset + len(records)], int(spec["dim"]),
                                            int(spec["seed"]) + offset))
        offset += len(records)
    started = time.perf_counter()
    naive.build(Path(spec["folder"]), ids, texts, np.concatenate(vectors), embedder=None)
    return {"build_s": round(time.perf_counter() - started, 2), "chunks": len(ids),
            "documents": len({c.doc_id for c in chunks})}


def local_answers(spec: dict[str, Any]) -> dict[str, Any]:
    """RSS with and without the local model, and its answer latency: first streamed words, verified answer."""
    from composition.app import App
    from clinrag.settings import load_settings
    from eval.bench.measure import percentile, rss_mb

    settings = load_settings(Path(spec["settings"]) if spec.get("settings") else None, index_dir=Path(spec["index"]))
    app = App(settings)
    asked = list(spec["questions"])
    app.answerer("extractive").ask(asked[0])
    without = rss_mb()
    answerer = app.answerer("local")
    first_words, verified, decisions = [], [], []
    for q in asked:
        started = time.perf_counter()
        first: list[float] = []

        def on_event(kind: str, _text: str) -> None:
            if kind == "token" and not first:
                first.append(time.perf_counter() - started)

        record = answerer.ask(q, on_event=on_event)
        verified.append(time.perf_counter() - started)
        first_words.append(first[0] if first else float("nan"))
        decisions.append(record.decision)
    return {"model": settings.generation.local_model, "questions": len(asked), "rss_without_local_mb": without,
            "rss_with_local_mb": rss_mb(), "first_words_s": [round(x, 2) for x in first_words],
            "verified_answer_s": [round(x, 2) for x in verified], "verified_p50_s": round(percentile(verified, 50), 2),
            "decisions": decisions}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("build", "local"):
        print("usage: python -m eval.bench.workers build|local SPEC.json", file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    if argv[0] == "local":
        result = local_answers(spec)
    else:
        result = build_clinrag(spec) if spec["engine"] == "clinrag" else build_naive(spec)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
