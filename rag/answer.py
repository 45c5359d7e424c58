"""The answer pipeline: retrieve -> gate -> draft -> verify each sentence per cited chunk -> calibrate -> decide."""

from __future__ import annotations

import statistics
import time
from dataclasses import replace
from typing import Sequence

from clinrag.settings import Settings
from rag.calibration import CalibrationSet
from rag.generators import Drafter
from rag.policy import (
    answerability_features,
    drafting_evidence,
    is_verdict_only,
    parse_cited_sentences,
    version_warnings,
)
from rag.record import (
    REFUSAL_LOW_GROUNDEDNESS,
    REFUSAL_MESSAGES,
    REFUSAL_NO_EVIDENCE,
    REFUSAL_UNSUPPORTED,
    AnswerRecord,
    SentenceRecord,
)
from rag.retrieval import HybridRetriever, SearchResult, clean_question
from rag.verify import Verifier


class Answerer:
    def __init__(
        self,
        settings: Settings,
        retriever: HybridRetriever,
        drafter: Drafter,
        verifier: Verifier,
        calibration: CalibrationSet,
        models: dict[str, str],
        justifier: Drafter | None = None,
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.drafter = drafter
        self.verifier = verifier
        self.calibration = calibration
        self.models = models
        self.justifier = justifier

    def ask(self, question: str) -> AnswerRecord:
        started = time.perf_counter()
        question = clean_question(question)
        policy = self.settings.policy
        response = self.retriever.search(question)
        evidence = response.results
        timings = {"retrieve": time.perf_counter() - started}
        features = answerability_features(response)
        answerability = self.calibration.get("answerability").probability(features) if evidence else 0.0
        min_answerable = _threshold(policy.min_answerable, self.calibration.thresholds.get("min_answerable"))
        min_groundedness = _threshold(policy.min_groundedness, self.calibration.thresholds.get("min_groundedness"))
        if answerability < min_answerable:
            return self._refusal(question, REFUSAL_NO_EVIDENCE, evidence, answerability, timings, started, signals=features)

        t = time.perf_counter()
        shown = drafting_evidence(evidence)[: self.settings.generation.evidence_chunks]
        draft = self.drafter.draft(question, shown)
        timings["draft"] = time.perf_counter() - t
        if draft.cannot_answer:
            return self._refusal(question, REFUSAL_UNSUPPORTED, evidence, answerability, timings, started, signals=features)

        if draft.verdict and self.justifier is not None and not _has_content(draft.text, len(shown)):
            # a bare "Yes. [1]": state the verdict with the evidence sentence that best supports it, verbatim
            draft = replace(draft, text=self.justifier.draft(question, shown).text)
        t = time.perf_counter()
        kept, dropped = self._verify(draft.text, shown)
        timings["verify"] = time.perf_counter() - t
        if not kept:
            return self._refusal(question, REFUSAL_UNSUPPORTED, evidence, answerability, timings, started, dropped=dropped, signals=features)

        supports = [s.support for s in kept]
        g_features = {
            "answerability": answerability,
            "support_min": min(supports),
            "support_mean": statistics.fmean(supports),
            "dropped_fraction": len(dropped) / (len(kept) + len(dropped)),
            "n_sentences": float(len(kept)),
            **features,
        }
        groundedness = round(self.calibration.get("groundedness").probability(g_features), 4)
        if groundedness < min_groundedness:
            return self._refusal(
                question, REFUSAL_LOW_GROUNDEDNESS, evidence, answerability, timings, started,
                dropped=dropped, groundedness=groundedness, kept=kept, signals=g_features,
            )
        cited = {c for s in kept for c in s.citations}
        verdict = draft.verdict
        body = " ".join(f"{s.text} " + "".join(f"[{m}]" for m in s.markers) for s in kept)
        answer = f"{verdict.capitalize()}. {body}" if verdict else body
        timings["total"] = time.perf_counter() - started
        return AnswerRecord(
            question=question,
            decision="answer",
            answer=answer.strip(),
            sentences=kept,
            groundedness=groundedness,
            refusal_reason=None,
            evidence=list(shown) + [e for e in evidence if e not in shown],
            timings_s=_rounded(timings),
            models=self.models,
            settings_fingerprint=self.settings.fingerprint(),
            verdict=verdict,
            answerability=round(answerability, 4),
            dropped_sentences=dropped,
            warnings=version_warnings(list(shown) + [e for e in evidence if e not in shown], cited),
            generator=self.drafter.name,
            signals=_rounded(g_features),
        )

    def _verify(self, text: str, shown: Sequence[SearchResult]) -> tuple[list[SentenceRecord], list[SentenceRecord]]:
        kept: list[SentenceRecord] = []
        dropped: list[SentenceRecord] = []
        threshold = self.settings.policy.min_sentence_support
        for sentence in parse_cited_sentences(text, len(shown)):
            if is_verdict_only(sentence.text):
                continue
            checks = {}
            best = 0.0
            for marker in sentence.markers:
                check = self.verifier.check(sentence.text, shown[marker - 1].text)
                checks[shown[marker - 1].chunk_id] = {
                    "support": check.probability,
                    "missing_numbers": list(check.missing_numbers),
                    **check.features,
                }
                best = max(best, check.probability)
            supported = [shown[m - 1].chunk_id for m in sentence.markers if checks[shown[m - 1].chunk_id]["support"] >= threshold]
            record = SentenceRecord(
                text=sentence.text,
                citations=supported if supported else [shown[m - 1].chunk_id for m in sentence.markers],
                support=round(best, 4),
                markers=[m for m in sentence.markers if shown[m - 1].chunk_id in supported] or list(sentence.markers),
                checks={"per_chunk": checks, "invalid_markers": list(sentence.invalid_markers), "uncited": not sentence.markers},
            )
            (kept if supported else dropped).append(record)
        return kept, dropped

    def _refusal(
        self,
        question: str,
        code: str,
        evidence: list[SearchResult],
        answerability: float,
        timings: dict[str, float],
        started: float,
        *,
        dropped: list[SentenceRecord] | None = None,
        groundedness: float = 0.0,
        kept: list[SentenceRecord] | None = None,
        signals: dict[str, float] | None = None,
    ) -> AnswerRecord:
        timings["total"] = time.perf_counter() - started
        return AnswerRecord(
            question=question,
            decision="refuse",
            answer="",
            sentences=[],
            groundedness=round(groundedness, 4),
            refusal_reason=REFUSAL_MESSAGES[code],
            evidence=evidence,
            timings_s=_rounded(timings),
            models=self.models,
            settings_fingerprint=self.settings.fingerprint(),
            refusal_code=code,
            verdict=None,
            answerability=round(answerability, 4),
            dropped_sentences=(dropped or []) + (kept or []),
            warnings=version_warnings(evidence, set()),
            generator=self.drafter.name,
            signals=_rounded(signals or {}),
        )


def _has_content(text: str, n_evidence: int) -> bool:
    return any(not is_verdict_only(p.text) for p in parse_cited_sentences(text, n_evidence))


def _threshold(configured: float | None, fitted: float | None) -> float:
    return configured if configured is not None else (fitted if fitted is not None else 0.5)


def _rounded(timings: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in timings.items()}
