"""Run the fuzz targets of ``tests/test_fuzz.py`` with the long profile and print what each input led to.

For every target: how many inputs were tried, accepted (``ok``), rejected with a ``ClinragError`` (by class), or hit
a known bug (by id, see ``KNOWN_BUGS`` in tests/test_fuzz.py); and, for a target that failed, the falsifying
example Hypothesis shrank it to. Exit status 1 when any target failed (a new bug).

Usage: .venv/bin/python bench/fuzz_bench.py [--profile long|fast] [--max-examples N] [--target SUBSTRING] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from hypothesis import given, settings  # noqa: E402

from tests.test_fuzz import KNOWN_BUGS, TARGETS, Target  # noqa: E402


def fuzz(target: Target, profile: str, max_examples: int | None) -> dict:
    counts: Counter[str] = Counter()

    def run(value) -> None:
        try:
            outcome = target.check(value)
        except Exception:
            counts["failed"] += 1
            raise
        counts[outcome] += 1

    overrides = {"database": None}
    if max_examples is not None:
        overrides["max_examples"] = max_examples
    test = settings(settings.get_profile(profile), **overrides)(given(target.strategy)(run))
    started = time.perf_counter()
    failure = None
    try:
        test()
    except Exception as exc:  # the falsifying example, as Hypothesis reports it
        notes = "\n".join(getattr(exc, "__notes__", []))
        failure = "".join(traceback.format_exception_only(type(exc), exc)).strip() + ("\n" + notes if notes else "")
    return {"target": target.name, "seconds": round(time.perf_counter() - started, 1), "calls": sum(counts.values()),
            "counts": dict(sorted(counts.items())), "failure": failure}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fuzz the loaders, chunker, question path and settings loader")
    parser.add_argument("--profile", choices=["long", "fast"], default="long")
    parser.add_argument("--max-examples", type=int, default=None, help="override the profile's examples per target")
    parser.add_argument("--target", default="", help="only targets whose name contains this")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    chosen = [t for t in TARGETS if args.target in t.name]
    if not chosen:
        parser.error(f"no target name contains {args.target!r}; targets: {', '.join(t.name for t in TARGETS)}")
    results = []
    for target in chosen:
        result = fuzz(target, args.profile, args.max_examples)
        results.append(result)
        if not args.json:
            status = "FAILED" if result["failure"] else "ok"
            outcomes = ", ".join(f"{k} {v}" for k, v in result["counts"].items())
            print(f"{status:<6} {result['target']:<58} {result['calls']:>6} inputs {result['seconds']:>7.1f} s  {outcomes}",
                  flush=True)
    totals: Counter[str] = Counter()
    for result in results:
        totals.update(result["counts"])
    failed = [r for r in results if r["failure"]]
    if args.json:
        print(json.dumps({"profile": args.profile, "targets": results, "totals": dict(totals),
                          "known_bugs": KNOWN_BUGS}, indent=2))
    else:
        print(f"\ntotal: {sum(totals.values())} inputs; " + ", ".join(f"{k} {v}" for k, v in sorted(totals.items())))
        hit = sorted(k.split(":", 1)[1] for k in totals if k.startswith("known:"))
        for bug in hit:
            print(f"  known bug {bug}: {KNOWN_BUGS[bug]}")
        for r in failed:
            print(f"\nNEW FAILURE in {r['target']}:\n{r['failure']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
