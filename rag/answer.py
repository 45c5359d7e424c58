"""The answer pipeline: focus -> retrieve -> read (rerank) -> gate -> draft -> verify each sentence per cited chunk
-> verdict (yes/no questions only) -> calibrated groundedness -> answer or refuse."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from typing import Callable, Mapping, Sequence

from clinrag.protocols import Drafter, Reader, Retriever, Verifier
from clinrag.privacy import redact
from clinrag.records import (
    REFUSAL_FALSE_PREMISE,
    REFUSAL_LOW_GROUNDEDNESS,
    REFUSAL_MESSAGES,
    REFUSAL_NO_EVIDENCE,
    REFUSAL_NOT_STATED,
    REFUSAL_TOPIC_ABSENT,
    REFUSAL_UNSUPPORTED,
    REFUSAL_UNTRUSTED,
    AnswerRecord,
    Draft,
    SearchResponse,
    SearchResult,
    SentenceRecord,
)
from clinrag.settings import Settings
from rag.applicability import scope_verdict, with_scope_passages
from rag.calibration import CalibrationSet
from rag.conflicts import resolve_conflicts
from rag.focus import focus_question
from rag.groundedness import VERBATIM_FEATURES, answer_signals, groundedness, verdict_precision
from rag.drafting.extractive import candidate_sentences
from rag.policy import (
    answerability_features,
    drafting_evidence,
    is_verdict_only,
    parse_cited_sentences,
    version_warnings,
)
from rag.premise import question_premise
from rag.passage_sentences import is_whole_sentence_quote, normal_words
from rag.premise_contradiction import contradiction, premise_against_recommendations
from rag.question_kind import asks_for_grade
from rag.reader import passage_input
from rag.rerank import reranked, with_scores
from rag.retrieval import clean_question
from rag.spelling import spell_checked
from rag.stated_verdict import state_verdict
from rag.topic_presence import absent_animals, absent_topic_words
from rag.verdict import addresses_topic
from rag.word_frequency import rare_word, unknown_word

# the gate's refusal names the closest passages when the reader finds any of them at least this on-topic
ON_TOPIC_RELEVANCE = 0.2


def read_evidence(
    retriever: Retriever, reader: Reader, settings: Settings, query: str
) -> tuple[SearchResponse, list[SearchResult], list[float]]:
    """Fused candidates read by the reader: (fused response, results in final order with ``reader_score``, their
    relevance). With ``reader.rerank`` off, the fused order is kept."""
    r = settings.reader
    response = retriever.search(query, k=max(r.candidates, settings.retrieval.k))
    # passages flagged at ingest (hidden text, text addressed to AI models) are never read, quoted or shown to a model
    candidates = [c for c in response.results if not c.flags]
    if not candidates:
        return response, [], []
    relevance = [float(p) for p in reader.relevance(query, [passage_input(c.text, c.title, c.section) for c in candidates])]
    if r.rerank:
        candidates, relevance = reranked(candidates, relevance, r.rerank_prior)
    return response, with_scores(candidates, relevance), relevance


class Answerer:
    def __init__(
        self,
        settings: Settings,
        retriever: Retriever,
        reader: Reader,
        drafter: Drafter,
        verifier: Verifier,
        calibration: CalibrationSet,
        models: dict[str, str],
        justifier: Drafter | None = None,
        trust: Callable[[], Mapping[str, str]] | None = None,
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.reader = reader
        self.drafter = drafter
        self.verifier = verifier
        self.calibration = calibration
        self.models = models
        self.justifier = justifier
        self.trust = trust or dict  # issuer_key -> "trusted" / "untrusted": the librarian's marks (rag/conflicts.py)

    def _second_look(self, query: str, shown: Sequence[SearchResult]) -> Draft | None:
        """The extractive draft when the passage-level gate would refuse on-topic passages but the reader finds one of
        their sentences answering the question (``policy.min_sentence_answers``): a plainly worded question above
        the right passage ("How big is 3 ounces of cooked meat?") is read sentence by sentence before it is refused.
        The draft then passes every check an answer passes. None when the gate's refusal stands."""
        looker = self.drafter if self.drafter.name == "extractive" else self.justifier
        if looker is None or self.settings.policy.min_sentence_answers >= 1.0 or absent_animals(query, [e.text for e in shown]):
            return None  # the reader finds "vaccines are recommended by age" relevant to a question about dogs
        draft = looker.draft(query, shown)
        best = draft.extra.get("best_sentence_relevance", 0.0)
        return draft if not draft.cannot_answer and best >= self.settings.policy.min_sentence_answers else None

    def _threshold(self, name: str) -> float:
        configured = getattr(self.settings.policy, name)
        return float(configured) if configured is not None else self.calibration.threshold(name)

    def ask(self, question: str, on_event: Callable[[str, str], None] | None = None) -> AnswerRecord:
        """Answer or refuse. ``on_event(kind, text)``, when given, hears the stages as they start (``stage``:
        searching, reading, drafting, verifying) and an LLM's draft as it is written (``token``), so a UI can show
        progress; the returned record, verified, is what counts."""
        emit = on_event or (lambda kind, text: None)
        question = clean_question(question)
        emit("stage", "searching and reading the guidelines")
        focused = focus_question(question, self.settings.reader.focus_min_chars, self.settings.reader.clinical_focus)
        record = self._answer(question, focused.text, emit)
        if record.decision == "refuse" and focused.restated and record.refusal_code in (REFUSAL_NOT_STATED, REFUSAL_NO_EVIDENCE):
            # the reader reads plain clinical questions best: a personal lay question the gate refused is read again
            # as the clinical question it asks; its answer stands only if it passes every check on its own
            # (the verdict is still decided on the question as asked, and only by a recommendation: the restatement
            # keeps the intervention and the population, not every qualifier)
            again = self._answer(question, focused.restated, emit, verdict_query=focused.text, reader_verdicts=False)
            if again.decision == "answer":
                return again
        return record

    def _answer(self, question: str, query: str, emit: Callable[[str, str], None], verdict_query: str | None = None,
                reader_verdicts: bool = True) -> AnswerRecord:
        """Read the evidence, pass the gate, draft, verify and state the verdict: the first step that refuses ends it."""
        gated = self._gate(question, query)
        if isinstance(gated, AnswerRecord):
            return gated
        context, shown, looked = gated
        draft = self._draft(question, context, shown, looked, emit)
        if isinstance(draft, AnswerRecord):
            return draft
        return self._checked_answer(context, shown, draft, emit, verdict_query, reader_verdicts)

    def _gate(self, question: str, query: str) -> "AnswerRecord | tuple[_Context, list[SearchResult], Draft | None]":
        """The evidence read and the gate passed: (context, the passages shown, the second look's draft or None), or
        the refusal (no guideline uses the topic's word, no passage answers, a false premise)."""
        started = time.perf_counter()
        if self.settings.reader.correct_spelling:
            query = spell_checked(query, self.retriever, max(self.settings.reader.candidates, self.settings.retrieval.k)).text
        response, evidence, relevance = read_evidence(self.retriever, self.reader, self.settings, query)
        timings = {"retrieve_read": time.perf_counter() - started}
        features = answerability_features(response, relevance)
        answerability = self.calibration.get("answerability").probability(features) if evidence else 0.0
        context = _Context(question, query, evidence[: max(self.settings.retrieval.k, 1)], answerability, timings, started, features,
                           evidence)
        if self.settings.policy.refuse_absent_topic:
            absent = absent_topic_words(redact(query)[0], self.retriever.knows_term, rare_word(self.settings.policy.rare_word_zipf),
                                        unknown_word)
            if absent:  # the passages found are about something else: say which word no guideline uses
                return self._refusal(context, REFUSAL_TOPIC_ABSENT, detail={"words": ", ".join(f"'{w}'" for w in absent)})
        t = time.perf_counter()
        shown = with_scope_passages(question, drafting_evidence(evidence)[: self.settings.generation.evidence_chunks], evidence)
        looked = None
        if answerability < self._threshold("min_answerable"):
            on_topic = [e for e in evidence[:3] if (e.reader_score or 0.0) >= ON_TOPIC_RELEVANCE]
            t2 = time.perf_counter()
            looked = self._second_look(query, shown) if on_topic else None
            timings["second_look"], t = time.perf_counter() - t2, time.perf_counter()
            if looked is None:
                return self._refusal(context, REFUSAL_NOT_STATED if on_topic else REFUSAL_NO_EVIDENCE, closest=on_topic)
            context.features = {**features, "second_look": looked.extra["best_sentence_relevance"]}
        contradiction = self._premise_contradiction(question, shown, evidence[: max(self.settings.retrieval.k, len(shown))])
        timings["premise"] = time.perf_counter() - t
        if contradiction is not None:
            return self._refusal(context, REFUSAL_FALSE_PREMISE, premise=contradiction)
        return context, shown, looked

    def _draft(self, question: str, context: "_Context", shown: list[SearchResult], looked: "Draft | None",
               emit: Callable[[str, str], None]) -> "Draft | AnswerRecord":
        """The drafter's answer (the second look's, when it already drafted with the same drafter), with the scope
        sentence of an applicability question first; the refusal when the drafter cannot answer."""
        t = time.perf_counter()
        emit("stage", "drafting")
        draft = looked if looked is not None and looked.model == self.drafter.name else \
            self.drafter.draft(context.query, shown, on_token=lambda piece: emit("token", piece))
        context.timings["draft"] = time.perf_counter() - t
        if draft.cannot_answer:
            return self._refusal(context, REFUSAL_UNSUPPORTED)
        if self.justifier is not None and not _has_content(draft.text, len(shown)):
            # a bare "Yes. [1]" from a model: quote the evidence sentences the reader picks instead
            draft = replace(draft, text=self.justifier.draft(context.query, shown).text)
        scope = scope_verdict(question, [e.text for e in shown], [e.doc_id for e in shown])
        if scope is not None and normal_words(scope.sentence) not in normal_words(draft.text):
            # "does the statement apply to pregnant women?" is answered by the statement's scope sentence: it is
            # drafted first and verified like every other sentence (the verdict step reads it, rag/stated_verdict.py)
            draft = replace(draft, text=f"{scope.sentence} [{scope.passage}] {draft.text}",
                            extra={k: v for k, v in draft.extra.items() if k != "sentence_relevance"})
        return draft

    def _checked_answer(self, context: "_Context", shown: list[SearchResult], draft: "Draft",
                        emit: Callable[[str, str], None], verdict_query: str | None, reader_verdicts: bool) -> AnswerRecord:
        """Every drafted sentence verified, conflicts between sources resolved, the verdict stated and the answer
        scored; the refusal when nothing verified stands, or the scores are below the policy's floors."""
        question, query, timings = context.question, context.query, context.timings
        t = time.perf_counter()
        emit("stage", "verifying every sentence against its sources")
        kept, dropped = self._verify(draft.text, shown)
        timings["verify"] = time.perf_counter() - t
        if not kept:
            return self._refusal(context, REFUSAL_UNSUPPORTED, dropped=dropped)
        t = time.perf_counter()  # the other current documents on the same point, and the librarian's issuer trust
        resolved = resolve_conflicts(query, draft, kept, dropped, shown, self.reader, self.trust(), self.drafter,
                                     lambda text: self._verify(text, shown))
        draft, kept, dropped, timings["conflicts"] = resolved.draft, resolved.kept, resolved.dropped, time.perf_counter() - t
        if not kept:
            return self._refusal(context, REFUSAL_UNTRUSTED, dropped=dropped, closest=[shown[x.marker - 1] for x in resolved.excluded])
        t = time.perf_counter()
        stated = state_verdict(question, verdict_query or query, kept, shown, self.reader, self._threshold("min_verdict"),
                               reader_verdicts)
        kept = stated.kept
        timings["verdict"] = time.perf_counter() - t
        if asks_for_grade(question) and not addresses_topic(query, [s.text for s in kept], [_heading(shown, s) for s in kept]):
            # "What grade applies to oral cancer screening?" is not answered by the grade of COPD screening
            return self._refusal(context, REFUSAL_NOT_STATED, dropped=dropped + kept, closest=shown[:2])
        g_features = self._groundedness_features(query, context.features, context.answerability, kept, dropped, draft,
                                                 stated.confidence, shown, stated.verdict)
        answers_question = round(self.calibration.get("answers_question").probability(g_features), 4)
        current = {e.chunk_id for e in shown if e.status != "superseded"}
        grounded = round(groundedness(kept, current, self._verbatim_probability(),
                                      verdict_precision(self.calibration.verdict_precision, stated.source)), 4)
        if grounded < self._threshold("min_groundedness") or answers_question < self._threshold("min_answers_question"):
            return self._refusal(context, REFUSAL_LOW_GROUNDEDNESS, dropped=dropped + kept, groundedness=grounded,
                                 signals=g_features, answers_question=answers_question)
        cited = {c for s in kept for c in s.citations}
        body = " ".join(f"{s.text} " + "".join(f"[{m}]" for m in s.markers) + _grade_note(s.text, r)
                        for s, r in zip(kept, stated.recommendations))
        answer = " ".join(part for part in (stated.lead, " ".join(stated.notes), body) if part)
        timings["total"] = time.perf_counter() - context.started
        ordered = list(shown) + [e for e in context.read if e not in shown]
        return AnswerRecord(
            question=question,
            decision="answer",
            answer=answer.strip(),
            sentences=kept,
            groundedness=grounded,
            refusal_reason=None,
            evidence=ordered,
            timings_s=_rounded(timings),
            models=self.models,
            settings_fingerprint=self.settings.fingerprint(),
            verdict=stated.verdict,
            answerability=round(context.answerability, 4),
            dropped_sentences=dropped,
            warnings=version_warnings(ordered, cited) + ([stated.conflict] if stated.conflict else []) + resolved.warnings,
            generator=self.drafter.name,
            signals=_rounded(g_features),
            focused_question=query if query != question else None,
            verdict_confidence=stated.confidence,
            verdict_reason=stated.reason,
            recommendation=stated.recommendation,
            answers_question=answers_question,
        )

    def _verbatim_probability(self) -> float:
        """What the support calibrator says of a claim its passage states word for word."""
        return self.calibration.get("support").probability(VERBATIM_FEATURES)

    def _premise_contradiction(self, question: str, shown: Sequence[SearchResult],
                               pool: Sequence[SearchResult] = ()) -> dict | None:
        """When the question takes a claim for granted that the best passages contradict: the claim, the sentence
        that contradicts it and its source; else None. ``pool`` is the wider evidence a contradicting recommendation
        is looked for in (``rag.premise_contradiction``)."""
        premise = question_premise(question)
        if not premise or not shown:
            return None
        candidates = candidate_sentences(shown[:3])
        if not candidates:
            return None
        stated = premise_against_recommendations(premise, candidates, shown)
        if stated is not None:
            return stated
        pool = list(pool) or list(shown)
        found = contradiction(premise, candidate_sentences(pool), [e.text for e in pool])
        if found is not None:
            source = pool[found.passage - 1]
            return {"premise": premise, "sentence": found.sentence,
                    "source": f"[{found.passage}] {source.title}, {source.version or source.date or 'undated'}",
                    "recommendation": found.recommendation.to_dict(source.chunk_id) if found.recommendation else None}
        probabilities = self.reader.support(premise, [s for _, _, s in candidates])
        best = max(range(len(candidates)), key=lambda i: probabilities[i][1] - probabilities[i][0])
        p_entailed, p_contradicted = float(probabilities[best][0]), float(probabilities[best][1])
        if p_contradicted < self.settings.policy.min_premise_contradiction or p_entailed > p_contradicted:
            return None
        n, _, sentence = candidates[best]
        source = shown[n - 1]
        return {"premise": premise, "sentence": sentence, "source": f"[{n}] {source.title}, {source.version or source.date or 'undated'}",
                "p_contradicted": round(p_contradicted, 4)}

    def _groundedness_features(self, query, features, answerability, kept, dropped, draft, verdict_confidence, shown,
                               verdict) -> dict[str, float]:
        relevance = [float(x) for x in draft.extra.get("sentence_relevance") or []]
        if not relevance:  # LLM drafts: read the kept sentences now
            relevance = [float(p) for p in self.reader.relevance(query, [s.text for s in kept])]
        cited_rel = [e.reader_score or 0.0 for e in shown if any(e.chunk_id in s.citations for s in kept)]
        return answer_signals(features, answerability, kept, dropped, relevance, cited_rel, verdict_confidence, verdict)

    def _verify(self, text: str, shown: Sequence[SearchResult]) -> tuple[list[SentenceRecord], list[SentenceRecord]]:
        """Check every drafted sentence against the passages it cites. A sentence without a marker (models forget
        them) is checked against every passage shown and, when one supports it, cited to the best one: the
        citation is then found, not claimed, and the record says so (``checks["attributed"]``)."""
        threshold = self.settings.policy.min_sentence_support
        parsed = [p for p in parse_cited_sentences(text, len(shown)) if not is_verdict_only(p.text)]
        dropped: list[SentenceRecord] = []
        if parsed and not parsed[-1].markers and not re.search(r"[.!?)%\]]\s*$", parsed[-1].text):
            # the model stopped mid-sentence (its token limit): a fragment is never shown
            cut = parsed.pop()
            dropped.append(SentenceRecord(cut.text, [], 0.0, [], {"incomplete": True, "uncited": True}))
        every = list(range(1, len(shown) + 1))
        markers_of = [list(p.markers) or every for p in parsed]
        pairs = [(p.text, passage_input(shown[m - 1].text, shown[m - 1].title, shown[m - 1].section))
                 for p, markers in zip(parsed, markers_of) for m in markers]
        results = iter(self.verifier.check_many(pairs))
        kept: list[SentenceRecord] = []
        for sentence, markers in zip(parsed, markers_of):
            checks = {}
            for marker in markers:
                check = next(results)
                checks[shown[marker - 1].chunk_id] = {
                    "support": check.probability,
                    "missing_numbers": list(check.missing_numbers),
                    **check.features,
                }
            for marker in markers:
                check = checks[shown[marker - 1].chunk_id]
                check["quoted"] = is_whole_sentence_quote(sentence.text, shown[marker - 1].text)
            best = max((c["support"] for c in checks.values()), default=0.0)
            # a sentence that is one or more whole sentences of its passage, word for word, is what the passage says:
            # it is kept whatever the reader's support score (which is kept as it is, for groundedness)
            ok = [m for m in markers
                  if checks[shown[m - 1].chunk_id]["support"] >= threshold or checks[shown[m - 1].chunk_id]["quoted"]]
            attributed = not sentence.markers
            if attributed and ok:  # cite the one passage that supports it best (a quote first)
                ok = [max(ok, key=lambda m: (checks[shown[m - 1].chunk_id]["quoted"], checks[shown[m - 1].chunk_id]["support"]))]
            supported = [shown[m - 1].chunk_id for m in ok]
            record = SentenceRecord(
                text=sentence.text,
                citations=supported if supported else [shown[m - 1].chunk_id for m in sentence.markers],
                support=round(max((checks[c]["support"] for c in supported), default=best), 4),
                markers=ok or list(sentence.markers),
                checks={
                    "per_chunk": checks,
                    "invalid_markers": list(sentence.invalid_markers),
                    "uncited": not sentence.markers,
                    "attributed": attributed and bool(ok),
                    "best_entailed": max((c.get("entailed", 0.0) for c in checks.values()), default=0.0),
                },
            )
            (kept if supported else dropped).append(record)
        return kept, dropped

    def _refusal(
        self,
        context: "_Context",
        code: str,
        *,
        dropped: list[SentenceRecord] | None = None,
        groundedness: float = 0.0,
        signals: dict[str, float] | None = None,
        answers_question: float | None = None,
        closest: Sequence[SearchResult] = (),
        premise: dict | None = None,
        detail: dict | None = None,
    ) -> AnswerRecord:
        context.timings["total"] = time.perf_counter() - context.started
        names = "; ".join(f"{e.title}" + (f", {e.section.split(' > ')[-1]}" if e.section else "") for e in closest[:2])
        if premise:
            key = "premise_contradicted" if "p_contradicted" in premise else "premise_contradicted_by_recommendation"
            signals = {**(signals or context.features), key: premise.get("p_contradicted", 1.0)}
        return AnswerRecord(
            question=context.question,
            decision="refuse",
            answer="",
            sentences=[],
            groundedness=round(groundedness, 4),
            refusal_reason=REFUSAL_MESSAGES[code].format(passages=names or "none", **(premise or {}), **(detail or {})),
            evidence=list(context.evidence),
            timings_s=_rounded(context.timings),
            models=self.models,
            settings_fingerprint=self.settings.fingerprint(),
            refusal_code=code,
            verdict=None,
            answerability=round(context.answerability, 4),
            dropped_sentences=dropped or [],
            warnings=version_warnings(context.evidence, set()),
            generator=self.drafter.name,
            signals=_rounded(signals or context.features),
            focused_question=context.query if context.query != context.question else None,
            recommendation=(premise or {}).get("recommendation"),
            answers_question=answers_question,
        )


class _Context:
    def __init__(self, question, query, evidence, answerability, timings, started, features, read) -> None:
        self.question = question
        self.query = query
        self.evidence = evidence
        self.answerability = answerability
        self.timings = timings
        self.started = started
        self.features = features
        self.read = read  # every passage read, past the k the refusals name (``evidence``)


def _heading(shown: Sequence[SearchResult], sentence: SentenceRecord) -> str:
    """The title and section of the passage a sentence cites first."""
    source = next((e for e in shown if sentence.citations and e.chunk_id == sentence.citations[0]), None)
    return f"{source.title} {source.section}" if source else ""


def _grade_note(sentence: str, recommendation) -> str:
    """" (grade B)" after a quoted recommendation whose grade stands outside the sentence (a line of its own)."""
    if recommendation is None or not recommendation.grade:
        return ""
    if recommendation.grade.lower() in sentence.lower() or recommendation.grade.split()[-1] in sentence:
        return ""
    return f" ({recommendation.grade})"


def _has_content(text: str, n_evidence: int) -> bool:
    return any(not is_verdict_only(p.text) for p in parse_cited_sentences(text, n_evidence))


def _rounded(values: dict[str, float]) -> dict[str, float]:
    return {k: round(float(v), 4) for k, v in values.items()}
