"""Pure measuring helpers of ``clinrag bench``: timing loops, percentiles, ratios, memory and disk probes.

Nothing here builds an index or starts a process; ``eval.bench.run`` does that and calls these.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (as numpy's default) of a non-empty sequence."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    pos = (len(ordered) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p95 and mean in milliseconds, with the count."""
    if not seconds:
        return {"n": 0, "p50_ms": float("nan"), "p95_ms": float("nan"), "mean_ms": float("nan")}
    return {
        "n": len(seconds),
        "p50_ms": round(1000 * percentile(seconds, 50), 2),
        "p95_ms": round(1000 * percentile(seconds, 95), 2),
        "mean_ms": round(1000 * sum(seconds) / len(seconds), 2),
    }


def time_each(fn: Callable[[Any], Any], items: Sequence[Any]) -> list[float]:
    """Seconds of ``fn(item)`` for each item."""
    out = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - started)
    return out


def interleaved(fns: Mapping[str, Callable[[Any], Any]], items: Sequence[Any]) -> dict[str, list[float]]:
    """Seconds of each function on each item, the functions alternating item by item (A B A B ...) so that a change
    in the machine's load reaches every contender alike; the order of the pair flips on every item."""
    names = list(fns)
    out: dict[str, list[float]] = {n: [] for n in names}
    for i, item in enumerate(items):
        for name in names if i % 2 == 0 else reversed(names):
            started = time.perf_counter()
            fns[name](item)
            out[name].append(time.perf_counter() - started)
    return out


def ratio(numerator: float, denominator: float, digits: int = 2) -> float | None:
    if not denominator or numerator != numerator or denominator != denominator:  # zero or NaN
        return None
    return round(numerator / denominator, digits)


def rss_mb() -> float:
    """Resident memory of this process now (Linux /proc; the peak where that is missing)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return peak_rss_mb()


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def dir_size_mb(path: Path) -> float:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return round(total / 1e6, 1)


def rate(count: int, seconds: float) -> float | None:
    return round(count / seconds, 1) if seconds > 0 else None


def overlap_at(a: Sequence[str], b: Sequence[str], k: int) -> float:
    """Share of the first ``k`` of ``a`` found in the first ``k`` of ``b``."""
    top = list(a)[:k]
    return round(len(set(top) & set(list(b)[:k])) / len(top), 3) if top else 1.0
