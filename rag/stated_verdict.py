"""The verdict step of the answer path: what the verified sentences say to a yes/no question.

The recommendation those sentences state decides first (``rag.verdict.recommendation_verdict``: the sentence must
address the question's intervention and population); when none does, the reader's verdict probabilities decide
(``rag.verdict.decide_verdict``). The deciding sentence moves to the front of the answer. The reader is the only
model here, behind the ``Reader`` protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from clinrag.protocols import Reader
from clinrag.records import SearchResult, SentenceRecord
from rag.applicability import scope_verdict
from rag.asked_constraints import unmet_constraint
from rag.question_kind import asked_part, is_yes_no_question
from rag.population import Population, age_text, read_population
from rag.recommendation import LEAD_OF, Recommendation, parse_recommendation, recommendation_in_passage
from rag.verdict import VerdictDecision, comparison_verdict, decide_verdict, recommendation_verdict, states_no_finding


@dataclass
class StatedVerdict:
    kept: list[SentenceRecord]  # the verified sentences, the deciding one first
    recommendations: list[Recommendation | None]  # the recommendation each sentence states, in the same order
    verdict: str | None = None  # "yes", "no", "it depends", "insufficient evidence" or None
    confidence: float | None = None  # the reader's P(yes or no) on the deciding sentence
    reason: str | None = None
    source: str | None = None  # "recommendation" or "reader": where the verdict came from
    lead: str | None = None  # the words that open the answer ("Yes.", "It depends: individual decision.")
    notes: list[str] = field(default_factory=list)  # said before the quotes (the groups the guideline addresses)
    conflict: str | None = None  # a warning when the cited passages answer both ways
    recommendation: dict | None = None  # the answer record's ``recommendation`` field


def state_verdict(
    question: str, query: str, kept: Sequence[SentenceRecord], shown: Sequence[SearchResult], reader: Reader,
    min_verdict: float, reader_verdicts: bool = True,
) -> StatedVerdict:
    """The verdict for ``question`` (as asked; ``query`` as the pipeline read it) from the verified ``kept``
    sentences and the ``shown`` evidence they cite. Without ``reader_verdicts`` only a recommendation decides."""
    kept = list(kept)
    asked = read_population(query, question=True)
    by_chunk = {e.chunk_id: e for e in shown}
    sources = [by_chunk.get(s.citations[0]) if s.citations else None for s in kept]
    recommendations = [None if states_no_finding(s.text)  # "BACKGROUND: ... suggest that this toxin is a key marker"
                       else recommendation_in_passage(s.text, src.text, following_text(src, shown)) if src is not None
                       else parse_recommendation(s.text)
                       for s, src in zip(kept, sources)]
    out = StatedVerdict(kept, recommendations)
    if is_yes_no_question(question):
        probabilities = reader.verdict(query, [s.text for s in kept])
        scope = scope_verdict(question, [e.text for e in shown], [e.doc_id for e in shown])
        at = next((i for i, s in enumerate(kept) if scope is not None and _same_text(s.text, scope.sentence)), None)
        if scope is not None and at is not None:  # whether the statement applies to the person asked about
            out.verdict, out.reason, out.source = scope.verdict, scope.reason, "recommendation"
            out.confidence = round(float(max(probabilities[at][0], probabilities[at][1])), 4)
            out.lead = f"{scope.verdict.capitalize()}."
            out.kept, out.recommendations = to_front(kept, at), to_front(recommendations, at)
            return _with_recommendation(out)
        stated = recommendation_verdict(query, asked, [s.text for s in kept], recommendations,
                                        [f"{src.title} {src.section}" if src else "" for src in sources],
                                        [e.text for e in shown])
        if stated is not None and stated.verdict:
            i = stated.index
            p = probabilities[i]
            direction = stated.recommendation.direction
            out.verdict, out.reason, out.source = stated.verdict, stated.reason, "recommendation"
            out.confidence = round(float(max(p[0], p[1])), 4)
            out.lead = (LEAD_OF[direction] if stated.verdict not in ("yes", "no")
                        else "No: the evidence is insufficient to recommend for or against it." if direction == "insufficient"
                        else f"{stated.verdict.capitalize()}.")
            out.kept, out.recommendations = to_front(kept, i), to_front(recommendations, i)
            out.recommendation = stated.recommendation.to_dict(out.kept[0].citations[0] if out.kept[0].citations else None)
        elif stated is not None and stated.other_groups:
            out.reason = stated.reason
            out.notes.append(other_groups_note(asked, stated.other_groups))
        elif stated is not None and stated.unmet:
            out.reason = stated.reason
            out.notes.append(f"The recommendations found do not mention {stated.unmet}; no verdict is given for it.")
        elif reader_verdicts:
            decision = decide_verdict(np.asarray(probabilities), min_verdict, [s.text for s in kept])
            if decision.verdict and decision.evidence is not None:
                src = sources[decision.evidence]
                missing = unmet_constraint(asked_part(query), kept[decision.evidence].text,
                                           f"{src.title} {src.section}" if src else "")
                if missing:  # the deciding sentence does not speak of what the question names
                    decision = VerdictDecision(None, decision.confidence, decision.evidence,
                                              f"the evidence does not mention {missing!r}")
            if decision.verdict is None and decision.reason != "the evidence points both ways":
                found = next((i for i, x in enumerate(kept) if comparison_verdict(asked_part(query), x.text) == "yes"
                              and float(probabilities[i][1]) < 0.5), None)
                if found is not None:  # "There is good evidence that X results in better outcomes than Y"
                    decision = VerdictDecision("yes", float(probabilities[found][0]), found,
                                               "the evidence statement says it does better than what it is compared with")
            out.verdict, out.confidence, out.reason = decision.verdict, round(decision.confidence, 4), decision.reason
            if decision.verdict and decision.evidence is not None:  # the deciding sentence comes first
                out.kept, out.recommendations = to_front(kept, decision.evidence), to_front(recommendations, decision.evidence)
            if decision.reason == "the evidence points both ways":
                out.conflict = disagreement(kept, np.asarray(probabilities), shown)
            out.lead = f"{decision.verdict.capitalize()}." if decision.verdict else None
            out.source = "reader" if decision.verdict else None
    return _with_recommendation(out)


def following_text(passage: SearchResult, shown: Sequence[SearchResult]) -> str:
    """The document's text right after ``passage`` when the passage that continues it is shown too (chunks may
    overlap): where a grade cut off from its sentence by a chunk boundary stands."""
    nxt = min((e for e in shown if e.doc_id == passage.doc_id and passage.char_start < e.char_start <= passage.char_end + 2),
              key=lambda e: e.char_start, default=None)
    return nxt.text[max(0, passage.char_end - nxt.char_start):] if nxt is not None else ""


def _with_recommendation(out: StatedVerdict) -> StatedVerdict:
    """The answer record's ``recommendation``: the deciding one, else the first the kept sentences state."""
    if out.recommendation is None:
        first = next((i for i, r in enumerate(out.recommendations) if r is not None), None)
        if first is not None:
            cited = out.kept[first].citations
            out.recommendation = out.recommendations[first].to_dict(cited[0] if cited else None)
    return out


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def to_front(items: list, i: int) -> list:
    """``items`` with item ``i`` first (the deciding sentence leads the answer)."""
    return [items[i]] + [x for j, x in enumerate(items) if j != i]


def disagreement(kept: Sequence[SentenceRecord], probabilities: np.ndarray, shown: Sequence[SearchResult]) -> str | None:
    """A warning when the cited passages answer the yes/no question in opposite ways, naming both sources."""
    by_chunk = {e.chunk_id: e for e in shown}
    yes = [s for s, p in zip(kept, probabilities) if p[0] >= 0.5]
    no = [s for s, p in zip(kept, probabilities) if p[1] >= 0.5]
    if not yes or not no:
        return None

    def name(s: SentenceRecord) -> str:
        e = by_chunk.get(s.citations[0]) if s.citations else None
        marker = f"[{s.markers[0]}]" if s.markers else ""
        return f"{marker} {e.title} ({e.version or e.date or 'undated'})" if e else marker

    return (f"The cited passages disagree on this question: {name(yes[0])} reads as yes, {name(no[0])} as no; "
            "no verdict is given. Check both sources.")


def other_groups_note(asked: Population, groups) -> str:
    """"The passages found address other groups (adults 50 to 74 years: recommended (grade B)); none of them states a
    recommendation for 75 years or older." Only words the passages give are used."""
    named = "; ".join(f"{population}: {says}" for population, says in dict.fromkeys(groups))
    who = age_text(asked.age) if asked.age else "the group asked about"
    return f"The passages found address other groups ({named}); none of them states a recommendation for {who}."
