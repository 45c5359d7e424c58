"""Timings for issue 15's goals on a slice of the medquad corpus: full ingest, unchanged re-ingest (a sync), a sync
with one file removed, update and delete of one document. Prints one table (seconds) and writes JSON to --out.

    nice .venv/bin/python bench/sync_bench.py --records 2000 --files 20 [--hash] [--out var/bench/sync.json]

The corpus is the first --records records of ../shared/data/corpora/medquad_nih.jsonl, split into --files JSONL
files. --hash uses the deterministic hash embedder of tests/fakes.py (the writing path alone) instead of MiniLM.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
MEDQUAD = REPO.parent / "shared" / "data" / "corpora" / "medquad_nih.jsonl"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--hash", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    from composition.app import App
    from clinrag.settings import load_settings
    from ingest.library import Library

    work = Path(tempfile.mkdtemp(prefix="clinrag-sync-bench-"))
    folder = work / "medquad"
    folder.mkdir()
    lines = []
    with open(MEDQUAD, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                lines.append(line)
            if len(lines) >= args.records:
                break
    per = -(-len(lines) // args.files)
    for i in range(args.files):
        (folder / f"part-{i:03d}.jsonl").write_text("".join(lines[i * per:(i + 1) * per]), encoding="utf-8")
    embedder = None
    if args.hash:
        from tests.fakes import HashEmbedder

        embedder = HashEmbedder()
    settings = load_settings(index_dir=work / "index", ingest={"priority": "normal"})
    app = App(settings, embedder=embedder)
    out: dict[str, float | int | str] = {"records": len(lines), "files": args.files,
                                         "embedder": "hash" if args.hash else settings.embedding.package}

    def timed(name: str, fn):
        started = time.perf_counter()
        result = fn()
        out[name] = round(time.perf_counter() - started, 3)
        return result

    app.embedder.embed_documents(["warm up the model"])
    full = timed("full_ingest_s", lambda: app.sync(folder))
    out["chunks"] = full.chunks_written
    timed("unchanged_sync_s", lambda: app.sync(folder))
    timed("unchanged_ingest_s", lambda: app.ingest([folder]))
    removed = folder / "part-000.jsonl"
    removed.unlink()
    report = timed("sync_one_file_removed_s", lambda: app.sync(folder))
    out["removed_documents"] = len(report.removed)
    docs = sorted(d["doc_id"] for d in app.store.documents())
    target = folder / "part-001.jsonl"
    rows = target.read_text(encoding="utf-8").splitlines()
    record = json.loads(rows[0])
    record["text"] += " This answer was revised by the benchmark."
    target.write_text("\n".join([json.dumps(record)] + rows[1:]) + "\n", encoding="utf-8")
    timed("sync_one_record_updated_s", lambda: app.sync(folder))
    timed("delete_one_document_s", lambda: Library(app.store).delete(docs[-1]))
    out["unchanged_over_full"] = round(float(out["unchanged_sync_s"]) / float(out["full_ingest_s"]), 4)
    print(json.dumps(out, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
