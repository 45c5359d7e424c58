"""Extractive answer latency with the reader (p50/p95 over a suite's questions, warm process) and memory.

Measures resident memory (RSS) after the index and embedder are loaded and again after the reader has loaded
and answered, so the reader's cost shows on its own; and the latency per stage from the answer records.
Usage: .venv/bin/python bench/answer_bench.py --suite eval/suites/clinrag-demo [--index DIR] [--n 120]
       [--quantize] [--threads 2]
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

from clinrag.app import App
from clinrag.settings import load_settings
from eval.index_cache import ensure_index
from eval.suites import load_suite


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suite", type=Path, required=True)
    parser.add_argument("--index", type=Path, default=None, help="default: the suite's cached eval index")
    parser.add_argument("--n", type=int, default=120)
    parser.add_argument("--quantize", action="store_true", help="int8 dynamic quantisation of the reader")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    suite = load_suite(args.suite)
    settings = load_settings()
    index = args.index or ensure_index(suite, settings)[0]
    settings = settings.model_copy(update={
        "index_dir": index,
        "reader": settings.reader.model_copy(update={"quantize": args.quantize}),
        "generation": settings.generation.model_copy(update={"n_threads": args.threads}),
    })
    app = App(settings)
    questions = [q["question"] for q in suite.questions][: args.n]
    app.retriever.search(questions[0])  # index and embedder loaded
    base_rss = rss_mb()
    answerer = app.answerer("extractive")
    t = time.perf_counter()
    answerer.ask(questions[0])  # reader loaded
    first_s = time.perf_counter() - t
    times, stages = [], {}
    for q in questions:
        t = time.perf_counter()
        record = answerer.ask(q)
        times.append(time.perf_counter() - t)
        for k, v in record.timings_s.items():
            stages.setdefault(k, []).append(v)
    out = {
        "suite": suite.name,
        "n": len(questions),
        "quantize": args.quantize,
        "threads": args.threads or "all",
        "first_answer_s (reader load included)": round(first_s, 3),
        "latency_s": {"p50": round(float(np.percentile(times, 50)), 3), "p95": round(float(np.percentile(times, 95)), 3),
                      "mean": round(float(np.mean(times)), 3)},
        "stage_p50_s": {k: round(float(np.percentile(v, 50)), 4) for k, v in stages.items()},
        "rss_mb": {"index_and_embedder": round(base_rss), "with_reader": round(rss_mb()), "reader_added": round(rss_mb() - base_rss)},
    }
    json.dump(out, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
