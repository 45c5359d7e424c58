"""``clinrag eval`` (a suite or a judge set) and ``clinrag bench`` (ingest, retrieval and answer figures)."""

from __future__ import annotations

import argparse
import sys

from clinrag.errors import ConfigError
from clinrag.settings import load_settings
from cli.output import print_json
from cli.parser import settings_from_args


def cmd_eval(args: argparse.Namespace) -> int:
    from eval.runner import run_judge, run_suite

    settings = settings_from_args(args)
    if args.judge:
        report = run_judge(args.judge, settings, out_dir=args.out, limit=args.limit, seed=args.seed)
        print_json(report)
        return 0
    report = run_suite(args.suite, settings, out_dir=args.out, limit=args.limit, generator=args.generator, seed=args.seed)
    print_json({k: report[k] for k in ("suite", "n", "generator", "retrieval", "answer", "refusal", "selective", "scores", "latency_s") if k in report})
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from eval.bench import report
    from eval.bench.run import BenchOptions, run_bench

    try:
        sizes = sorted({int(x) for x in args.sizes.split(",") if x.strip()})
    except ValueError as exc:
        raise ConfigError(f"--sizes takes comma-separated numbers of chunks, found {args.sizes!r}") from exc
    if not sizes or min(sizes) < 20:
        raise ConfigError(f"--sizes needs sizes of at least 20 chunks, found {args.sizes!r}")
    settings = load_settings(args.settings)
    opts = BenchOptions(
        sizes=sizes, queries=max(2, args.queries), ingest_chunks=args.ingest_chunks, answers=args.answers,
        cold_runs=args.cold_runs, pool=args.pool, vectors=args.vectors, seed=args.seed, naive=not args.no_naive,
        during_ingest=not args.no_during_ingest, during_chunks=args.during_chunks, settings_file=args.settings, local=args.local,
        reader_variants=args.reader_variants,
        keep=args.keep, log=lambda m: print(f"bench: {m}", file=sys.stderr, flush=True),
    )
    result = run_bench(settings, opts)
    files = report.write(result, args.out or settings.data_dir / "bench")
    if args.json:
        print_json({**result, "files": files})
    else:
        print(report.table(result))
        print("wrote " + ", ".join(files.values()))
    return 0
