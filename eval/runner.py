"""Run an evaluation suite: the IO edge of ``clinrag eval --suite`` (the index cache is ``eval/index_cache.py``, the
judge run ``eval/judge.py``).

``run_suite`` builds (or reuses) the suite's index under ``<repo>/var/eval-index/<key>`` (key: sha256 of
the corpus files' hashes, the excluded ids and ``settings.index_fingerprint()``; override the folder with
``$CLINRAG_EVAL_INDEX_ROOT`` or ``index_root=``), runs retrieval-only searches per mode, asks every
question, scores the answers and writes ``report.json``, ``report.md``, ``records.jsonl`` and PNG plots.

``--limit N`` keeps a deterministic sample of N questions stratified by ``expected_behavior``
(proportional shares, drawn with ``random.Random(seed)``, file order kept); see
``eval.suites.stratified_sample``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from clinrag.errors import ClinragError, GenerationError, QuestionError
from clinrag.settings import Settings
from eval import metrics as M
from eval.index_cache import ensure_index, index_root_dir  # noqa: F401  (index_root_dir: part of the runner's API)
from eval.judge import run_judge  # noqa: F401  (clinrag eval --judge)
from eval.outputs import write_documents
from eval.plots import write_plots
from eval.report import build_report
from eval.scoring import is_false_premise, score_question
from eval.suites import (
    load_suite,
    stratified_sample,
    validate_suite,
    variant_kind,
)

MODES = ("fused", "bm25", "dense", "reranked")
RETRIEVAL_K = 10


def _log(message: str) -> None:
    print(f"clinrag eval: {message}", file=sys.stderr)


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
        "answers_question": rec.get("answers_question"),
        "recommendation": rec.get("recommendation"),
        "all_quoted": bool(rec.get("sentences")) and all(
            any(c.get("quoted") for c in ((s.get("checks") or {}).get("per_chunk") or {}).values()) for s in rec.get("sentences") or []),
        "answerability": rec.get("answerability"),
        "verdict_confidence": rec.get("verdict_confidence"),
        "signals": rec.get("signals") or {},  # the calibrators' inputs, so a refit can read a run (fit_calibration.py)
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
Answered = tuple[Mapping[str, Any], Any, float, str | None]  # (question, record or None, seconds, error or None)


def answer_all(answerer: Any, questions: Sequence[Mapping[str, Any]], desc: str, progress: bool = True,
               on_progress: Callable[[int, int], None] | None = None) -> list[Answered]:
    """Every question asked in turn. A question that fails is recorded with its error and the run goes on; an
    error of configuration, model or index (``ClinragError``) stops it, and so does an unexpected error on each of
    the first three questions (a bug, not a question)."""
    records: list[Answered] = []
    unexpected = 0
    for q in tqdm(questions, desc=desc, unit="q", file=sys.stderr, disable=not progress):
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
        if on_progress is not None:
            on_progress(len(records), len(questions))
    return records


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
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Evaluate ``suite_dir`` and write the report files; returns the report dictionary. ``embedder``, ``reader`` and
    ``calibration`` replace the configured ones (tests inject fakes; a caller may share loaded models).
    ``on_progress(questions_done, total)`` is called after each question is answered (or fails), beside the
    ``progress`` bar on stderr."""
    from composition.app import App

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
    out = Path(out_dir) if out_dir is not None else Path(settings.eval_dir) / f"{suite.name}-{generator_name}"

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
    records = answer_all(app.answerer(generator), questions, f"eval {suite.name}", progress, on_progress)
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
        "generator": generator_name, "suite_dir": str(suite.root), "limit": limit, "seed": seed,
        "n_suite": len(suite.questions), "index": index_info,
        "suite_problems": problems[:200], "n_suite_problems": len(problems), "out_dir": str(out),
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
