"""What ``clinrag bench`` prints and writes: a text table, ``bench.json`` and ``latency_vs_size.png``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _ms(row: dict[str, Any] | None, key: str) -> str:
    value = (row or {}).get(key)
    return "-" if value is None else f"{value:.1f}"


def _x(value: Any) -> str:
    return "-" if value is None else f"{value:.2f}x"


def table(result: dict[str, Any]) -> str:
    """The figures as plain text lines."""
    lines = [f"clinrag bench  (embedder {result.get('embedder')}; {result['machine']['cpus']} CPUs, load "
             f"{result['machine']['load_avg_1m']} at start; figures are ratios on a shared machine)"]
    ing = result.get("ingest")
    if ing:
        lines.append(f"ingest: {ing['chunks']} chunks in {ing['wall_s']}s = {ing['chunks_per_s']} chunks/s; raw encode of "
                     f"the same {ing['raw_encode_chunks']} chunks {ing['raw_encode_chunks_per_s']} chunks/s; ingest/encode "
                     f"{ing['ingest_over_encode']}")
    sizes = result.get("sizes") or []
    if sizes:
        lines.append("")
        lines.append(f"{'chunks':>9} {'engine':<8} {'build s':>8} {'peak MB':>8} {'disk MB':>8} {'p50 ms':>8} {'p95 ms':>8}"
                     f" {'naive/clinrag p50':>18} {'p95':>7}")
        for row in sizes:
            for engine in ("clinrag", "naive"):
                e = row.get(engine) or {}
                if "skipped" in e:
                    lines.append(f"{row['chunks']:>9} {engine:<8} {e['skipped']}")
                    continue
                s = e.get("search") or {}
                ratio = row.get("naive_over_clinrag") or {}
                tail = f" {_x(ratio.get('p50')):>18} {_x(ratio.get('p95')):>7}" if engine == "naive" else ""
                lines.append(f"{row['chunks']:>9} {engine:<8} {e.get('build_s', '-'):>8} {e.get('peak_rss_mb', '-'):>8} "
                             f"{e.get('disk_mb', '-'):>8} {_ms(s, 'p50_ms'):>8} {_ms(s, 'p95_ms'):>8}{tail}")
            enc = row.get("query_encode") or {}
            lines.append(f"{'':>9} query encoding alone (in both engines' figures): p50 {_ms(enc, 'p50_ms')} ms, p95 "
                         f"{_ms(enc, 'p95_ms')} ms" + (f"; top-10 overlap of the two engines {row['top10_overlap']}"
                                                       if "top10_overlap" in row else ""))
    ans = result.get("answer")
    if ans:
        lat, share = ans["latency"], ans["reader_share"]
        lines.append("")
        lines.append(f"extractive answer ({lat['n']} questions of the bundled suite, {ans['index']} chunks): p50 "
                     f"{_ms(lat, 'p50_ms')} ms, p95 {_ms(lat, 'p95_ms')} ms; reader's share p50 {share['p50']} (mean "
                     f"{share['mean']}); first answer (reader load) {ans['first_answer_s']}s; RSS {ans['rss_mb']['after_answers']} MB")
    if result.get("reader_variants"):
        from eval.bench.variants import table_lines

        lines.extend(table_lines(result["reader_variants"]))
    cold = result.get("cold_start")
    if cold:
        lines.append(f"cold start on {cold['index']}: first search {cold['search']['median_s']}s (peak "
                     f"{cold['search']['peak_rss_mb']} MB), first answer {cold['ask']['median_s']}s (peak "
                     f"{cold['ask']['peak_rss_mb']} MB, no local model)")
    local = result.get("local")
    if local and "failed_exit" in local:
        lines.append(f"local model: failed (exit {local['failed_exit']}): {local['hint']}")
    elif local:
        lines.append(f"local model {local['model']} ({local['questions']} questions): first streamed words "
                     f"{local['first_words_s']} s, verified answer {local['verified_answer_s']} s; RSS "
                     f"{local['rss_without_local_mb']} MB without it, {local['rss_with_local_mb']} MB with it (peak "
                     f"{local['peak_rss_mb']} MB)")
    upd = result.get("update_delete")
    if upd:
        lines.append(f"update one document {upd['update_s']}s (embed {upd['update_embed_s']}s, write {upd['update_write_s']}s); "
                     f"delete one document {upd['delete_s']}s; index of {upd['documents_before']} documents")
    during = result.get("during_ingest")
    if during:
        lines.append(f"search while a CLI ingest of {during['ingest_chunks']} chunks runs: idle p50 "
                     f"{_ms(during['idle'], 'p50_ms')} / p95 {_ms(during['idle'], 'p95_ms')} ms")
        for priority in ("normal", "background"):
            d = during.get(priority) or {}
            lines.append(f"  ingest priority {priority:<10}: p50 {_ms(d, 'p50_ms')} ms ({_x(d.get('p50_over_idle'))} idle), "
                         f"p95 {_ms(d, 'p95_ms')} ms ({_x(d.get('p95_over_idle'))}), {d.get('n', 0)} searches"
                         + ("; the ingest ended before the measurements did" if d.get("ingest_finished_early") else ""))
            a = d.get("answer")
            if a:
                lines.append(f"  {'':<27} answers p50 {_ms(a, 'p50_ms')} ms ({_x(a.get('p50_over_idle'))} idle "
                             f"{_ms(during['answer_idle'], 'p50_ms')} ms), p95 {_ms(a, 'p95_ms')} ms "
                             f"({_x(a.get('p95_over_idle'))}), {a.get('n', 0)} answers")
    return "\n".join(lines)


def write(result: dict[str, Any], out_dir: Path) -> dict[str, str]:
    """``bench.json`` and, when matplotlib is installed and there are sizes, ``latency_vs_size.png``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {"json": str(out_dir / "bench.json")}
    png = plot(result, out_dir / "latency_vs_size.png")
    if png:
        files["png"] = png
    (out_dir / "bench.json").write_text(json.dumps({**result, "files": files}, indent=2), encoding="utf-8")
    return files


def plot(result: dict[str, Any], path: Path) -> str | None:
    sizes = result.get("sizes") or []
    if not sizes:
        return None
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for engine, colour in (("clinrag", "tab:blue"), ("naive", "tab:orange")):
        rows = [r for r in sizes if (r.get(engine) or {}).get("search")]
        if not rows:
            continue
        xs = [r["chunks"] for r in rows]
        ax.plot(xs, [r[engine]["search"]["p50_ms"] for r in rows], "o-", color=colour, label=f"{engine} p50")
        ax.plot(xs, [r[engine]["search"]["p95_ms"] for r in rows], "s--", color=colour, label=f"{engine} p95")
    ax.set(xscale="log", yscale="log", xlabel="chunks in the index", ylabel="latency, ms (query encoding included)",
           title="Hybrid retrieval latency against corpus size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)
