"""``clinrag bench``: builds what it measures, measures it with ``eval.bench.measure``, returns one dict.

Sections of the result (see README, "clinrag bench"): ``ingest`` (throughput next to the raw encode rate of the
same embedder on the same chunks), ``sizes`` (per corpus size: build time, peak build RSS, size on disk and hybrid
p50/p95 for clinrag and the naive LangChain stack, with the ratio), ``answer`` (extractive latency and the reader's
share on the bundled suite), ``cold_start`` (fresh process to first search and first answer on the largest
index, with each process's peak RSS), ``update_delete`` and ``during_ingest`` (search latency while a CLI ingest
runs, at normal and background priority). Builds run in child processes (``eval.bench.workers``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from clinrag.settings import REPO_ROOT, Settings
from composition.app import App
from eval.bench import corpus, measure, naive

SUITE = REPO_ROOT / "eval" / "suites" / "clinrag-demo"
SHARED_CORPORA = REPO_ROOT.parent / "shared" / "data" / "corpora"


@dataclass
class BenchOptions:
    sizes: list[int] = field(default_factory=lambda: [10_000])
    queries: int = 60
    ingest_chunks: int = 300
    answers: int = 20
    cold_runs: int = 2
    pool: int = 3000
    vectors: str = "pool"  # "pool": sums of real sentence vectors; "random": unit Gaussian vectors
    seed: int = 0
    naive: bool = True
    during_ingest: bool = True
    during_chunks: int = 1500
    during_answers: int = 5  # extractive answers timed idle and during each ingest (with answers > 0)
    update_delete: bool = True
    local: int = 0  # questions answered with the local model in a fresh process (0: not measured; slow)
    reader_variants: int = 0  # questions scored by fp32/int8 readers at default/one thread (0: not measured)
    settings_file: Path | None = None
    work_dir: Path | None = None  # default: a temporary folder under <data_dir>, removed at the end
    keep: bool = False
    log: Callable[[str], None] = field(default=lambda _m: None, repr=False)


class TimingReader:
    """Wraps a reader and adds up the seconds spent in its calls (the reader's share of an answer)."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self.name = reader.name
        self.seconds = 0.0

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._reader, attr)
        if not callable(value):
            return value

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return value(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        return timed


def questions(limit: int) -> list[str]:
    lines = (SUITE / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()][:limit]


def _peak_mb(pid: int) -> float | None:
    """VmHWM of a running process: the peak RSS of its own program (``ru_maxrss`` of a child also counts the
    parent's memory it was forked from)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def run_child(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float | None, int, str]:
    """(wall seconds, the child's peak RSS in MB, exit status, stdout) of a fresh process; the peak is read from
    /proc while it runs (every 20 ms), None where there is no /proc."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, env=env, cwd=REPO_ROOT, text=True)
        peak = None
        while proc.poll() is None:
            seen = _peak_mb(proc.pid)
            peak = seen if seen is not None and (peak is None or seen > peak) else peak
            time.sleep(0.02)
        wall = time.perf_counter() - started
        out.seek(0)
        return wall, peak, proc.returncode, out.read()


def _build(engine: str, folder: Path, spec: dict[str, Any], work: Path) -> dict[str, Any]:
    spec_file = work / f"spec-{engine}-{spec['size']}.json"
    spec_file.write_text(json.dumps({**spec, "engine": engine, "folder": str(folder)}), encoding="utf-8")
    wall, peak, rc, out = run_child([sys.executable, "-m", "eval.bench.workers", "build", str(spec_file)])
    if rc != 0:
        raise RuntimeError(f"the {engine} build of {spec['size']} chunks failed (exit {rc}); run "
                           f"`{sys.executable} -m eval.bench.workers build {spec_file}` to see why")
    return {**json.loads(out.strip().splitlines()[-1]), "process_s": round(wall, 2), "peak_rss_mb": peak,
            "disk_mb": measure.dir_size_mb(folder)}


def bench_ingest(app: App, settings: Settings, pool: list[str], opts: BenchOptions, work: Path) -> dict[str, Any]:
    """Ingest a synthetic JSONL corpus, then encode the very texts the pipeline embedded, same process."""
    from ingest.chunking import chunk_document
    from ingest.loaders import load_file_lenient
    from ingest.prepare import embedding_text

    path = work / "ingest.jsonl"
    docs = corpus.write_jsonl(pool, corpus.synthetic_chunks(len(pool), opts.ingest_chunks, opts.seed + 7), path)
    ingest_settings = settings.model_copy(update={
        "index_dir": work / "ingest-index",
        "ingest": settings.ingest.model_copy(update={"priority": "normal"}),  # like for like with the raw encode
    })
    target = App(ingest_settings, embedder=app.embedder)
    app.embedder.embed_documents(["warm up the embedder"])
    started = time.perf_counter()
    report = target.ingest([path])
    wall = time.perf_counter() - started
    documents, _ = load_file_lenient(path, int(settings.max_file_mb * 1e6))
    texts = [embedding_text(d, c, settings.embedding.contextual_header) for d in documents
             for c in chunk_document(d, settings.chunking)]
    started = time.perf_counter()
    for i in range(0, len(texts), 1024):  # the batches prepare_many encodes in
        app.embedder.embed_documents(texts[i : i + 1024])
    encode_s = time.perf_counter() - started
    ingest_rate, encode_rate = measure.rate(report.chunks_written, wall), measure.rate(len(texts), encode_s)
    return {"documents": docs, "chunks": report.chunks_written, "wall_s": round(wall, 2), "chunks_per_s": ingest_rate,
            "raw_encode_chunks": len(texts), "raw_encode_s": round(encode_s, 2), "raw_encode_chunks_per_s": encode_rate,
            "ingest_over_encode": measure.ratio(ingest_rate or 0.0, encode_rate or 0.0), "stage_s": report.timings_s,
            "failed": len(report.failed)}


def bench_size(app: App, settings: Settings, size: int, spec: dict[str, Any], opts: BenchOptions, work: Path,
               queries: list[str]) -> tuple[dict[str, Any], App]:
    opts.log(f"size {size}: building the clinrag index")
    folder = work / f"clinrag-{size}"
    row: dict[str, Any] = {"chunks": size, "clinrag": _build("clinrag", folder, spec, work)}
    searcher = App(settings.model_copy(update={"index_dir": folder}), embedder=app.embedder)
    fns: dict[str, Callable[[str], Any]] = {"clinrag": lambda q: searcher.search(q, k=10)}
    missing = naive.available() if opts.naive else "skipped (--no-naive)"
    if missing is None:
        opts.log(f"size {size}: building the naive LangChain stack")
        row["naive"] = _build("naive", work / f"naive-{size}", spec, work)
        lc = naive.NaiveRetriever(work / f"naive-{size}", app.embedder, k=10)
        fns["naive"] = lambda q: lc.search(q, 10)
    else:
        row["naive"] = {"skipped": missing}
    fns["query_encode"] = lambda q: app.embedder.embed_query(q)  # the part both engines pay alike
    for fn in fns.values():
        fn(queries[0])  # warm: files opened, caches filled
    opts.log(f"size {size}: {len(queries)} queries, engines alternating")
    times = measure.interleaved(fns, queries)
    row["query_encode"] = measure.summary_ms(times.pop("query_encode"))
    for name, seconds in times.items():
        row[name]["search"] = measure.summary_ms(seconds)
    if "naive" in fns:
        c, n = row["clinrag"]["search"], row["naive"]["search"]
        row["naive_over_clinrag"] = {"p50": measure.ratio(n["p50_ms"], c["p50_ms"]), "p95": measure.ratio(n["p95_ms"], c["p95_ms"])}
        row["top10_overlap"] = round(float(np.mean([measure.overlap_at([r.chunk_id for r in searcher.search(q, k=10).results],
                                                                      lc.search(q, 10), 10) for q in queries[:20]])), 3)
    return row, searcher


def bench_answer(app: App, settings: Settings, opts: BenchOptions, embedder: Any = None, reader: Any = None,
                 calibration: Any = None) -> dict[str, Any]:
    """Extractive answers on the bundled suite's (cached) index: latency, the reader's share, the first answer.
    ``embedder``, ``reader`` and ``calibration`` are the parts passed in (None: the configured ones)."""
    from eval.index_cache import ensure_index
    from eval.suites import load_suite

    started = time.perf_counter()
    index, info = ensure_index(load_suite(SUITE), settings, embedder=embedder)
    index_s = time.perf_counter() - started
    from composition.app import build_reader

    timing = TimingReader(reader if reader is not None else build_reader(settings))
    answering = App(settings.model_copy(update={"index_dir": index}), embedder=app.embedder, reader=timing,
                    calibration=calibration)
    answerer = answering.answerer("extractive")
    asked = questions(opts.answers + 1)
    rss_before = measure.rss_mb()
    started = time.perf_counter()
    answerer.ask(asked[0])
    first_s = time.perf_counter() - started
    totals, shares, stages = [], [], {}
    for q in asked[1:]:
        timing.seconds = 0.0
        started = time.perf_counter()
        record = answerer.ask(q)
        total = time.perf_counter() - started
        totals.append(total)
        shares.append(timing.seconds / total if total else 0.0)
        for k, v in record.timings_s.items():
            stages.setdefault(k, []).append(v)
    return {"index": info.get("chunks") or answering.store.stats().get("chunks"), "index_dir": str(index),
            "index_ready_s": round(index_s, 2),
            "first_answer_s": round(first_s, 3), "latency": measure.summary_ms(totals),
            "reader_share": {"p50": round(measure.percentile(shares, 50), 3) if shares else None,
                             "mean": round(float(np.mean(shares)), 3) if shares else None},
            "stage_p50_ms": {k: round(1000 * measure.percentile(v, 50), 1) for k, v in stages.items()},
            "rss_mb": {"before_reader": rss_before, "after_answers": measure.rss_mb()}}


def bench_local(index: Path, opts: BenchOptions, work: Path) -> dict[str, Any]:
    """A fresh process answers with the local model (``eval.bench.workers local``); its peak RSS from /proc."""
    spec = work / "spec-local.json"
    spec.write_text(json.dumps({"index": str(index), "questions": questions(opts.local),
                                "settings": str(opts.settings_file) if opts.settings_file else None}), encoding="utf-8")
    wall, peak, rc, out = run_child([sys.executable, "-m", "eval.bench.workers", "local", str(spec)])
    if rc != 0:
        return {"failed_exit": rc, "hint": f"run `{sys.executable} -m eval.bench.workers local {spec}` (--keep) to see why"}
    return {**json.loads(out.strip().splitlines()[-1]), "process_s": round(wall, 2), "peak_rss_mb": peak}


def bench_cold_start(folder: Path, opts: BenchOptions, query: str) -> dict[str, Any]:
    """Fresh ``clinrag search`` and ``clinrag ask`` processes on a persisted index (imports and model loads included)."""
    base = [sys.executable, "-m", "cli.main"]
    extra = ["--settings", str(opts.settings_file)] if opts.settings_file else []
    out: dict[str, Any] = {"index": str(folder.name)}
    for command in ("search", "ask"):
        runs = [run_child([*base, command, query, "--index", str(folder), "--json", *extra]) for _ in range(opts.cold_runs)]
        failed = [r[2] for r in runs if r[2] != 0]
        out[command] = {"median_s": round(float(np.median([r[0] for r in runs])), 2), "runs_s": [round(r[0], 2) for r in runs],
                        "peak_rss_mb": max((r[1] for r in runs if r[1] is not None), default=None), **({"failed_exit": failed} if failed else {})}
    return out


def bench_update_delete(searcher: App, settings: Settings) -> dict[str, Any]:
    """Replace one document (re-chunked and re-embedded) and delete another, on the largest index."""
    from ingest.prepare import prepare_many

    store = searcher.store
    docs = sorted(d["doc_id"] for d in store.documents())
    old = store.document_chunks(docs[0])
    text = "\n\n".join(c["text"] for c in old) + "\n\nThis section was revised by the benchmark."
    from clinrag.records import Document, sha256_bytes

    document = Document(doc_id=docs[0], title=f"Synthetic guideline {docs[0]} (revised)", text=text,
                        source_path=f"synthetic/{docs[0]}", sha256=sha256_bytes(text.encode()), origin=f"synthetic/{docs[0]}")
    started = time.perf_counter()
    prepared = prepare_many([document], settings, searcher.embedder)
    embed_s = time.perf_counter() - started
    started = time.perf_counter()
    store.apply(prepared)
    write_s = time.perf_counter() - started
    started = time.perf_counter()
    store.apply([], remove_doc_ids=[docs[-1]], audit=("delete", "clinrag bench"))
    delete_s = time.perf_counter() - started
    return {"documents_before": len(docs), "update_s": round(embed_s + write_s, 3), "update_embed_s": round(embed_s, 3),
            "update_write_s": round(write_s, 3), "delete_s": round(delete_s, 3)}


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _while_running(proc: subprocess.Popen, fn: Callable[[Any], Any], items: list[Any]) -> list[float]:
    times: list[float] = []
    for item in items:
        if proc.poll() is not None:
            break
        times.extend(measure.time_each(fn, [item]))
    return times


def _over_idle(times: list[float], idle: dict[str, Any]) -> dict[str, Any]:
    row = measure.summary_ms(times)
    return {**row, "p50_over_idle": measure.ratio(row["p50_ms"], idle["p50_ms"]),
            "p95_over_idle": measure.ratio(row["p95_ms"], idle["p95_ms"])}


def bench_during_ingest(searcher: App, pool: list[str], opts: BenchOptions, work: Path, queries: list[str],
                        answer: Callable[[str], Any] | None = None, asked: list[str] | None = None) -> dict[str, Any]:
    """Search latency (and, given ``answer``, extractive answer latency) idle, then while a ``clinrag ingest``
    process embeds, at each ingest priority."""
    path = work / "during.jsonl"
    corpus.write_jsonl(pool, corpus.synthetic_chunks(len(pool), opts.during_chunks, opts.seed + 11), path)
    search = lambda q: searcher.search(q, k=10)  # noqa: E731
    out: dict[str, Any] = {"ingest_chunks": opts.during_chunks, "idle": measure.summary_ms(measure.time_each(search, queries))}
    if answer is not None and asked:
        out["answer_idle"] = measure.summary_ms(measure.time_each(answer, asked))
    extra = ["--settings", str(opts.settings_file)] if opts.settings_file else []
    for priority in ("normal", "background"):
        env = {**os.environ, "CLINRAG_INGEST__PRIORITY": priority}
        cmd = [sys.executable, "-m", "cli.main", "ingest", str(path), "--index", str(work / f"during-{priority}"), *extra]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=REPO_ROOT)
        deadline = time.monotonic() + 120
        while proc.poll() is None and _cpu_seconds(proc.pid) < 6.0 and time.monotonic() < deadline:
            time.sleep(0.2)  # until its imports and model load are behind it: it is embedding
        out[priority] = _over_idle(_while_running(proc, search, queries), out["idle"])
        if "answer_idle" in out:
            out[priority]["answer"] = _over_idle(_while_running(proc, answer, asked or []), out["answer_idle"])
        out[priority]["ingest_finished_early"] = proc.poll() is not None
        proc.terminate()
        proc.wait()
    return out


def pool_vectors(app: App, pool: list[str], cache: Path) -> tuple[np.ndarray, float]:
    """The pool's sentence vectors, encoded once per (pool, embedder) and cached."""
    name = str(getattr(app.embedder, "name", type(app.embedder).__name__)).replace("/", "_").replace("@", "_")
    path = cache / f"pool-{corpus.pool_digest(pool)}-{name}.npy"
    if path.is_file():
        return np.load(path), 0.0
    started = time.perf_counter()
    vectors = np.asarray(app.embedder.embed_documents(pool), dtype=np.float32)
    seconds = time.perf_counter() - started
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors, seconds


def run_bench(settings: Settings, opts: BenchOptions, *, embedder: Any = None, reader: Any = None,
              calibration: Any = None) -> dict[str, Any]:
    app = App(settings, embedder=embedder)
    root = settings.data_dir / "bench"
    root.mkdir(parents=True, exist_ok=True)
    work = Path(opts.work_dir) if opts.work_dir else Path(tempfile.mkdtemp(prefix="run-", dir=root))
    work.mkdir(parents=True, exist_ok=True)
    sources_paths = [REPO_ROOT / "corpora"] + ([SHARED_CORPORA] if SHARED_CORPORA.is_dir() else [])
    options = {f.name: getattr(opts, f.name) for f in fields(opts) if f.name != "log"}
    result: dict[str, Any] = {"options": {k: (str(v) if isinstance(v, Path) else v) for k, v in options.items()},
                              "machine": {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)},
                              "embedder": str(getattr(app.embedder, "name", "?"))}
    try:
        sources = corpus.read_sources(sources_paths)
        pool = corpus.sentence_pool(sources, opts.pool, opts.seed)
        vectors, encode_s = pool_vectors(app, pool, root / "cache")
        (work / "pool.json").write_text(json.dumps(pool), encoding="utf-8")
        vec_file = work / "pool.npy"
        np.save(vec_file, vectors)
        result["corpus"] = {"sources": [str(p) for p in sources_paths], "pool_sentences": len(pool),
                            "pool_digest": corpus.pool_digest(pool), "pool_encode_s": round(encode_s, 2), "vectors": opts.vectors}
        queries = questions(opts.queries)
        opts.log("ingest throughput")
        result["ingest"] = bench_ingest(app, settings, pool, opts, work)
        spec = {"pool": str(work / "pool.json"), "pool_vectors": str(vec_file) if opts.vectors == "pool" else None,
                "dim": int(vectors.shape[1]), "seed": opts.seed,
                "settings": str(opts.settings_file) if opts.settings_file else None}
        result["sizes"], searcher = [], None
        for size in sorted(opts.sizes):
            row, searcher = bench_size(app, settings, size, {**spec, "size": size}, opts, work, queries)
            result["sizes"].append(row)
        if opts.answers > 0:
            opts.log("extractive answers on the bundled suite")
            result["answer"] = bench_answer(app, settings, opts, embedder, reader, calibration)
            if opts.reader_variants > 0:
                from eval.bench.variants import reader_variants

                bundled = App(settings.model_copy(update={"index_dir": Path(result["answer"]["index_dir"])}), embedder=app.embedder)
                result["reader_variants"] = reader_variants(settings, bundled, questions(opts.reader_variants), opts.log)
            if opts.local > 0:
                opts.log("local model answers (a fresh process)")
                result["local"] = bench_local(Path(result["answer"]["index_dir"]), opts, work)
        if searcher is not None:
            if opts.cold_runs > 0:
                opts.log("cold start")
                result["cold_start"] = bench_cold_start(searcher.settings.index_dir, opts, queries[0])
            if opts.during_ingest:
                opts.log("search during an ingest")
                answer, asked = None, None
                if "answer" in result:  # the bundled suite's answerer, its reader already loaded
                    bundled = App(settings.model_copy(update={"index_dir": Path(result["answer"]["index_dir"])}),
                                  embedder=app.embedder, reader=reader, calibration=calibration)
                    answer, asked = bundled.answerer("extractive").ask, questions(opts.during_answers)
                result["during_ingest"] = bench_during_ingest(searcher, pool, opts, work, queries, answer, asked)
            if opts.update_delete:
                result["update_delete"] = bench_update_delete(searcher, settings)
    finally:
        if not opts.keep:
            shutil.rmtree(work, ignore_errors=True)
    result["work_dir"] = str(work) if opts.keep else None
    return result
