"""Cold start on a persisted index, alone: ``python -m eval.bench.cold INDEX [--runs N] [--query Q] [--json]``.

The ``cold_start`` part of ``clinrag bench`` (a fresh ``clinrag search`` and ``clinrag ask`` process, to the result,
with each process's peak RSS) without building anything: point it at an index built once, for example the
``clinrag-100000`` folder that ``clinrag bench --sizes 100000 --keep`` leaves under ``var/bench/run-*``, and measure
again after each change. Figures depend on the machine's load, which is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from eval.bench.run import BenchOptions, bench_cold_start, questions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench.cold", description=__doc__.splitlines()[0])
    parser.add_argument("index", type=Path, help="a persisted index folder (clinrag ingest or clinrag bench --keep)")
    parser.add_argument("--runs", type=int, default=2, help="fresh processes per figure")
    parser.add_argument("--query", default=None, help="the question (default: the bundled suite's first)")
    parser.add_argument("--settings", type=Path, default=None, help="settings file, TOML or YAML")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    load_before = round(os.getloadavg()[0], 2)
    opts = BenchOptions(cold_runs=args.runs, settings_file=args.settings)
    out = bench_cold_start(args.index, opts, args.query or questions(1)[0])
    out["load_avg_1m"] = {"before": load_before, "after": round(os.getloadavg()[0], 2)}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        s, a = out["search"], out["ask"]
        print(f"cold start on {args.index}: first search {s['median_s']}s (runs {s['runs_s']}, peak {s['peak_rss_mb']} MB), "
              f"first answer {a['median_s']}s (runs {a['runs_s']}, peak {a['peak_rss_mb']} MB); load "
              f"{out['load_avg_1m']['before']} -> {out['load_avg_1m']['after']}"
              + ("; FAILED " + json.dumps({k: out[k].get("failed_exit") for k in ("search", "ask")})
                 if "failed_exit" in s or "failed_exit" in a else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
