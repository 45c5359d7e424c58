"""The lexical index before and after: the former pickled BM25 (rank_bm25 with Lucene idf, postings built at the
first search) against BM25 postings in the SQLite catalog. Same chunks, same terms, same queries.

Prints, for each: build time, size on disk, cold start (load + first search, as a new process would), search
latency (median and p95 over the suite's questions), and whether the two rank identically (same top-k ids in
the same order, scores within 1e-6).

    .venv/bin/python bench/lexical_bench.py [--corpus corpora/] [--corpus ../shared/data/corpora/medquad_nih.jsonl]
        [--suite eval/suites/clinrag-demo] [--k 50]

Chunks are made as ingest makes them (settings' chunking, contextual header); embedding is skipped (zero vectors),
and the catalog is written without Chroma, so the figures are the lexical part alone.
"""

from __future__ import annotations

import argparse
import json
import pickle
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from clinrag.settings import load_settings  # noqa: E402
from clinrag.text import content_terms  # noqa: E402
from ingest import catalog_writes  # noqa: E402
from ingest.index import IndexStore  # noqa: E402
from ingest.lexical import CatalogLexicalIndex, LexicalIndex  # noqa: E402
from ingest.loaders import discover, load_file_lenient  # noqa: E402
from ingest.prepare import prepare_many  # noqa: E402


class _ZeroEmbedder:
    name = "zero"

    def embed_documents(self, texts):
        return np.zeros((len(texts), 1), dtype=np.float32)


def _prepared(paths: list[Path], settings):
    files, _ = discover(paths)
    prepared = []
    for path in files:
        documents, _ = load_file_lenient(path, int(settings.max_file_mb * 1e6))
        seen = {p.document.doc_id for p in prepared}
        documents = [d for d in documents if d.doc_id not in seen]
        for start in range(0, len(documents), 1024):
            prepared.extend(prepare_many(documents[start : start + 1024], settings, _ZeroEmbedder()))
    return prepared


def _write_catalog(folder: Path, prepared) -> IndexStore:
    """The catalog as IndexStore.apply writes it, without Chroma (this bench measures the lexical part)."""
    store = IndexStore(folder, "bench", "zero", pinned=folder)
    with store.lock.hold("bench"):
        conn = store._connect()
        conn.execute("BEGIN IMMEDIATE")
        n = total = 0
        for p in prepared:
            a, b = catalog_writes._insert_document(conn, p, "bench")
            n, total = n + a, total + b
        conn.executemany("INSERT OR REPLACE INTO state VALUES (?, ?)",
                         [("lexical_n", str(n)), ("lexical_len", str(total)), ("generation", "1")])
        conn.execute("COMMIT")
        conn.close()
    return store


def _latency(search, queries: list[list[str]], k: int) -> tuple[float, float]:
    times = []
    for terms in queries:
        started = time.perf_counter()
        search(terms, k)
        times.append(time.perf_counter() - started)
    times.sort()
    return statistics.median(times) * 1000, times[int(0.95 * (len(times) - 1))] * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, action="append", default=None)
    parser.add_argument("--suite", type=Path, default=REPO / "eval" / "suites" / "clinrag-demo")
    parser.add_argument("--k", type=int, default=50)
    args = parser.parse_args(argv)
    corpus = args.corpus or [REPO / "corpora"]
    settings = load_settings()
    questions = [json.loads(line)["question"] for line in (args.suite / "questions.jsonl").read_text().splitlines() if line.strip()]
    queries = [content_terms(q) for q in questions]
    queries = [q for q in queries if q]

    started = time.perf_counter()
    prepared = _prepared(corpus, settings)
    chunking_s = time.perf_counter() - started
    n_chunks = sum(len(p.chunks) for p in prepared)
    print(f"corpus: {', '.join(map(str, corpus))}: {len(prepared)} documents, {n_chunks} chunks "
          f"(loaded and chunked in {chunking_s:.1f}s); {len(queries)} queries from {args.suite.name}, top {args.k}")

    work = Path(tempfile.mkdtemp(prefix="clinrag-lexical-"))
    try:
        # ------------------------------------------------------------------ after: postings in the catalog
        started = time.perf_counter()
        store = _write_catalog(work / "catalog", prepared)
        after_build = time.perf_counter() - started
        with sqlite3.connect(store.catalog_path) as conn:
            rows = conn.execute("SELECT chunk_id, terms FROM chunks ORDER BY doc_id, ord").fetchall()
            postings_rows = conn.execute("SELECT COUNT(*) FROM postings").fetchone()[0]
        catalog_mb = store.catalog_path.stat().st_size / 1e6

        # ------------------------------------------------------------------ before: the pickled index
        started = time.perf_counter()
        reference = LexicalIndex.fit([r[0] for r in rows], [r[1].split() for r in rows])
        pickle_path = work / "bm25-000001.pkl"
        with pickle_path.open("wb") as f:  # exactly what the former LexicalIndex.save wrote
            pickle.dump({"format": 1, "chunk_ids": reference.chunk_ids, "bm25": reference._bm25}, f, protocol=pickle.HIGHEST_PROTOCOL)
        before_build = time.perf_counter() - started
        pickle_mb = pickle_path.stat().st_size / 1e6

        started = time.perf_counter()
        with pickle_path.open("rb") as f:
            data = pickle.load(f)
        loaded = LexicalIndex(data["chunk_ids"], data["bm25"])
        before_load = time.perf_counter() - started
        started = time.perf_counter()
        loaded.top(queries[0], args.k)  # the first search builds the postings
        before_first = time.perf_counter() - started
        before_p50, before_p95 = _latency(loaded.top, queries, args.k)

        fresh = IndexStore(work / "catalog", "bench", "zero", pinned=work / "catalog")
        started = time.perf_counter()
        lexical = fresh.lexical()
        after_load = time.perf_counter() - started
        started = time.perf_counter()
        lexical.top(queries[0], args.k)
        after_first = time.perf_counter() - started
        after_p50, after_p95 = _latency(lexical.top, queries, args.k)  # warm: the store's postings cache
        uncached = CatalogLexicalIndex(lambda: fresh._connect(), cache=None)
        nocache_p50, nocache_p95 = _latency(uncached.top, queries, args.k)

        # ------------------------------------------------------------------ same rankings?
        same, worst = 0, 0.0
        for terms in queries:
            got, want = lexical.top(terms, args.k), loaded.top(terms, args.k)
            if [c for c, _ in got] == [c for c, _ in want]:
                same += 1
            if got and want and len(got) == len(want):
                worst = max(worst, max(abs(a[1] - b[1]) for a, b in zip(got, want)))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"{'':<34}{'before (pickle)':>18}{'after (catalog)':>18}")
    print(f"{'build (fit + write)':<34}{before_build:>17.2f}s{after_build:>17.2f}s")
    print(f"{'on disk':<34}{pickle_mb:>16.1f}MB{catalog_mb:>16.1f}MB   (catalog: chunks, text and {postings_rows} postings)")
    print(f"{'load':<34}{before_load * 1000:>16.1f}ms{after_load * 1000:>16.1f}ms")
    print(f"{'first search (cold)':<34}{before_first * 1000:>16.1f}ms{after_first * 1000:>16.1f}ms")
    print(f"{'load + first search':<34}{(before_load + before_first) * 1000:>16.1f}ms{(after_load + after_first) * 1000:>16.1f}ms")
    print(f"{'search p50 (warm process)':<34}{before_p50:>16.2f}ms{after_p50:>16.2f}ms")
    print(f"{'search p95 (warm process)':<34}{before_p95:>16.2f}ms{after_p95:>16.2f}ms")
    print(f"{'search p50 / p95, no postings cache':<34}{'':>18}{nocache_p50:>9.2f} / {nocache_p95:.2f}ms")
    print(f"rankings equal on {same}/{len(queries)} queries (top {args.k} ids in order); largest score difference {worst:.2e}")
    return 0 if same == len(queries) and worst <= 1e-6 else 1


if __name__ == "__main__":
    raise SystemExit(main())
