"""Refit the calibrators in rag/calibration.json from the dev data in ../shared/data.

  answerability  P(the index holds the answer) from retrieval signals; fitted on the dev suites' answer-vs-refuse labels
  support        P(passage supports claim) from the verifier's checks; fitted on the judge sets
  groundedness   P(answer is supported and right) from answerability and sentence supports; fitted on the
                 correctness of extractive answers to the dev suites
Each is a logistic regression on standardised features (scikit-learn), written as plain numbers; the policy
thresholds are then chosen on the same data and printed with the trade-off they give.
Usage: .venv/bin/python scripts/fit_calibration.py [--per-suite N] [--judge-limit N]
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
from sklearn.metrics import balanced_accuracy_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import cross_val_predict

from clinrag.app import App
from clinrag.settings import REPO_ROOT, PolicySettings, load_settings
from eval.metrics import ece
from eval.runner import ensure_index
from eval.scoring import score_question
from eval.suites import load_suite
from rag.calibration import CALIBRATION_FILE, DEFAULTS, calibration_tag, CalibrationSet, LogisticCalibrator, save_calibration

SHARED = REPO_ROOT.parent / "shared" / "data"
ANSWERABILITY = ("top_dense", "dense_margin", "top_bm25_per_term", "coverage_best", "coverage_top3")
SUPPORT = ("coverage", "bigram_coverage", "numbers_ok", "has_numbers", "negation_mismatch", "length_ratio", "cos_best", "cos_passage")
GROUNDEDNESS = ("answerability", "support_min", "support_mean", "dropped_fraction", "coverage_best", "top_dense")
DEV_SUITES = {"pubmedqa-dev": None, "bioasq-dev": "yesno", "medquad-dev": None, "medhalt-fake-dev": None}


def fit(name: str, rows: list[dict], labels: list[int], features: tuple[str, ...], info: dict) -> tuple[LogisticCalibrator, dict]:
    X = np.array([[float(r.get(f, 0.0)) for f in features] for r in rows])
    y = np.array(labels)
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (X - mean) / scale
    model = LogisticRegression(C=1.0, max_iter=1000)
    cv = cross_val_predict(model, Z, y, cv=5, method="predict_proba")[:, 1]
    model.fit(Z, y)
    metrics = {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "cv_auroc": round(float(roc_auc_score(y, cv)), 4),
        "cv_balanced_accuracy": round(float(balanced_accuracy_score(y, cv >= 0.5)), 4),
        "cv_ece": round(float(ece(cv.tolist(), [bool(v) for v in y])), 4),
        "cv_brier": round(float(brier_score_loss(y, cv)), 4),
    }
    print(f"{name}: {metrics}", file=sys.stderr)
    calibrator = LogisticCalibrator(
        features, tuple(float(c) for c in model.coef_[0]), float(model.intercept_[0]), tuple(mean.tolist()),
        tuple(scale.tolist()), {"fitted": True, **info, **metrics},
    )
    return calibrator, {"cv": cv.tolist(), "y": y.tolist()}


def sample(questions, k: int, seed: int, only_type: str | None):
    pool = [q for q in questions if only_type is None or q.get("answer_type") == only_type]
    rng = random.Random(seed)
    rng.shuffle(pool)
    return pool[:k]


def judge_rows(app: App, limit: int) -> tuple[list[dict], list[int]]:
    rows, labels = [], []
    for name in ("kqa_nli.jsonl", "healthver_dev.jsonl"):
        items = [json.loads(l) for l in (SHARED / "judge" / name).read_text().splitlines() if l.strip()]
        items.sort(key=lambda it: hashlib.sha256(str(it["id"]).encode()).hexdigest())
        for item in items[:limit]:
            rows.append(app.verifier.features(item["hypothesis"], item["premise"]))
            labels.append(1 if item["label"] == "supported" else 0)
    return rows, labels


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-suite", type=int, default=250)
    parser.add_argument("--judge-limit", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=CALIBRATION_FILE)
    args = parser.parse_args()
    if not SHARED.exists():
        print(f"{SHARED} not found: the dev data is needed to fit", file=sys.stderr)
        return 2
    started = time.perf_counter()
    base = load_settings()
    tag = calibration_tag(base)

    # 1. support: judge sets
    app = App(base)
    s_rows, s_labels = judge_rows(app, args.judge_limit)
    support, _ = fit("support", s_rows, s_labels, SUPPORT, {"data": "judge/kqa_nli + judge/healthver_dev"})

    # 2. answerability + groundedness: dev suites, gates opened so every question yields signals
    open_policy = PolicySettings(min_answerable=0.0, min_sentence_support=base.policy.min_sentence_support, min_groundedness=0.0)
    collected: list[dict] = []
    provisional = CalibrationSet(tag, {"answerability": DEFAULTS["answerability"], "support": support, "groundedness": DEFAULTS["groundedness"]})
    for suite_name, only_type in DEV_SUITES.items():
        suite = load_suite(SHARED / "suites" / suite_name)
        folder, _ = ensure_index(suite, base)
        suite_app = App(base.model_copy(update={"index_dir": folder, "policy": open_policy}), embedder=app.embedder)
        suite_app.__dict__["calibration"] = provisional
        answerer = suite_app.answerer("extractive")
        for q in sample(suite.questions, args.per_suite, 13, only_type):
            record = answerer.ask(q["question"])
            score = score_question(q, record.decision, record.answer, record.verdict)
            collected.append({
                "suite": suite_name,
                "answerable": q["expected_behavior"] == "answer",
                "answered": record.decision == "answer",
                "correct": bool(score.correct) and record.decision == "answer",
                "signals": record.signals,
            })
        print(f"{suite_name}: {sum(1 for c in collected if c['suite'] == suite_name)} questions", file=sys.stderr)
    a_rows = [c["signals"] for c in collected]
    answerability, a_cv = fit("answerability", a_rows, [int(c["answerable"]) for c in collected], ANSWERABILITY,
                              {"data": ", ".join(DEV_SUITES)})
    for c, p in zip(collected, a_cv["cv"]):
        c["signals"]["answerability"] = p
    answered = [c for c in collected if c["answered"]]
    groundedness, g_cv = fit("groundedness", [c["signals"] for c in answered], [int(c["correct"]) for c in answered],
                             GROUNDEDNESS, {"data": "extractive answers to the dev suites"})

    # 3. thresholds: the trade-off table, then the operating point with over-refusal <= 0.10 and most refusals
    table = []
    g_of = {id(c): p for c, p in zip(answered, g_cv["cv"])}
    for t_a in np.arange(0.2, 0.81, 0.05):
        for t_g in np.arange(0.0, 0.61, 0.05):
            answers = [c["answered"] and c["signals"]["answerability"] >= t_a and g_of.get(id(c), 0) >= t_g for c in collected]
            refuse_items = [a for a, c in zip(answers, collected) if not c["answerable"]]
            answer_items = [(a, c) for a, c in zip(answers, collected) if c["answerable"]]
            recall = sum(not a for a in refuse_items) / max(1, len(refuse_items))
            over = sum(not a for a, _ in answer_items) / max(1, len(answer_items))
            acc = [c["correct"] for a, c in answer_items if a]
            table.append((round(float(t_a), 2), round(float(t_g), 2), recall, over, sum(acc) / max(1, len(acc))))
    feasible = [row for row in table if row[3] <= 0.10] or table
    best = max(feasible, key=lambda r: (r[2], -r[3]))
    print("chosen thresholds: answerability >= %.2f, groundedness >= %.2f -> refusal recall %.3f, over-refusal %.3f, "
          "accuracy answered %.3f" % best, file=sys.stderr)
    calibration = CalibrationSet(tag, {"answerability": answerability, "support": support, "groundedness": groundedness},
                                 {"min_answerable": best[0], "min_groundedness": best[1]})
    save_calibration(calibration, args.out, {
        "fitted_on": "shared/data dev suites and judge sets (scripts/fit_calibration.py)",
        "operating_point": {"refusal_recall": round(best[2], 4), "over_refusal": round(best[3], 4), "accuracy_answered": round(best[4], 4)},
        "fit_seconds": round(time.perf_counter() - started, 1),
    })
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
