"""Ingest benchmark: wall time, chunks/s and the raw embedder encode rate measured in the same run.

Usage: .venv/bin/python bench/ingest_bench.py [CORPUS.jsonl] [--index DIR]
Default corpus: ../shared/data/corpora/medquad_nih.jsonl. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import time
from pathlib import Path

from clinrag.app import App
from clinrag.settings import REPO_ROOT, load_settings


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", nargs="?", type=Path, default=REPO_ROOT.parent / "shared/data/corpora/medquad_nih.jsonl")
    parser.add_argument("--index", type=Path, default=REPO_ROOT / "var/bench-index")
    parser.add_argument("--encode-sample", type=int, default=512)
    args = parser.parse_args()
    if not args.corpus.exists():
        print(f"corpus {args.corpus} not found", file=sys.stderr)
        return 2
    shutil.rmtree(args.index, ignore_errors=True)
    app = App(load_settings(index_dir=args.index))
    started = time.perf_counter()
    report = app.ingest([args.corpus])
    wall = time.perf_counter() - started
    stats = app.store.stats()
    # raw encode rate of the same model on the same kind of text, in the same process
    rows = app.store.chunks([r[0] for r in _chunk_ids(app, args.encode_sample)])
    texts = [r["text"] for r in rows.values()]
    t = time.perf_counter()
    app.embedder.embed_documents(texts)
    encode_rate = len(texts) / (time.perf_counter() - t)
    chunks = report.chunks_written
    print(json.dumps({
        "corpus": str(args.corpus),
        "documents": len(report.added) + len(report.updated),
        "chunks": chunks,
        "wall_s": round(wall, 1),
        "chunks_per_s": round(chunks / wall, 1),
        "raw_encode_chunks_per_s": round(encode_rate, 1),
        "pipeline_overhead_ratio": round(encode_rate / (chunks / wall), 2),
        "stage_s": report.timings_s,
        "index": {k: stats[k] for k in ("documents", "chunks", "vectors")},
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }, indent=2))
    return 0


def _chunk_ids(app: App, n: int):
    import sqlite3

    with sqlite3.connect(app.store.catalog_path) as conn:
        return conn.execute("SELECT chunk_id FROM chunks ORDER BY chunk_id LIMIT ?", (n,)).fetchall()


if __name__ == "__main__":
    raise SystemExit(main())
