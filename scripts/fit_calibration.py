"""Refit rag/calibration.json: the support, answerability and groundedness calibrators and the policy thresholds.

  support        P(claim supported by passage) from the reader's support task and model-free checks; fitted on
                 held-back support pairs the reader never trained on (Citation-Integrity dev, MIT; perturbed
                 guideline and MedQuAD sentences of held-back documents).
  answerability  P(the index holds the answer) from the reader's relevance of the best passages and retrieval
                 signals; fitted on the answer-vs-refuse labels of guideline-dev, the bundled suite, pubmedqa-dev
                 and medquad-dev.
  groundedness   P(the answer is right) from answerability, sentence support and relevance, verdict confidence;
                 fitted on the extractive answers that pass the gate.

Honesty rules: every suite is split into folds A and B by a hash of the question id. Models are cross-fitted
(predictions for fold A come from a model fitted on fold B and vice versa); thresholds are chosen on fold A's
out-of-fold predictions and the operating point is reported on fold B; every model is also validated
leave-one-suite-out. The shipped models are then fitted on both folds. BioASQ and Med-HALT (evaluation-only
licences) are never fitted on: they are reported as unseen suites.

Usage: .venv/bin/python scripts/fit_calibration.py [--collect] [--per-suite N]
  --collect   re-run the pipeline over the suites (about 30 minutes); otherwise the cached signals are reused
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score

from clinrag.settings import REPO_ROOT, PolicySettings, load_settings
from composition.app import App
from eval.index_cache import ensure_index
from eval.metrics import ece
from eval.scoring import is_false_premise, score_question
from eval.suites import load_suite
from rag.calibration import (
    CALIBRATION_FILE,
    DEFAULTS,
    CalibrationSet,
    LogisticCalibrator,
    calibration_tag,
    save_calibration,
)

SHARED = REPO_ROOT.parent / "shared" / "data"
WORK = REPO_ROOT / "var" / "calibration"
SUPPORT = ("entailed", "contradicted", "not_stated", "coverage", "bigram_coverage", "numbers_ok", "negation_mismatch")
ANSWERABILITY = ("rel_max_logit", "rel_second_logit", "rel_top3_mean_logit", "top_dense", "top_bm25_per_term", "coverage_best")
GROUNDEDNESS = ("answerability", "support_min_logit", "entailed_min", "sentence_relevance_max_logit",
                "cited_relevance_max_logit", "verdict_confidence", "is_yesno", "dropped_fraction")
FIT_SUITES = {  # name -> (folder, answer_type filter, max questions)
    "guideline-dev": (SHARED / "suites" / "guideline-dev", None, None),
    "clinrag-demo": (REPO_ROOT / "eval" / "suites" / "clinrag-demo", None, None),
    "pubmedqa-dev": (SHARED / "suites" / "pubmedqa-dev", None, None),
    "medquad-dev": (SHARED / "suites" / "medquad-dev", None, 300),
}
UNSEEN_SUITES = {
    "bioasq-dev-yesno": (SHARED / "suites" / "bioasq-dev", "yesno", None),
    "medhalt-fake-dev": (SHARED / "suites" / "medhalt-fake-dev", None, None),
}
GUIDELINE_STYLE = ("guideline-dev", "clinrag-demo")
MAX_OVER_REFUSAL = 0.08  # chosen on fold A, leaving room below the 0.10 target on unseen data
MIN_VERDICT_PRECISION = 0.96  # on the guideline-style suites of fold A
# ... and on every fitted suite with yes/no questions pooled (fold A): the guideline-style suites alone give fold A
# only a handful of verdicts, too few to choose a threshold on (9 at t=0.5), so PubMedQA's verdicts must agree too
MIN_POOLED_VERDICT_PRECISION = 0.85


def log(message: str) -> None:
    print(f"fit_calibration: {message}", file=sys.stderr, flush=True)


def fold(question_id: str) -> str:
    return "A" if int(hashlib.sha256(f"calibration\x1f{question_id}".encode()).hexdigest()[:8], 16) % 2 == 0 else "B"


# ----------------------------------------------------------------------------- fitting helpers
def design(rows: list[dict], features: tuple[str, ...]) -> np.ndarray:
    return np.array([[float(r.get(f, 0.0)) for f in features] for r in rows], dtype=float)


def fit_lr(X: np.ndarray, y: np.ndarray, features: tuple[str, ...], info: dict, C: float = 1.0) -> LogisticCalibrator:
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=C, max_iter=2000).fit((X - mean) / scale, y)
    return LogisticCalibrator(features, tuple(float(c) for c in model.coef_[0]), float(model.intercept_[0]),
                              tuple(mean.tolist()), tuple(scale.tolist()), {"fitted": True, **info})


def predict(model: LogisticCalibrator, rows: list[dict]) -> np.ndarray:
    return np.array([model.probability(r) for r in rows])


def metrics(p: np.ndarray, y: np.ndarray) -> dict:
    out = {"n": int(len(y)), "positives": int(y.sum())}
    if len(set(y.tolist())) > 1:
        out["auroc"] = round(float(roc_auc_score(y, p)), 4)
    if len(y):
        out["ece"] = round(float(ece(p.tolist(), [bool(v) for v in y])), 4)
        out["brier"] = round(float(brier_score_loss(y, p)), 4)
    return out


# ----------------------------------------------------------------------------- 1. support
def support_rows(app: App) -> tuple[list[dict], np.ndarray]:
    from training.build import load_examples

    path = REPO_ROOT / "var" / "reader-data" / "examples.jsonl"
    if not path.is_file():
        raise SystemExit(f"{path} not found: run `clinrag train-reader` first (it writes the held-back examples)")
    examples = [e for e in load_examples(path) if e.task == "support" and e.split == "heldout" and e.source != "kqa_nli"]
    random.Random(7).shuffle(examples)
    examples = examples[:1500]
    checks = app.verifier.check_many([(e.first, e.second) for e in examples])
    rows = [c.features for c in checks]
    return rows, np.array([int(e.label == 0) for e in examples])


# ----------------------------------------------------------------------------- 2. collect suite signals
def collect(base, app_support: LogisticCalibrator, per_suite: int | None) -> list[dict]:
    open_policy = PolicySettings(min_answerable=0.0, min_groundedness=0.0, min_verdict=0.0)
    provisional = CalibrationSet("collect", {"answerability": DEFAULTS["answerability"], "support": app_support,
                                             "answers_question": DEFAULTS["answers_question"]}, {}, "collect")
    shared_app = App(base)
    out: list[dict] = []
    for name, (folder, only_type, cap) in {**FIT_SUITES, **UNSEEN_SUITES}.items():
        suite = load_suite(folder)
        index_dir, _ = ensure_index(suite, base)
        app = App(base.model_copy(update={"index_dir": index_dir, "policy": open_policy}), embedder=shared_app.embedder,
                  reader=shared_app.reader, calibration=provisional)
        answerer = app.answerer("extractive")
        questions = [q for q in suite.questions if only_type is None or q.get("answer_type") == only_type]
        cap = per_suite or cap
        if cap and len(questions) > cap:
            rng = random.Random(13)
            questions = sorted(rng.sample(questions, cap), key=lambda q: str(q["id"]))
        started = time.perf_counter()
        for q in questions:
            record = answerer.ask(str(q["question"]))
            out.append({
                "suite": name, "id": str(q["id"]), "fold": fold(f"{name}:{q['id']}"), "fit": name in FIT_SUITES,
                "question": q, "decision": record.decision, "answer": record.answer, "verdict": record.verdict,
                "refusal_code": record.refusal_code, "signals": record.signals,
                "verdict_confidence": record.verdict_confidence,
            })
        log(f"{name}: {len(questions)} questions in {time.perf_counter() - started:.0f} s")
    return out


# ----------------------------------------------------------------------------- 3. decisions and scoring
def outcome(row: dict, t_answer: float, t_verdict: float, t_ground: float, answerability: float, groundedness: float) -> dict:
    """The decision and correctness this row gets under the given thresholds (simulated from the open-gate run)."""
    q = row["question"]
    answered = row["decision"] == "answer" and answerability >= t_answer and groundedness >= t_ground
    answer, verdict = row["answer"], row["verdict"]
    if verdict and (row.get("verdict_confidence") or 0.0) < t_verdict:
        answer, verdict = answer.split(". ", 1)[1] if ". " in answer else answer, None
    score = score_question(q, "answer" if answered else "refuse", answer if answered else "", verdict if answered else None)
    return {"answered": answered, "correct": bool(score.correct), "verdict": verdict if answered else None,
            "answerable": q["expected_behavior"] == "answer", "false_premise": is_false_premise(q)}


def operating_point(rows: list[dict], t_answer: float, t_verdict: float, t_ground: float) -> dict:
    outs = [outcome(r, t_answer, t_verdict, t_ground, r["p_answerable"], r["p_grounded"]) for r in rows]
    answerable = [o for o in outs if o["answerable"] and not o["false_premise"]]
    refuse = [o for o in outs if not o["answerable"]]
    answered_ans = [o for o in outs if o["answerable"] and o["answered"]]
    yesno = [(o, r) for o, r in zip(outs, rows) if o["verdict"] and r["question"].get("answer_type") == "yesno"
             and r["question"]["expected_behavior"] == "answer"]
    all_answerable = [o for o in outs if o["answerable"]]
    return {
        "n": len(rows),
        "refusal_recall": round(np.mean([not o["answered"] for o in refuse]), 4) if refuse else None,
        "over_refusal": round(np.mean([not o["answered"] for o in answerable]), 4) if answerable else None,
        "accuracy_answerable": round(np.mean([o["correct"] for o in all_answerable]), 4) if all_answerable else None,
        "accuracy_answered": round(np.mean([o["correct"] for o in answered_ans]), 4) if answered_ans else None,
        "verdicts_stated": len(yesno),
        "verdict_precision": round(np.mean([o["correct"] for o, _ in yesno]), 4) if yesno else None,
    }


def macro(rows: list[dict], suites, **thresholds) -> dict:
    points = {s: operating_point([r for r in rows if r["suite"] == s], **thresholds) for s in suites}
    keys = ("refusal_recall", "over_refusal", "accuracy_answerable")
    return {k: float(np.mean([p[k] for p in points.values() if p[k] is not None])) for k in keys} | {"per_suite": points}


# ----------------------------------------------------------------------------- main
def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--collect", action="store_true", help="re-run the pipeline over the suites")
    parser.add_argument("--per-suite", type=int, default=None, help="cap on questions per suite (default: see FIT_SUITES)")
    parser.add_argument("--out", type=Path, default=CALIBRATION_FILE)
    args = parser.parse_args()
    if not SHARED.exists():
        log(f"{SHARED} not found: the dev data is needed to fit")
        return 2
    started = time.perf_counter()
    base = load_settings()
    tag = calibration_tag(base)
    WORK.mkdir(parents=True, exist_ok=True)
    report: dict = {"settings_fingerprint": tag}

    # 1. support
    app = App(base, calibration=CalibrationSet("support-fit", {"support": DEFAULTS["support"]}, {}, "support-fit"))
    s_rows, s_y = support_rows(app)
    support = fit_lr(design(s_rows, SUPPORT), s_y, SUPPORT, {"data": "held-back support pairs: citation_integrity dev, perturbed guideline and MedQuAD sentences of held-back documents"})
    s_idx = np.arange(len(s_y))
    half = s_idx % 2 == 0
    cv_a = fit_lr(design([s_rows[i] for i in s_idx[half]], SUPPORT), s_y[half], SUPPORT, {})
    cv_b = fit_lr(design([s_rows[i] for i in s_idx[~half]], SUPPORT), s_y[~half], SUPPORT, {})
    cv = np.where(half, predict(cv_b, s_rows), predict(cv_a, s_rows))
    support.info.update(metrics(cv, s_y))
    report["support"] = metrics(cv, s_y)
    log(f"support: {report['support']}")

    # 2. signals
    cache = WORK / "signals.jsonl"
    if args.collect or not cache.is_file():
        rows = collect(base, support, args.per_suite)
        cache.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    rows = [json.loads(line) for line in cache.read_text(encoding="utf-8").splitlines()]
    for r in rows:
        r["signals"]["is_yesno"] = 1.0 if r["verdict_confidence"] is not None else 0.0
    fit_rows = [r for r in rows if r["fit"]]

    # 3. answerability: cross-fitted by fold, leave-one-suite-out, final on everything
    y_of = lambda rs: np.array([int(r["question"]["expected_behavior"] == "answer") for r in rs])
    sig = lambda rs: [r["signals"] for r in rs]
    by_fold = {f: [r for r in fit_rows if r["fold"] == f] for f in "AB"}
    models = {f: fit_lr(design(sig(by_fold[f]), ANSWERABILITY), y_of(by_fold[f]), ANSWERABILITY, {}) for f in "AB"}
    for r in rows:  # out-of-fold for fitted suites; unseen suites get the model of fold A (never their own data)
        other = "B" if r["fold"] == "A" else "A"
        r["p_answerable"] = models[other if r["fit"] else "A"].probability(r["signals"])
    loso = {}
    for s in FIT_SUITES:
        train_rows = [r for r in fit_rows if r["suite"] != s]
        test_rows = [r for r in fit_rows if r["suite"] == s]
        m = fit_lr(design(sig(train_rows), ANSWERABILITY), y_of(train_rows), ANSWERABILITY, {})
        loso[s] = metrics(predict(m, sig(test_rows)), y_of(test_rows))
    answerability = fit_lr(design(sig(fit_rows), ANSWERABILITY), y_of(fit_rows), ANSWERABILITY,
                           {"data": ", ".join(FIT_SUITES), "leave_one_suite_out": loso})
    report["answerability"] = {"out_of_fold": metrics(np.array([r["p_answerable"] for r in fit_rows]), y_of(fit_rows)),
                               "leave_one_suite_out": loso}
    log(f"answerability: {report['answerability']}")

    # 4. verdict threshold: guideline-style suites, fold A
    fold_a = [r for r in fit_rows if r["fold"] == "A"]
    for r in rows:
        r["p_grounded"] = 1.0
    t_verdict = 0.99
    for t in np.arange(0.5, 0.991, 0.01):
        point = operating_point([r for r in fold_a if r["suite"] in GUIDELINE_STYLE], 0.0, float(t), 0.0)
        pooled = operating_point(fold_a, 0.0, float(t), 0.0)
        if (point["verdict_precision"] is not None and point["verdict_precision"] >= MIN_VERDICT_PRECISION
                and pooled["verdict_precision"] is not None and pooled["verdict_precision"] >= MIN_POOLED_VERDICT_PRECISION):
            t_verdict = round(float(t), 2)
            break
    log(f"verdict threshold {t_verdict}")

    # 5. answerability threshold: fold A, macro over fitted suites
    t_answer = 0.5
    best = None
    for t in np.arange(0.05, 0.951, 0.01):
        m = macro(fold_a, FIT_SUITES, t_answer=float(t), t_verdict=t_verdict, t_ground=0.0)
        if m["over_refusal"] <= MAX_OVER_REFUSAL and (best is None or m["refusal_recall"] > best[1]["refusal_recall"]):
            best = (round(float(t), 2), m)
    if best:
        t_answer = best[0]
    log(f"answerability threshold {t_answer}")

    # 6. groundedness: rows that pass the gate (out-of-fold), label = right answer to an answerable question
    def g_label(r):
        o = outcome(r, t_answer, t_verdict, 0.0, r["p_answerable"], 1.0)
        return int(o["answered"] and o["answerable"] and o["correct"])

    passed = [r for r in fit_rows if r["decision"] == "answer" and r["p_answerable"] >= t_answer]
    for r in passed:
        r["signals"]["answerability"] = r["p_answerable"]
    g_models = {f: fit_lr(design(sig([r for r in passed if r["fold"] == f]), GROUNDEDNESS),
                          np.array([g_label(r) for r in passed if r["fold"] == f]), GROUNDEDNESS, {}) for f in "AB"}
    for r in rows:
        r["signals"]["answerability"] = r["p_answerable"]
        r["p_grounded"] = g_models[("B" if r["fold"] == "A" else "A") if r["fit"] else "A"].probability(r["signals"])
    g_loso = {}
    for s in FIT_SUITES:
        tr = [r for r in passed if r["suite"] != s]
        te = [r for r in passed if r["suite"] == s]
        m = fit_lr(design(sig(tr), GROUNDEDNESS), np.array([g_label(r) for r in tr]), GROUNDEDNESS, {})
        g_loso[s] = metrics(predict(m, sig(te)), np.array([g_label(r) for r in te]))
    groundedness = fit_lr(design(sig(passed), GROUNDEDNESS), np.array([g_label(r) for r in passed]), GROUNDEDNESS,
                          {"data": "extractive answers passing the gate: " + ", ".join(FIT_SUITES), "leave_one_suite_out": g_loso})
    report["groundedness"] = {"out_of_fold": metrics(np.array([r["p_grounded"] for r in passed]), np.array([g_label(r) for r in passed])),
                              "leave_one_suite_out": g_loso}
    log(f"groundedness: {report['groundedness']}")

    # 7. groundedness threshold: fold A, keep over-refusal within the budget
    t_ground = 0.0
    for t in np.arange(0.0, 0.51, 0.01):
        m = macro(fold_a, FIT_SUITES, t_answer=t_answer, t_verdict=t_verdict, t_ground=float(t))
        if m["over_refusal"] <= MAX_OVER_REFUSAL + 0.01:
            t_ground = round(float(t), 2)
        else:
            break
    log(f"groundedness threshold {t_ground}")

    # the fitted "groundedness" model of this script predicts whether the answer is right: it ships as answers_question;
    # the groundedness badge itself is the product of statement supports (rag/groundedness.py), not refused on here
    thresholds = {"min_answerable": t_answer, "min_groundedness": 0.0, "min_answers_question": t_ground, "min_verdict": t_verdict}
    fold_b = [r for r in rows if r["fold"] == "B"]
    report["thresholds"] = thresholds
    report["operating_point_fold_b"] = {
        s: operating_point([r for r in fold_b if r["suite"] == s], t_answer, t_verdict, t_ground) for s in {**FIT_SUITES, **UNSEEN_SUITES}
    }
    report["operating_point_fold_a"] = {
        s: operating_point([r for r in fold_a if r["suite"] == s], t_answer, t_verdict, t_ground) for s in FIT_SUITES
    }
    for s, p in report["operating_point_fold_b"].items():
        log(f"fold B {s}: {p}")
    calibration = CalibrationSet(tag, {"answerability": answerability, "support": support, "answers_question": groundedness}, thresholds)
    save_calibration(calibration, args.out, {
        "fitted_on": "scripts/fit_calibration.py: held-back support pairs; " + ", ".join(FIT_SUITES) + " (folds A+B)",
        "thresholds_chosen_on": "fold A (out-of-fold predictions); operating point reported on fold B",
        "operating_point_fold_b": report["operating_point_fold_b"],
        "fit_seconds": round(time.perf_counter() - started, 1),
    })
    (WORK / "report.json").write_text(json.dumps(report, indent=2, default=float) + "\n", encoding="utf-8")
    log(f"wrote {args.out} and {WORK / 'report.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
