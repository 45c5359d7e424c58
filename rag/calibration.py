"""Small, inspectable logistic calibrators stored as JSON in the repository.

A calibrator maps named features to a probability: ``sigmoid(intercept + sum(coef[f] * scale(x[f])))``,
where each feature is standardised with the mean and scale seen when fitting. The file also records the
settings fingerprint the model was fitted for and what it was fitted on; ``scripts/fit_calibration.py``
refits it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from clinrag.errors import CalibrationError

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")


@dataclass(frozen=True)
class LogisticCalibrator:
    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    info: dict = field(default_factory=dict, compare=False)

    def probability(self, values: Mapping[str, float]) -> float:
        z = self.intercept
        for name, c, m, s in zip(self.features, self.coef, self.mean, self.scale):
            z += c * ((float(values.get(name, 0.0)) - m) / (s or 1.0))
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))

    def to_dict(self) -> dict:
        return {
            "features": list(self.features),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "mean": list(self.mean),
            "scale": list(self.scale),
            "info": self.info,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> "LogisticCalibrator":
        return cls(
            tuple(data["features"]),
            tuple(float(x) for x in data["coef"]),
            float(data["intercept"]),
            tuple(float(x) for x in data["mean"]),
            tuple(float(x) for x in data["scale"]),
            dict(data.get("info", {})),
        )


# Hand-set priors for unit tests only (``CalibrationSet.defaults()``): monotone in the obvious direction. The app
# never falls back to them: a calibration file without a model it needs is an error.
DEFAULTS: dict[str, LogisticCalibrator] = {
    "answerability": LogisticCalibrator(
        ("rel_max_logit", "top_dense"), (2.0, 0.5), 0.0, (0.0, 0.45), (2.0, 0.15), {"fitted": False},
    ),
    "support": LogisticCalibrator(
        ("entailed", "contradicted", "coverage", "numbers_ok"), (2.5, -1.5, 1.0, 0.5), 0.5, (0.5, 0.2, 0.6, 0.5),
        (0.3, 0.3, 0.25, 0.5), {"fitted": False},
    ),
    "support_judge": LogisticCalibrator(
        ("entailed", "contradicted", "coverage", "numbers_ok", "judge"), (2.0, -1.5, 1.0, 0.5, 1.5), 0.5,
        (0.5, 0.2, 0.6, 0.5, 0.5), (0.3, 0.3, 0.25, 0.5, 0.3), {"fitted": False},
    ),
    "answers_question": LogisticCalibrator(
        ("answerability", "support_min", "sentence_relevance_max"), (1.5, 1.5, 1.0), 0.0, (0.5, 0.6, 0.5),
        (0.25, 0.25, 0.25), {"fitted": False},
    ),
}


@dataclass(frozen=True)
class CalibrationSet:
    fingerprint: str
    models: dict[str, LogisticCalibrator]
    thresholds: dict[str, float] = field(default_factory=dict)
    source: str = ""
    # measured precision of stated verdicts by where they come from ("recommendation", "reader"): the verdict's
    # probability of being supported in the groundedness product (rag/groundedness.py)
    verdict_precision: dict[str, float] = field(default_factory=dict)

    def get(self, name: str) -> LogisticCalibrator:
        model = self.models.get(name)
        if model is None:
            raise CalibrationError(
                f"the calibration {self.source or '(in memory)'} has no {name!r} model (it has {sorted(self.models)}); "
                "refit it with `.venv/bin/python scripts/fit_calibration.py`"
            )
        return model

    def threshold(self, name: str) -> float:
        if name not in self.thresholds:
            raise CalibrationError(
                f"the calibration {self.source or '(in memory)'} has no fitted threshold {name!r}; set policy.{name} "
                "or refit with `.venv/bin/python scripts/fit_calibration.py`"
            )
        return float(self.thresholds[name])

    @classmethod
    def defaults(cls) -> "CalibrationSet":
        """Hand-set priors and thresholds, for unit tests with fake models."""
        return cls("defaults", dict(DEFAULTS), {"min_answerable": 0.5, "min_groundedness": 0.2, "min_answers_question": 0.0,
                                                "min_verdict": 0.8}, "defaults", {"recommendation": 0.9, "reader": 0.8})


def calibration_tag(settings) -> str:
    """The settings fingerprint a calibration is valid for: everything that shapes the signals (chunking, embedder,
    retrieval, reader, evidence shown), not the policy thresholds (they act on the calibrated probabilities) nor
    the generator (groundedness is fitted on extractive answers; the record says so for other generators)."""
    from clinrag.settings import GenerationSettings

    keep = {"evidence_chunks": settings.generation.evidence_chunks, "extractive_max_sentences": settings.generation.extractive_max_sentences}
    return settings.model_copy(update={"generation": GenerationSettings(**keep)}).fingerprint(without=frozenset({"policy"}))


def load_calibration(path: Path = CALIBRATION_FILE) -> CalibrationSet:
    """The fitted calibration. A missing or unreadable file is an error, never a silent fallback."""
    if not path.is_file():
        raise CalibrationError(f"calibration file {path} not found; restore it from git or refit with scripts/fit_calibration.py")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        models = {name: LogisticCalibrator.from_dict(m) for name, m in data.get("models", {}).items()}
    except (ValueError, KeyError, TypeError) as exc:
        raise CalibrationError(f"calibration file {path} is not valid ({exc}); restore it from git or refit it") from exc
    return CalibrationSet(data.get("settings_fingerprint", ""), models, data.get("thresholds", {}), str(path),
                          {k: float(v) for k, v in (data.get("verdict_precision") or {}).get("values", {}).items()})


def save_calibration(calibration: CalibrationSet, path: Path = CALIBRATION_FILE, extra: dict | None = None) -> None:
    data = {
        "settings_fingerprint": calibration.fingerprint,
        "thresholds": calibration.thresholds,
        "models": {name: m.to_dict() for name, m in calibration.models.items()},
        **({"verdict_precision": {"values": calibration.verdict_precision}} if calibration.verdict_precision else {}),
        **(extra or {}),
    }
    path.write_text(json.dumps(data, indent=2) + "\n")
