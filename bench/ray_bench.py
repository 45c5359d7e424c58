"""Embedding throughput of the Ray engine (issue 15, item 3) at 1 and 2 workers against this process alone, on the
same chunk texts (medquad records from ../shared/data, chunked as an ingest would). Prints a table of chunks/s.

    nice .venv/bin/python bench/ray_bench.py --records 150 [--batch-size 64] [--json]

Each Ray figure is one Ray Data job on a fresh local cluster on 127.0.0.1: the actors started, MiniLM loaded once
per actor, the texts embedded (the cluster's own start is reported apart). On 2 shared cores this tests the plumbing,
not the speed-up.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
MEDQUAD = REPO.parent / "shared" / "data" / "corpora" / "medquad_nih.jsonl"


def _texts(records: int) -> list[str]:
    from clinrag.records import Document, sha256_bytes
    from clinrag.settings import load_settings
    from ingest.prepare import chunk_many

    settings = load_settings()
    docs = []
    with open(MEDQUAD, encoding="utf-8") as handle:
        for line in handle:
            if len(docs) >= records:
                break
            row = json.loads(line)
            text = row.get("text") or ""
            if text.strip():
                docs.append(Document(doc_id=str(row.get("doc_id") or len(docs)), title=row.get("title") or "", text=text,
                                     source_path="medquad", sha256=sha256_bytes(text.encode())))
    return [t for _, _, texts in chunk_many(docs, settings) for t in texts]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    import ray

    from ingest.ray_engine import RayEmbedding
    from rag.models import SentenceTransformerEmbedder

    texts = _texts(args.records)
    embedder = SentenceTransformerEmbedder()
    embedder.embed_documents(["load the model first"])
    rows = []
    started = time.perf_counter()
    embedder.embed_documents(texts)
    wall = time.perf_counter() - started
    rows.append({"engine": "this process (all cores)", "workers": 1, "wall_s": round(wall, 2),
                 "chunks_per_s": round(len(texts) / wall, 1)})
    for workers in (1, 2):
        engine = RayEmbedding(lambda: SentenceTransformerEmbedder(), workers=workers, batch_size=args.batch_size)
        began = time.perf_counter()
        with engine:
            up = time.perf_counter() - began
            started = time.perf_counter()
            engine.prepare(texts)
            wall = time.perf_counter() - started
        rows.append({"engine": "ray data", "workers": workers, "cluster_start_s": round(up, 2), "wall_s": round(wall, 2),
                     "chunks_per_s": round(len(texts) / wall, 1)})
        assert not ray.is_initialized()
    result = {"chunks": len(texts), "batch_size": args.batch_size, "rows": rows}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{len(texts)} chunks, MiniLM, Ray batch size {args.batch_size}")
        for r in rows:
            extra = f" (cluster start {r['cluster_start_s']} s)" if "cluster_start_s" in r else ""
            print(f"  {r['engine']:<26} workers {r['workers']}: {r['wall_s']:>7.2f} s, {r['chunks_per_s']:>6.1f} chunks/s{extra}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
