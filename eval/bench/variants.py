"""Reader variants for ``clinrag bench --reader-variants N`` (issue 14, item 3): the shipped fp32 reader against
int8 dynamic quantisation (``reader.quantize``), each with the process's torch threads and with one thread.

Each variant scores the same fused candidates of the bundled suite's questions (what an answer reads first);
the variants alternate question by question. Agreement is measured against fp32 with the default threads: the
same order of all candidates, the same top candidate, the largest difference of a relevance probability, and the
same support decision (argmax of entailed / contradicted / not stated) for the first four candidates. A variant
is worth keeping only if it agrees on every question; the table says which do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from clinrag.threads import capped_threads
from eval.bench import measure


def reader_variants(settings: Any, searcher: Any, asked: list[str], log: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    from rag.reader import CrossEncoderReader

    r = settings.reader
    threads = settings.generation.n_threads
    readers = {"fp32": CrossEncoderReader(r.weights_dir, r.sha256, threads, r.batch_size, False),
               "int8": CrossEncoderReader(r.weights_dir, r.sha256, threads, r.batch_size, True)}
    evidence = {q: [x.text for x in searcher.search(q, k=r.candidates).results] for q in asked}
    asked = [q for q in asked if evidence[q]]
    if not asked:
        return {"skipped": "no question found evidence"}
    for reader in readers.values():
        reader.relevance(asked[0], evidence[asked[0]])  # loaded before timing

    def scorer(name: str, cap: int) -> Callable[[str], Any]:
        def score(q: str) -> Any:
            with capped_threads(cap):
                return readers[name].relevance(q, evidence[q])
        return score

    variants = {f"{name}, {'1 thread' if cap else 'default threads'}": scorer(name, cap)
                for name in readers for cap in (0, 1)}
    log(f"reader variants: {len(asked)} questions, {len(variants)} variants alternating")
    times = measure.interleaved(variants, asked)
    out: dict[str, Any] = {"questions": len(asked), "candidates": r.candidates, "variants": {}}
    reference = {q: readers["fp32"].relevance(q, evidence[q]) for q in asked}
    support_ref = {q: readers["fp32"].support(q, evidence[q][:4]).argmax(axis=1) for q in asked}
    for label, score in variants.items():
        same_order = same_top = same_support = 0
        worst = 0.0
        for q in asked:
            got, want = np.asarray(score(q)), reference[q]
            worst = max(worst, float(np.abs(got - want).max()))
            same_order += int(list(np.argsort(-got, kind="stable")) == list(np.argsort(-want, kind="stable")))
            same_top += int(np.argmax(got) == np.argmax(want))
            name = label.split(",")[0]
            with capped_threads(1 if "1 thread" in label else 0):
                support = readers[name].support(q, evidence[q][:4]).argmax(axis=1)
            same_support += int(np.array_equal(support, support_ref[q]))
        out["variants"][label] = {**measure.summary_ms(times[label]), "same_order": same_order, "same_top": same_top,
                                  "same_support": same_support, "max_abs_diff": round(worst, 4),
                                  "equivalent": same_order == same_top == same_support == len(asked)}
    base = out["variants"]["fp32, default threads"]["p50_ms"]
    for row in out["variants"].values():
        row["speedup_p50"] = measure.ratio(base, row["p50_ms"])
    return out


def table_lines(result: dict[str, Any]) -> list[str]:
    if "skipped" in result:
        return [f"reader variants: {result['skipped']}"]
    lines = [f"reader variants ({result['questions']} questions x {result['candidates']} candidates; agreement with "
             f"fp32 at the default threads):",
             f"  {'variant':<24} {'p50 ms':>8} {'p95 ms':>8} {'speedup':>8} {'order':>6} {'top-1':>6} {'support':>8} "
             f"{'max dP':>7}  equivalent"]
    n = result["questions"]
    for label, row in result["variants"].items():
        lines.append(f"  {label:<24} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} {row['speedup_p50'] or 0:>7.2f}x "
                     f"{row['same_order']:>3}/{n:<2} {row['same_top']:>3}/{n:<2} {row['same_support']:>5}/{n:<2} "
                     f"{row['max_abs_diff']:>7.4f}  {'yes' if row['equivalent'] else 'no'}")
    return lines
