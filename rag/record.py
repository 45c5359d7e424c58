"""The answer record: what ``clinrag ask --json`` prints and what the UI and the evaluation read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from rag.retrieval import SearchResult

REFUSAL_NO_EVIDENCE = "no_relevant_evidence"
REFUSAL_NOT_STATED = "evidence_does_not_answer"
REFUSAL_UNSUPPORTED = "evidence_does_not_support"
REFUSAL_LOW_GROUNDEDNESS = "low_groundedness"
REFUSAL_FALSE_PREMISE = "premise_contradicted"
REFUSAL_MESSAGES = {
    REFUSAL_FALSE_PREMISE: "The question assumes that {premise} The guideline says otherwise: \"{sentence}\" ({source}).",
    REFUSAL_NO_EVIDENCE: "Nothing relevant was found in the loaded guidelines for this question.",
    REFUSAL_NOT_STATED: "The closest passages ({passages}) do not state an answer to this question.",
    REFUSAL_UNSUPPORTED: "The drafted answer was not supported by the passages it cites: no sentence passed verification.",
    REFUSAL_LOW_GROUNDEDNESS: "The evidence found is too weak to answer reliably (groundedness below the threshold).",
}


@dataclass(frozen=True)
class SentenceRecord:
    text: str
    citations: list[str]
    support: float
    markers: list[int] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnswerRecord:
    question: str
    decision: Literal["answer", "refuse"]
    answer: str
    sentences: list[SentenceRecord]
    groundedness: float
    refusal_reason: str | None
    evidence: list[SearchResult]
    timings_s: dict[str, float]
    models: dict[str, str]
    settings_fingerprint: str
    # extensions beyond the contract
    refusal_code: str | None = None
    verdict: str | None = None
    answerability: float = 0.0
    dropped_sentences: list[SentenceRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    generator: str = ""
    signals: dict[str, float] = field(default_factory=dict)
    focused_question: str | None = None  # what retrieval and the reader saw, when it differs from ``question``
    verdict_confidence: float | None = None
    verdict_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["evidence"] = [e.to_dict() for e in self.evidence]
        return data
