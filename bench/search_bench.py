"""Search latency (p50/p95 over a suite's questions, warm process) and cold start-up of `clinrag search`.

Usage: .venv/bin/python bench/search_bench.py --index DIR --suite SUITE_DIR [--n 200] [--startup-runs 3]
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from clinrag.app import App
from clinrag.settings import load_settings
from eval.suites import load_suite


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--suite", type=Path, required=True)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--startup-runs", type=int, default=3)
    args = parser.parse_args()
    questions = [q["question"] for q in load_suite(args.suite).questions][: args.n]
    app = App(load_settings(index_dir=args.index))
    app.retriever.search(questions[0])  # warm: model and index loaded once
    by_mode = {}
    for mode in ("fused", "bm25", "dense"):
        times = []
        for q in questions:
            t = time.perf_counter()
            app.retriever.search(q, k=10, mode=mode)
            times.append(time.perf_counter() - t)
        by_mode[mode] = {"p50_ms": round(1000 * float(np.percentile(times, 50)), 1),
                         "p95_ms": round(1000 * float(np.percentile(times, 95)), 1)}
    cli = str(Path(sys.executable).parent / "clinrag")
    startup = []
    for _ in range(args.startup_runs):
        t = time.perf_counter()
        subprocess.run([cli, "search", questions[1], "--index", str(args.index), "--json"], check=True, capture_output=True)
        startup.append(time.perf_counter() - t)
    stats = app.store.stats()
    print(json.dumps({
        "index": str(args.index), "chunks": stats["chunks"], "documents": stats["documents"], "queries": len(questions),
        "latency": by_mode, "cli_search_cold_s": {"median": round(statistics.median(startup), 2), "runs": [round(s, 2) for s in startup]},
    }, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
