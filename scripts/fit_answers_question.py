"""Refit only the ``answers_question`` calibrator of rag/calibration.json from finished ``clinrag eval`` runs.

``answers_question`` is P(the answer addresses what was asked): fitted on the questions a run answered, label = the
answer was scored right (an answered must-refuse question is a 0). Its inputs are the ``signals`` every eval record
carries, so a refit needs no second pass over the pipeline; the answerability gate, the support calibrator and the
thresholds stay as they are (``scripts/fit_calibration.py --collect`` refits all of them).

Honesty: the questions of the fitted runs are split into folds A and B by a hash of suite and id (as in
fit_calibration.py); the figures reported for them are out of fold (fold A scored by the model fitted on B and the
other way round) and leave-one-suite-out; ``--report`` runs are never fitted on. The shipped model is fitted on
both folds of the ``--fit`` runs. The threshold ``min_answers_question`` is not changed here.

Usage: .venv/bin/python scripts/fit_answers_question.py --fit RUN_DIR [RUN_DIR ...] [--report RUN_DIR ...] [--write]
  RUN_DIR  a `clinrag eval --out` folder (records.jsonl and report.json)
  --write  replace answers_question in rag/calibration.json (default: print the figures only)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from fit_calibration import GROUNDEDNESS, design, fit_lr, fold, metrics, predict
from rag.calibration import CALIBRATION_FILE, LogisticCalibrator

FEATURES = GROUNDEDNESS + ("verdict_stated", "n_sentences")


def load_run(folder: Path) -> tuple[str, list[dict]]:
    """(suite name, the answered records with their signals) of one eval run."""
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    suite = str(report.get("suite") or folder.name)
    rows = []
    for line in (folder / "records.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if r.get("decision") != "answer":
            continue
        if not r.get("signals"):
            raise SystemExit(f"{folder}: record {r['id']} has no signals; rerun the eval with this version of the runner")
        signals = dict(r["signals"])
        signals.setdefault("verdict_stated", 1.0 if r.get("verdict") else 0.0)
        rows.append({"suite": suite, "id": str(r["id"]), "fold": fold(f"{suite}:{r['id']}"), "signals": signals,
                     "label": int(r.get("expected_behavior") == "answer" and bool(r.get("correct")))})
    return suite, rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fit", type=Path, nargs="+", required=True, help="eval runs to fit on")
    parser.add_argument("--report", type=Path, nargs="*", default=[], help="eval runs to report on only (held out)")
    parser.add_argument("--write", action="store_true", help="replace answers_question in rag/calibration.json")
    args = parser.parse_args()
    fitted = [load_run(f) for f in args.fit]
    held = [load_run(f) for f in args.report]
    rows = [r for _, rs in fitted for r in rs]
    current = LogisticCalibrator.from_dict(json.loads(CALIBRATION_FILE.read_text())["models"]["answers_question"])
    y = lambda rs: np.array([r["label"] for r in rs])
    sig = lambda rs: [r["signals"] for r in rs]

    by_fold = {f: [r for r in rows if r["fold"] == f] for f in "AB"}
    models = {f: fit_lr(design(sig(by_fold[f]), FEATURES), y(by_fold[f]), FEATURES, {}) for f in "AB"}
    out_of_fold = np.array([models["B" if r["fold"] == "A" else "A"].probability(r["signals"]) for r in rows])
    report: dict = {"features": FEATURES, "out_of_fold": metrics(out_of_fold, y(rows)),
                    "current_model_same_rows": metrics(predict(current, sig(rows)), y(rows)), "per_suite": {}}
    for suite, rs in fitted:
        at = [i for i, r in enumerate(rows) if r["suite"] == suite]
        others = [r for r in rows if r["suite"] != suite]
        loso = fit_lr(design(sig(others), FEATURES), y(others), FEATURES, {}) if len({r["label"] for r in others}) > 1 else None
        report["per_suite"][suite] = {
            "out_of_fold": metrics(out_of_fold[at], y(rs)),
            "leave_one_suite_out": metrics(predict(loso, sig(rs)), y(rs)) if loso else None,
            "current_model": metrics(predict(current, sig(rs)), y(rs)),
        }
    final = fit_lr(design(sig(rows), FEATURES), y(rows), FEATURES, {
        "data": "answered questions of clinrag eval runs: " + ", ".join(s for s, _ in fitted) + " (folds A+B)",
        "label": "the answer was scored right (an answered must-refuse question is wrong)",
        "fitted_by": "scripts/fit_answers_question.py",
        "out_of_fold": report["out_of_fold"],
    })
    for suite, rs in held:
        report["per_suite"][suite] = {"held_out": metrics(predict(final, sig(rs)), y(rs)),
                                      "current_model": metrics(predict(current, sig(rs)), y(rs))}
    report["coefficients"] = dict(zip(FEATURES, [round(c, 3) for c in final.coef]))
    print(json.dumps(report, indent=2, default=float))
    if args.write:
        data = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))
        final.info["held_out"] = {s: report["per_suite"][s]["held_out"] for s, _ in held}
        data["models"]["answers_question"] = final.to_dict()
        CALIBRATION_FILE.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        print(f"wrote answers_question to {CALIBRATION_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
