"""Run an evaluation suite or a judge set: the IO edge of ``clinrag eval``.

``run_suite`` builds (or reuses) the suite's index under ``<repo>/var/eval-index/<key>`` (key: sha256 of
the corpus files' hashes, the excluded ids and ``settings.index_fingerprint()``; override the folder with
``$CLINRAG_EVAL_INDEX_ROOT`` or ``index_root=``), runs retrieval-only searches per mode, asks every
question, scores the answers and writes ``report.json``, ``report.md``, ``records.jsonl`` and PNG plots.

``--limit N`` keeps a deterministic sample of N questions stratified by ``expected_behavior``
(proportional shares, drawn with ``random.Random(seed)``, file order kept); see
``eval.suites.stratified_sample``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from tqdm import tqdm

from clinrag.errors import ClinragError, GenerationError, QuestionError, SuiteError
from clinrag.settings import REPO_ROOT, Settings
from eval import metrics as M
from eval.report import build_report, write_documents, write_json, write_jsonl, write_plots
from eval.scoring import is_false_premise, score_question
from eval.suites import (
    Suite,
    corpus_hashes,
    file_sha256,
    index_key,
    load_suite,
    stratified_sample,
    validate_suite,
    variant_kind,
)

MODES = ("fused", "bm25", "dense", "reranked")
RETRIEVAL_K = 10
JUDGE_LABELS = ("supported", "unsupported", "contradicted")
MARKER = "eval-index.json"


def _log(message: str) -> None:
    print(f"clinrag eval: {message}", file=sys.stderr)


# ----------------------------------------------------------------------------- index cache
def index_root_dir(index_root: Path | None = None) -> Path:
    if index_root is not None:
        return Path(index_root)
    env = os.environ.get("CLINRAG_EVAL_INDEX_ROOT")
    return Path(env) if env else REPO_ROOT / "var" / "eval-index"


def ensure_index(
    suite: Suite, settings: Settings, embedder: Any = None, index_root: Path | None = None
) -> tuple[Path, dict[str, Any]]:
    """The folder of the suite's index, built now unless a complete one with the same key exists."""
    from clinrag.app import App
    from ingest.pipeline import ingest_paths

    embedder_name = "" if embedder is None else str(getattr(embedder, "name", type(embedder).__name__))
    key = index_key(suite, settings.index_fingerprint(), embedder_name)
    folder = index_root_dir(index_root) / key
    marker = folder / MARKER
    if marker.is_file():
        info = json.loads(marker.read_text(encoding="utf-8"))
        return folder, {**info, "dir": str(folder), "built": False}
    if folder.exists():  # an interrupted build: start again
        shutil.rmtree(folder)
    derived = _derive_from_cached_index(suite, settings, embedder, index_root, folder, key, embedder_name)
    if derived is not None:
        return folder, {**derived, "dir": str(folder), "built": True}
    _log(f"building the index of suite {suite.name!r} in {folder} (cached for later runs)")
    app = App(settings.model_copy(update={"index_dir": folder}), embedder=embedder)
    started = time.perf_counter()
    report = ingest_paths(
        list(suite.corpus), app.settings, app.embedder, app.store,
        on_event=lambda m: _log(m), exclude_doc_ids=set(suite.exclude_doc_ids),
    )
    if not (report.added or report.updated or report.unchanged):
        reasons = "; ".join(f"{p}: {r}" for p, r in report.failed) or "no documents"
        shutil.rmtree(folder, ignore_errors=True)
        raise SuiteError(f"{suite.root / 'suite.json'}: no corpus document could be indexed ({reasons}); fix the corpus entries")
    for path, reason in report.failed:
        _log(f"warning: corpus file {path} was not indexed: {reason}")
    info = {
        "key": key,
        "suite": suite.name,
        "corpus": [str(p) for p in suite.corpus],
        "corpus_files": sorted([list(x) for x in corpus_hashes(suite.corpus)]),
        "excluded_ids": len(suite.exclude_doc_ids),
        "index_fingerprint": settings.index_fingerprint(),
        "embedder": embedder_name or settings.embedding.package,
        "documents": len(report.added) + len(report.updated) + len(report.unchanged),
        "chunks": report.chunks_written,
        "failed": [{"path": p, "reason": r} for p, r in report.failed],
        "build_s": round(time.perf_counter() - started, 2),
    }
    write_json(marker, info)
    return folder, {**info, "dir": str(folder), "built": True}


def _derive_from_cached_index(
    suite: Suite, settings: Settings, embedder: Any, index_root: Path | None, folder: Path, key: str, embedder_name: str
) -> dict[str, Any] | None:
    """Reuse embeddings across suites: copy a cached index whose corpus files include this suite's, then remove the
    documents this suite must not see (excluded ids, and documents of corpus files it does not list). Removal costs
    no embedding. A suite with exclusions and no such index first builds its full-corpus index. Returns None (and
    the caller builds from scratch) when nothing can be reused or the copy does not come out consistent."""
    import dataclasses

    from clinrag.app import App

    wanted = {tuple(x) for x in corpus_hashes(suite.corpus)}
    fingerprint = settings.index_fingerprint()
    embedder_id = embedder_name or settings.embedding.package
    source = _superset_index(index_root_dir(index_root), wanted, fingerprint, embedder_id)
    missing_files: list[Path] = []
    if source is None:
        subset = _subset_index(index_root_dir(index_root), wanted, fingerprint, embedder_id)
        if subset is not None:  # extend a cached index of some of the files with the rest
            source, have = subset
            from ingest.loaders import iter_input_files

            missing_files = [p for p in iter_input_files(list(suite.corpus)) if (p.name, file_sha256(p)) not in have]
        elif not suite.exclude_doc_ids:
            return None
        else:
            source, _ = ensure_index(dataclasses.replace(suite, exclude_doc_ids=frozenset()), settings, embedder, index_root)
    started = time.perf_counter()
    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(source, staging)
    (staging / MARKER).unlink(missing_ok=True)
    app = App(settings.model_copy(update={"index_dir": staging}), embedder=embedder)
    names = {name for name, _ in wanted}
    removed = sorted(
        d["doc_id"] for d in app.store.documents()
        if d["doc_id"] in suite.exclude_doc_ids or Path(d["source_path"].split("#")[0]).name not in names
    )
    if removed:
        app.store.apply([], remove_doc_ids=removed)
    if missing_files:
        from ingest.pipeline import ingest_paths

        report = ingest_paths(missing_files, app.settings, app.embedder, app.store, on_event=_log,
                              exclude_doc_ids=set(suite.exclude_doc_ids))
        if report.failed:
            _log(f"warning: corpus files not indexed: {report.failed}")
    stats = app.store.stats()
    if stats.get("vectors") != stats.get("chunks") or not stats.get("documents"):
        _log(f"derived index of {suite.name} is inconsistent ({stats}); building from scratch")
        shutil.rmtree(staging, ignore_errors=True)
        return None
    info = {
        "key": key,
        "suite": suite.name,
        "corpus": [str(p) for p in suite.corpus],
        "corpus_files": sorted([list(x) for x in wanted]),
        "excluded_ids": len(suite.exclude_doc_ids),
        "removed_from_source_index": len(removed),
        "derived_from": source.name,
        "index_fingerprint": fingerprint,
        "embedder": embedder_name or settings.embedding.package,
        "documents": stats.get("documents"),
        "chunks": stats.get("chunks"),
        "failed": [],
        "build_s": round(time.perf_counter() - started, 2),
    }
    write_json(staging / MARKER, info)
    staging.rename(folder)
    return info


def _cached_indexes(root: Path, fingerprint: str, embedder: str):
    """(folder, corpus files, chunks) of every complete cached index built without exclusions for these settings."""
    for marker in root.glob(f"*/{MARKER}"):
        try:
            info = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        files = {tuple(x) for x in info.get("corpus_files") or []}
        if info.get("index_fingerprint") == fingerprint and info.get("embedder") == embedder and files and not info.get("excluded_ids"):
            yield marker.parent, files, int(info.get("chunks") or 0)


def _subset_index(
    root: Path, wanted: set[tuple[str, str]], fingerprint: str, embedder: str
) -> tuple[Path, set[tuple[str, str]]] | None:
    """The largest cached index whose corpus files are all in ``wanted``."""
    found = [(size, folder, files) for folder, files, size in _cached_indexes(root, fingerprint, embedder) if files <= wanted]
    if not found:
        return None
    _, folder, files = max(found, key=lambda t: t[0])
    return folder, files


def _superset_index(root: Path, wanted: set[tuple[str, str]], fingerprint: str, embedder: str) -> Path | None:
    """The smallest cached index whose corpus files include ``wanted``."""
    found = [(size, folder) for folder, files, size in _cached_indexes(root, fingerprint, embedder) if wanted <= files]
    return min(found, key=lambda t: t[0])[1] if found else None


# ----------------------------------------------------------------------------- per-question rows
def _record_dict(record: Any) -> dict[str, Any]:
    if record is None:
        return {}
    if isinstance(record, Mapping):
        return dict(record)
    return record.to_dict()


def question_row(
    question: Mapping[str, Any],
    record: Any,
    ranking: Sequence[str] | None,
    chunk_docs: Mapping[str, str],
    latency_s: float,
    error: str | None = None,
) -> dict[str, Any]:
    """One line of records.jsonl: the question, what the system did, and how it scored."""
    rec = _record_dict(record)
    evidence = rec.get("evidence") or []
    doc_of = {**chunk_docs, **{e["chunk_id"]: e["doc_id"] for e in evidence}}
    cited_chunks = list(dict.fromkeys(c for s in rec.get("sentences") or [] for c in s.get("citations") or []))
    decision = rec.get("decision") or "refuse"
    answer = rec.get("answer") or ""
    score = score_question(question, decision, answer, rec.get("verdict"))
    timings = rec.get("timings_s") or {}
    return {
        "id": str(question.get("id")),
        "question": question.get("question"),
        "category": question.get("category"),
        "answer_type": question.get("answer_type"),
        "expected_behavior": question.get("expected_behavior"),
        "gold_answer": question.get("gold_answer"),
        "gold_doc_ids": list(question.get("gold_doc_ids") or []),
        "superseded_doc_ids": list(question.get("superseded_doc_ids") or []),
        "variant_of": question.get("variant_of"),
        "variant_kind": variant_kind(question),
        "false_premise": is_false_premise(question),
        "decision": decision,
        "answer": answer,
        "verdict": rec.get("verdict"),
        "groundedness": float(rec.get("groundedness") or 0.0),
        "answerability": rec.get("answerability"),
        "refusal_code": rec.get("refusal_code") or ("error" if error else None),
        "refusal_reason": rec.get("refusal_reason") or error,
        "warnings": list(rec.get("warnings") or []),
        "correct": score.correct,
        "score": score.to_dict(),
        "cited_chunk_ids": cited_chunks,
        "cited_doc_ids": [doc_of.get(c, c.split(":")[0]) for c in cited_chunks],
        "evidence": [
            {"chunk_id": e["chunk_id"], "doc_id": e["doc_id"], "status": e.get("status"), "score": e.get("score")}
            for e in evidence
        ],
        "retrieved_doc_ids": list(ranking or []),
        "first_hit_rank": M.first_hit_rank(ranking or [], question.get("gold_doc_ids") or []),
        "latency_s": float(timings.get("total", latency_s)),
        "timings_s": timings,
        "generator": rec.get("generator"),
        "error": error,
    }


# ----------------------------------------------------------------------------- retrieval
def retrieval_rankings(retriever: Any, questions: Sequence[Mapping[str, Any]], mode: str) -> dict[str, list[str]]:
    """question id -> doc ids of the top-10 results of ``retriever.search(q, k=10, mode)`` (``retriever`` is the App,
    whose ``search`` also offers the ``reranked`` mode)."""
    out: dict[str, list[str]] = {}
    for q in questions:
        try:
            response = retriever.search(str(q["question"]), k=RETRIEVAL_K, mode=mode)
            out[str(q["id"])] = [r.doc_id for r in response.results]
        except ClinragError:
            out[str(q["id"])] = []
    return out


def _chunk_docs(store: Any, rows_chunks: Sequence[str]) -> dict[str, str]:
    try:
        return {cid: row["doc_id"] for cid, row in store.chunks(rows_chunks).items()}
    except Exception:  # the store may be a stand-in in tests
        return {}


# ----------------------------------------------------------------------------- suite
def run_suite(
    suite_dir: Path | str,
    settings: Settings,
    out_dir: Path | str | None = None,
    limit: int | None = None,
    generator: str | None = None,
    seed: int = 0,
    embedder: Any = None,
    *,
    index_root: Path | None = None,
    progress: bool = True,
    reader: Any = None,
    calibration: Any = None,
) -> dict[str, Any]:
    """Evaluate ``suite_dir`` and write the report files; returns the report dictionary. ``embedder``, ``reader`` and
    ``calibration`` replace the configured ones (tests inject fakes; a caller may share loaded models)."""
    from clinrag.app import App

    started = time.perf_counter()
    timings: dict[str, float] = {}
    suite = load_suite(suite_dir)
    t = time.perf_counter()
    problems = validate_suite(suite.root)
    for p in problems[:10]:
        _log(f"suite problem: {p}")
    timings["validate_s"] = time.perf_counter() - t
    questions = stratified_sample(suite.questions, limit, seed)
    generator_name = generator or settings.generation.generator
    out = Path(out_dir) if out_dir is not None else REPO_ROOT / "var" / "eval" / f"{suite.name}-{generator_name}"

    t = time.perf_counter()
    index_dir, index_info = ensure_index(suite, settings, embedder, index_root)
    timings["index_s"] = time.perf_counter() - t
    app = App(settings.model_copy(update={"index_dir": index_dir}), embedder=embedder, reader=reader, calibration=calibration)
    app.store.require_ready()

    t = time.perf_counter()
    answerable = [q for q in questions if q.get("expected_behavior") == "answer" and q.get("gold_doc_ids")]
    rankings = {mode: retrieval_rankings(app, answerable, mode) for mode in MODES}
    baselines = {
        mode: M.retrieval_summary([rankings[mode][str(q["id"])] for q in answerable], [q["gold_doc_ids"] for q in answerable])
        for mode in MODES
    }
    timings["retrieval_s"] = time.perf_counter() - t

    t = time.perf_counter()
    answerer = app.answerer(generator)
    records: list[tuple[Mapping[str, Any], Any, float, str | None]] = []
    unexpected = 0
    for q in tqdm(questions, desc=f"eval {suite.name}", unit="q", file=sys.stderr, disable=not progress):
        begin = time.perf_counter()
        try:
            record, error = answerer.ask(str(q["question"])), None
        except (QuestionError, GenerationError) as exc:  # this question failed; the run goes on
            record, error = None, f"{type(exc).__name__}: {exc}"
        except ClinragError:  # configuration, model or index problems fail every question: stop now
            raise
        except Exception as exc:  # one broken question must not lose a long run; counted in report["errors"]
            unexpected += 1
            if unexpected == len(records) + 1 >= 3:  # the first questions all failed: a bug, not a question
                raise
            record, error = None, f"unexpected {type(exc).__name__}: {exc}"
            _log(f"question {q.get('id')}: {error}")
        records.append((q, record, time.perf_counter() - begin, error))
    timings["answer_s"] = time.perf_counter() - t

    t = time.perf_counter()
    cited = [c for _, r, _, _ in records for s in _record_dict(r).get("sentences") or [] for c in s.get("citations") or []]
    chunk_docs = _chunk_docs(app.store, cited)
    rows = [
        question_row(q, record, rankings["reranked"].get(str(q["id"])), chunk_docs, latency, error)
        for q, record, latency, error in records
    ]
    fingerprints = {str(_record_dict(r).get("settings_fingerprint")) for _, r, _, _ in records if r is not None}
    meta = {
        "suite": suite.name,
        "settings_fingerprint": fingerprints.pop() if len(fingerprints) == 1 else app.settings.fingerprint(),
        "generator": generator_name,
        "suite_dir": str(suite.root),
        "limit": limit,
        "seed": seed,
        "n_suite": len(suite.questions),
        "index": index_info,
        "suite_problems": problems[:200],
        "n_suite_problems": len(problems),
        "out_dir": str(out),
    }
    report = build_report(rows, baselines, meta)
    timings["score_s"] = time.perf_counter() - t
    t = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    report["plots"] = write_plots(rows, report, out)
    timings["plots_s"] = time.perf_counter() - t
    report["timings"] = {k: round(v, 3) for k, v in timings.items()}
    report["wall_s"] = round(time.perf_counter() - started, 3)
    write_documents(report, rows, out)
    _log(f"wrote {out / 'report.md'}")
    return report


# ----------------------------------------------------------------------------- judge
def read_judge_file(path: Path) -> list[dict[str, Any]]:
    """Judge pairs ``{id, premise, hypothesis, label}``; raises ``SuiteError`` naming the line and the fix."""
    if not path.is_file():
        raise SuiteError(f"judge file {path} does not exist (pass --judge FILE, a JSONL of premise/hypothesis/label)")
    items: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SuiteError(f"{path} line {number} is not valid JSON ({exc.msg}); one JSON object per line") from exc
        if not isinstance(item, dict):
            raise SuiteError(f"{path} line {number}: expected a JSON object")
        for name in ("premise", "hypothesis"):
            if not isinstance(item.get(name), str) or not item[name].strip():
                raise SuiteError(f"{path} line {number}: '{name}' must be a non-empty string")
        if item.get("label") not in JUDGE_LABELS:
            raise SuiteError(f"{path} line {number}: label {item.get('label')!r} is not one of {list(JUDGE_LABELS)}")
        item.setdefault("id", f"line-{number}")
        items.append(item)
    if not items:
        raise SuiteError(f"judge file {path} holds no pairs")
    return items


def judge_summary(scores: Sequence[float], labels: Sequence[str], threshold: float = 0.5) -> dict[str, Any]:
    """Balanced accuracy at ``threshold``, AUROC, confusion matrix and calibration of support scores."""
    actual = [label == "supported" for label in labels]
    predicted = [s >= threshold for s in scores]
    cls = M.binary_classification(predicted, actual)
    by_label = {
        label: {"n": sum(1 for x in labels if x == label), "mean_score": M.mean(s for s, x in zip(scores, labels) if x == label)}
        for label in JUDGE_LABELS
    }
    return {
        "threshold": threshold,
        "balanced_accuracy": cls["balanced_accuracy"],
        "auroc": M.auroc(scores, actual),
        "confusion_matrix": cls["confusion_matrix"],
        "confusion_labels": ["not supported", "supported"],
        "accuracy": M.mean(1.0 if p == a else 0.0 for p, a in zip(predicted, actual)),
        "brier": M.brier(scores, actual),
        "ece": M.ece(scores, actual, 10),
        "by_label": by_label,
    }


def run_judge(
    path: Path | str,
    settings: Settings,
    out_dir: Path | str | None = None,
    limit: int | None = None,
    seed: int = 0,
    *,
    verifier: Any = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Score ``verifier.support(hypothesis, premise)`` on a judge set; writes report.json and records.jsonl."""
    started = time.perf_counter()
    path = Path(path)
    items = stratified_sample(read_judge_file(path), limit, seed, key="label")
    out = Path(out_dir) if out_dir is not None else REPO_ROOT / "var" / "eval" / f"judge-{path.stem}"
    if verifier is None:
        from clinrag.app import App

        verifier = App(settings).verifier
    support: Callable[[str, str], float] = verifier.support
    scores: list[float] = []
    rows = []
    t = time.perf_counter()
    for item in tqdm(items, desc=f"judge {path.stem}", unit="pair", file=sys.stderr, disable=not progress):
        score = float(support(item["hypothesis"], item["premise"]))
        scores.append(score)
        rows.append({"id": item["id"], "label": item["label"], "score": round(score, 6)})
    scoring_s = time.perf_counter() - t
    report = {
        "judge": path.stem,
        "file": str(path),
        "n": len(items),
        "limit": limit,
        "seed": seed,
        "settings_fingerprint": settings.fingerprint(),
        "judge_model": settings.generation.judge_model,
        **judge_summary(scores, [i["label"] for i in items]),
        "seconds_per_pair": scoring_s / len(items) if items else None,
        "wall_s": time.perf_counter() - started,
    }
    report = M.rounded(report)  # type: ignore[assignment]
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "report.json", report)
    write_jsonl(out / "records.jsonl", rows)
    return report
