"""``clinrag eval --judge``: score the verifier's support probability on a judge set (premise, hypothesis, label)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from tqdm import tqdm

from clinrag.errors import SuiteError
from clinrag.settings import Settings
from eval import metrics as M
from eval.outputs import write_json, write_jsonl
from eval.suites import read_jsonl_objects, stratified_sample

JUDGE_LABELS = ("supported", "unsupported", "contradicted")


def read_judge_file(path: Path) -> list[dict[str, Any]]:
    """Judge pairs ``{id, premise, hypothesis, label}``; raises ``SuiteError`` naming the line and the fix."""
    if not path.is_file():
        raise SuiteError(f"judge file {path} does not exist (pass --judge FILE, a JSONL of premise/hypothesis/label)")
    items: list[dict[str, Any]] = []
    for number, item in read_jsonl_objects(path):
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
    out = Path(out_dir) if out_dir is not None else Path(settings.eval_dir) / f"judge-{path.stem}"
    if verifier is None:
        from composition.app import App

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
