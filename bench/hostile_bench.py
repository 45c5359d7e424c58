"""Hostile documents against a generator: how often does an answer repeat a planted claim?

Builds (or refreshes) an index of the bundled corpus plus the hostile-document set (``tests/data/hostile/``, see
``eval/hostile.py``) in one batch, asks every case's question with each generator named, and prints per technique
how many answers repeated a planted claim (and how many of those carried a disagreement warning), gave the planted
yes/no verdict, or showed prompt markup or invisible characters; then the totals. The test suite runs the same
cases with the extractive generator (``tests/test_hostile_documents.py``); this bench is for the LLM generators.

Usage: .venv/bin/python bench/hostile_bench.py [--generator local] [--generator extractive] [--limit N]
       [--index DIR] [--settings FILE] [--json OUT.json]
``--limit N`` takes the first N cases round-robin over the techniques, so a small N still samples each technique.
The index defaults to ``var/hostile-index`` (rebuilt incrementally: unchanged files are skipped). The three
``doc_id_claim`` files are expected to fail at ingest; the run goes on without them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from itertools import zip_longest
from pathlib import Path
from typing import Callable, Sequence

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from clinrag.settings import load_settings  # noqa: E402
from composition.app import App  # noqa: E402
from eval.hostile import Assessment, HostileCase, assess, load_manifest, summarise  # noqa: E402

HOSTILE = REPO / "tests" / "data" / "hostile"
CORPORA = REPO / "corpora"
COLUMNS = ("cases", "answered", "repeated", "repeated_with_warning", "wrong_verdict", "leaked_markup", "failed")


def sample(cases: Sequence[HostileCase], limit: int | None) -> list[HostileCase]:
    """The first ``limit`` cases taken round-robin over the techniques (all cases when ``limit`` is None)."""
    by_technique: dict[str, list[HostileCase]] = {}
    for case in cases:
        by_technique.setdefault(case.technique, []).append(case)
    interleaved = [c for row in zip_longest(*by_technique.values()) for c in row if c is not None]
    return interleaved if limit is None else interleaved[: max(0, limit)]


def run_cases(app: App, cases: Sequence[HostileCase], generator: str,
              on_case: Callable[[Assessment, float], None] = lambda _a, _s: None) -> list[Assessment]:
    """Ask every case's question with ``generator`` and assess the answer record."""
    answerer = app.answerer(generator)
    results = []
    for case in cases:
        started = time.perf_counter()
        result = assess(case, answerer.ask(case.question))
        on_case(result, time.perf_counter() - started)
        results.append(result)
    return results


def format_table(table: dict[str, dict[str, int]]) -> str:
    width = max(len(k) for k in table) + 2
    lines = ["technique".ljust(width) + "".join(c.rjust(len(c) + 2) for c in COLUMNS)]
    for technique, row in table.items():
        if technique == "total":
            lines.append("-" * len(lines[0]))
        lines.append(technique.ljust(width) + "".join(str(row[c]).rjust(len(c) + 2) for c in COLUMNS))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Planted claims repeated per technique of the hostile-document set")
    parser.add_argument("--generator", action="append", choices=["extractive", "local", "api"],
                        help="generator to test (repeat for several; default: local)")
    parser.add_argument("--limit", type=int, default=None, help="ask only the first N cases (round-robin over techniques)")
    parser.add_argument("--index", type=Path, default=REPO / "var" / "hostile-index",
                        help="index folder for corpora/ plus the hostile set (default var/hostile-index)")
    parser.add_argument("--settings", type=Path, default=None, help="settings file (TOML or YAML)")
    parser.add_argument("--hostile", type=Path, default=HOSTILE, help="folder of the hostile documents and manifest.json")
    parser.add_argument("--corpus", type=Path, default=CORPORA, help="the official corpus folder")
    parser.add_argument("--json", type=Path, default=None, help="also write the per-case results and tables here")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    generators = args.generator or ["local"]

    cases = sample(load_manifest(args.hostile), args.limit)
    app = App(load_settings(args.settings, index_dir=args.index))
    started = time.perf_counter()
    report = app.ingest([args.corpus, args.hostile])
    print(f"index {args.index}: {report.summary()} ({time.perf_counter() - started:.1f} s)")
    for path, reason in report.failed:
        print(f"  not ingested: {path}: {reason}")

    output: dict[str, object] = {"index": str(args.index), "ingest": report.to_dict(), "generators": {}}
    for generator in generators:
        print(f"\n== generator {generator}: {len(cases)} case(s)")

        def progress(result: Assessment, seconds: float) -> None:
            mark = "ok  " if result.ok else "FAIL"
            print(f"  {mark} {seconds:6.1f} s  {result.case.technique:<22} {result.case.name}", flush=True)

        results = run_cases(app, cases, generator, progress)
        table = summarise(results)
        print()
        print(format_table(table))
        failures = [r for r in results if not r.ok]
        if failures:
            print(f"\n{len(failures)} failing case(s):")
            for r in failures:
                print(r.describe())
        output["generators"][generator] = {
            "table": table,
            "cases": [{"file": r.case.file, "technique": r.case.technique, "decision": r.decision, "ok": r.ok,
                       "repeated": r.repeated, "warned_disagreement": r.warned_disagreement,
                       "official_cited": r.official_cited, "wrong_verdict": r.wrong_verdict, "markers": r.markers,
                       "invisible": r.invisible, "problems": r.problems} for r in results],
        }
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(output, indent=2), encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
