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


# Hand-set priors used until a fitted file exists (and by unit tests): monotone in the obvious direction.
DEFAULTS: dict[str, LogisticCalibrator] = {
    "answerability": LogisticCalibrator(
        ("top_dense", "coverage_best", "coverage_top3"), (2.0, 1.5, 1.0), 0.0, (0.45, 0.6, 0.75), (0.15, 0.2, 0.2),
        {"fitted": False},
    ),
    "support": LogisticCalibrator(
        ("coverage", "cos_best", "numbers_ok", "negation_mismatch"), (2.5, 1.5, 1.0, -1.5), 0.5, (0.6, 0.6, 0.5, 0.1),
        (0.25, 0.2, 0.5, 0.3), {"fitted": False},
    ),
    "support_judge": LogisticCalibrator(
        ("coverage", "cos_best", "numbers_ok", "negation_mismatch", "judge"), (2.0, 1.0, 1.0, -1.5, 2.0), 0.5,
        (0.6, 0.6, 0.5, 0.1, 0.5), (0.25, 0.2, 0.5, 0.3, 0.3), {"fitted": False},
    ),
    "groundedness": LogisticCalibrator(
        ("answerability", "support_min", "support_mean"), (1.5, 1.5, 0.5), 0.0, (0.5, 0.6, 0.7), (0.25, 0.25, 0.2),
        {"fitted": False},
    ),
}


@dataclass(frozen=True)
class CalibrationSet:
    fingerprint: str
    models: dict[str, LogisticCalibrator]
    thresholds: dict[str, float] = field(default_factory=dict)

    def get(self, name: str) -> LogisticCalibrator:
        return self.models.get(name) or DEFAULTS[name]


def calibration_tag(settings) -> str:
    """The settings fingerprint a calibration is valid for: every answer-changing setting except the policy
    thresholds, which act on the calibrated probabilities rather than change them."""
    from clinrag.settings import PolicySettings

    return settings.model_copy(update={"policy": PolicySettings()}).fingerprint()


def load_calibration(path: Path = CALIBRATION_FILE) -> CalibrationSet:
    if not path.exists():
        return CalibrationSet("defaults", dict(DEFAULTS))
    data = json.loads(path.read_text())
    models = {name: LogisticCalibrator.from_dict(m) for name, m in data.get("models", {}).items()}
    return CalibrationSet(data.get("settings_fingerprint", ""), models, data.get("thresholds", {}))


def save_calibration(calibration: CalibrationSet, path: Path = CALIBRATION_FILE, extra: dict | None = None) -> None:
    data = {
        "settings_fingerprint": calibration.fingerprint,
        "thresholds": calibration.thresholds,
        "models": {name: m.to_dict() for name, m in calibration.models.items()},
        **(extra or {}),
    }
    path.write_text(json.dumps(data, indent=2) + "\n")
