"""Conflicting sources: before an answer stands, the sentences it rests on are compared with the other current
passages on the same point, and the librarian's issuer trust decides which side is followed.

Two documents *disagree on a point* when a sentence the answer rests on and a sentence of another current document
are both about what was asked (the rival's relevance to the question, read by the reader, is at least
``SAME_POINT``, or it shares at least ``SAME_TERMS`` of its content terms with the answer's sentence), the rival
speaks of the question's topic (``rag.verdict.topic_overlap``, with its title and section: the same intervention),
neither is about another group (``rag.population``), and either

* **contradicted**: the reader's support task says one contradicts the other (``P(contradicted) >= CONTRADICTED``,
  either way round, above ``P(entailed)``), or both state the same dose or measurement unit with different numbers; or
* **uncorroborated**: the answer's sentence comes from a document whose issuer is *not* marked trusted, is itself on
  the point (relevant to the question, or sharing most terms with the rival), a document of a trusted issuer speaks
  on the same point, and no trusted passage shown states the sentence (``P(entailed)`` below
  ``CORROBORATED`` against each). A document nobody vouches for does not outvote one the librarian trusts.

What happens then (``resolve_conflicts``) depends on trust (``trusted`` > unknown > ``untrusted``):

* one side is more trusted: the answer follows it; the other document is left out of the answer (the answer is
  drafted again without it when it rested on it) and a warning names both, each with issuer, version and date;
* equal trust (neither issuer marked, both marked, or one issuer twice): both are quoted, and the warning names the
  conflict and why neither side was preferred.

An untrusted issuer's document is never a basis: its sentences are dropped (the answer is drafted again from the
rest), and when nothing else answers the answer is refused with that reason.

Pure apart from the reader (behind ``clinrag.protocols.Reader``) and the two callbacks the answer path passes
(``redraft`` and ``verify``), so it is tested with fakes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Sequence

from clinrag.protocols import Drafter, Reader
from clinrag.quantities import missing_numbers, quantities
from clinrag.records import Draft, SearchResult, SentenceRecord
from clinrag.text import content_terms, issuer_key
from rag.drafting.extractive import candidate_sentences
from rag.population import read_population, population_fit
from rag.reader import passage_input
from rag.verdict import MIN_TOPIC_OVERLAP, topic_overlap

TRUSTED, UNKNOWN, UNTRUSTED = "trusted", "unknown", "untrusted"
_RANK = {UNTRUSTED: 0, UNKNOWN: 1, TRUSTED: 2}
SAME_POINT = 0.5  # the reader's relevance to the question a rival sentence needs to be on the point asked
CONTRADICTED = 0.75  # P(contradicted), either way round (across documents the reader says 0.5-0.65 of sentences on
# neighbouring points: an SGLT2 inhibitor in heart failure against one in kidney disease)
CORROBORATED = 0.5  # P(entailed) of the answer's sentence by a trusted passage
SAME_TERMS = 0.5  # or the share of content terms a rival shares with the answer's sentence (the reader may not see
# that "CDI" is "Clostridioides difficile infection"); differing numbers count only between sentences this close
RIVALS_PER_SENTENCE = 2  # the most relevant rivals read against each sentence of the answer (the reader's cost)
MAX_PAIRS = 6  # and in all


def trust_of(result: SearchResult, trust: Mapping[str, str]) -> str:
    """``trusted``, ``untrusted`` or ``unknown``: the librarian's mark on the issuer of ``result``."""
    mark = trust.get(issuer_key(result.issuer)) if result.issuer else None
    return mark if mark in (TRUSTED, UNTRUSTED) else UNKNOWN


@dataclass(frozen=True)
class Side:
    """One document in a conflict, as the warning names it."""

    marker: int
    doc_id: str
    title: str
    issuer: str
    version: str
    date: str
    trust: str

    @classmethod
    def of(cls, marker: int, result: SearchResult, trust: Mapping[str, str]) -> "Side":
        return cls(marker, result.doc_id, result.title, result.issuer, result.version, result.date, trust_of(result, trust))

    def describe(self) -> str:
        mark = {TRUSTED: "trusted issuer", UNTRUSTED: "issuer marked untrusted"}.get(self.trust, "issuer not marked trusted")
        return (f"[{self.marker}] {self.title} ({self.issuer or 'issuer not stated'}, version {self.version or 'not stated'}, "
                f"{self.date or 'undated'}; {mark})")


@dataclass(frozen=True)
class Conflict:
    basis: Side  # the document of a sentence the drafted answer rests on
    rival: Side  # another current document on the same point
    sentence: str  # the rival's sentence
    kind: str  # "contradicted" or "uncorroborated"
    p: float  # P(contradicted), 1.0 for differing numbers, or 1 - best P(entailed) for "uncorroborated"

    @property
    def preferred(self) -> Side | None:
        """The more trusted side, or None when both are trusted alike."""
        b, r = _RANK[self.basis.trust], _RANK[self.rival.trust]
        return self.basis if b > r else self.rival if r > b else None


@dataclass
class Resolution:
    draft: Draft
    kept: list[SentenceRecord]
    dropped: list[SentenceRecord]
    conflicts: list[Conflict] = field(default_factory=list)
    excluded: list[Side] = field(default_factory=list)  # documents left out of the answer, and why is in warnings
    warnings: list[str] = field(default_factory=list)
    unresolved: bool = False  # both sides of a conflict are quoted
    refusal: str | None = None  # why nothing is left to answer from, when nothing is


def overlap(a: str, b: str) -> float:
    """The share of the shorter sentence's content terms the other one has too."""
    ta, tb = set(content_terms(a)), set(content_terms(b))
    return len(ta & tb) / min(len(ta), len(tb)) if ta and tb else 0.0


# ages, durations and counts differ between sentences on neighbouring points ("aged 40 to 75 years" beside "a 10-year
# risk"); only doses, concentrations and measurements count
_COUNTING_UNITS = frozenset({"year", "month", "week", "day", "hour", "minute", "second", "time", "dose", "tablet",
                             "capsule", "puff", "drop", "%"})


def numbers_disagree(a: str, b: str) -> bool:
    """Two sentences on one point (most of their terms shared) that state the same unit with different numbers:
    "0.01 mg/kg" against "0.1 mg/kg"."""
    if overlap(a, b) < SAME_TERMS:
        return False
    units_a = {(q.unit, q.per) for q in quantities(a) if q.unit and q.unit not in _COUNTING_UNITS}
    units_b = {(q.unit, q.per) for q in quantities(b) if q.unit and q.unit not in _COUNTING_UNITS}
    return bool(units_a & units_b) and bool(missing_numbers(a, b)) and bool(missing_numbers(b, a))


def _other_group(a: str, b: str) -> bool:
    pa, pb = read_population(a), read_population(b)
    return population_fit(pa, pb) <= -1.0 or population_fit(pb, pa) <= -1.0


def _pairs_on_point(query: str, bases: list[tuple[SentenceRecord, list[int]]], rivals_of: list[list[tuple[int, str]]],
                    relevance: Mapping[str, float], side: Mapping[int, Side], shown: Sequence[SearchResult],
                    ) -> list[tuple[SentenceRecord, Side, int, str]]:
    """(answer sentence, its most trusted side, rival marker, rival sentence) for the rivals on the sentence's point and
    the question's topic, the most relevant first: ``RIVALS_PER_SENTENCE`` a sentence, ``MAX_PAIRS`` in all."""
    pairs: list[tuple[SentenceRecord, Side, int, str]] = []
    for (s, ms), rivals in zip(bases, rivals_of):
        basis = max((side[m] for m in ms), key=lambda x: _RANK[x.trust])
        scored = [(max(relevance[r], overlap(s.text, r)), n, r) for n, r in rivals]
        on_point = sorted(((x, n, r) for x, n, r in scored
                           if (relevance[r] >= SAME_POINT or overlap(s.text, r) >= SAME_TERMS)
                           and topic_overlap(query, r, f"{shown[n - 1].title} {shown[n - 1].section}") >= MIN_TOPIC_OVERLAP),
                          key=lambda t: (-t[0], t[1]))
        pairs += [(s, basis, n, r) for _rel, n, r in on_point[:RIVALS_PER_SENTENCE]]
    return pairs[:MAX_PAIRS]


def _corroborating(pairs: list[tuple[SentenceRecord, Side, int, str]], side: Mapping[int, Side],
                   shown: Sequence[SearchResult]) -> list[tuple[str, int]]:
    """(sentence, marker): each answer sentence whose rival is more trusted than its basis, against every more
    trusted passage the reader found relevant (or did not score), to ask whether one of them says it too."""
    corroborate: list[tuple[str, int]] = []
    for s, basis, n, _r in pairs:
        if _RANK[side[n].trust] > _RANK[basis.trust]:
            for m, e in enumerate(shown, start=1):
                if (_RANK[side[m].trust] > _RANK[basis.trust] and (s.text, m) not in corroborate
                        and (e.reader_score is None or e.reader_score >= SAME_POINT)):
                    corroborate.append((s.text, m))
    return corroborate


def find_conflicts(query: str, kept: Sequence[SentenceRecord], shown: Sequence[SearchResult], reader: Reader,
                   trust: Mapping[str, str], hint: Mapping | None = None,
                   known_relevance: Mapping[str, float] | None = None) -> list[Conflict]:
    """The conflicts between the sentences of the answer (``kept``, citing ``shown`` by marker) and the other current
    passages of ``shown``. ``hint``: the drafter's own finding (``draft.extra["disagreement"]``: two markers whose
    sentences contradict), taken as it is; ``known_relevance``: sentence -> relevance to ``query`` the drafter read
    (``draft.extra["candidate_relevance"]``), not read again."""
    if not kept or not shown:
        return []
    side = {m: Side.of(m, e, trust) for m, e in enumerate(shown, start=1)}
    found: list[Conflict] = []
    if hint and len(hint.get("markers") or []) == 2:
        a, b = hint["markers"]
        if a in side and b in side and side[a].doc_id != side[b].doc_id:
            rival_text = next((s.text for s in kept if b in s.markers), "")
            found.append(Conflict(side[a], side[b], rival_text, "contradicted", float(hint.get("p_contradicted", 1.0))))
    asked = read_population(query, question=True)
    pool = [(n, sentence) for n, _pos, sentence in candidate_sentences(shown)
            if shown[n - 1].status != "superseded" and side[n].trust != UNTRUSTED
            and population_fit(asked, read_population(sentence)) > -1.0]
    bases = [(s, [m for m in s.markers if m in side]) for s in kept]
    bases = [(s, ms) for s, ms in bases if ms]
    rivals_of = []
    for s, ms in bases:
        docs = {side[m].doc_id for m in ms}
        rivals_of.append([(n, r) for n, r in pool if side[n].doc_id not in docs and not _other_group(s.text, r)])
    texts = list(dict.fromkeys(r for rivals in rivals_of for _n, r in rivals))
    if not texts:
        return found
    texts += [s.text for s, _ms in bases if s.text not in texts]
    relevance = {t: float(p) for t, p in (known_relevance or {}).items() if t in texts}  # the drafter read them already
    unread = [t for t in texts if t not in relevance]
    if unread:
        relevance.update(zip(unread, (float(p) for p in reader.relevance(query, unread))))
    pairs = _pairs_on_point(query, bases, rivals_of, relevance, side, shown)
    if not pairs:
        return found
    # one batch: each pair both ways round, then each less trusted sentence against every more trusted passage
    claims = [s.text for s, _b, _n, r in pairs] + [r for _s, _b, _n, r in pairs]
    premises = [r for _s, _b, _n, r in pairs] + [s.text for s, _b, _n, _r in pairs]
    corroborate = _corroborating(pairs, side, shown)
    claims += [c for c, _m in corroborate]
    premises += [passage_input(shown[m - 1].text, shown[m - 1].title, shown[m - 1].section) for _c, m in corroborate]
    probabilities = reader.support_pairs(claims, premises)
    k = len(pairs)
    entailed_by = {}
    for i, (c, m) in enumerate(corroborate):
        entailed_by.setdefault(c, {})[m] = float(probabilities[2 * k + i][0])
    seen = {(c.basis.doc_id, c.rival.doc_id) for c in found} | {(c.rival.doc_id, c.basis.doc_id) for c in found}
    for i, (s, basis, n, r) in enumerate(pairs):
        rival = side[n]
        if (basis.doc_id, rival.doc_id) in seen:
            continue
        forward, backward = probabilities[i], probabilities[k + i]
        p_contra = max(float(forward[1]), float(backward[1]))
        p_entail = max(float(forward[0]), float(backward[0]))
        conflict = None
        if relevance[s.text] < SAME_POINT and overlap(s.text, r) < SAME_TERMS:
            continue  # the answer's sentence is not itself on the point the rival speaks to
        if p_contra >= CONTRADICTED and p_contra > p_entail:
            conflict = Conflict(basis, rival, r, "contradicted", round(p_contra, 4))
        elif numbers_disagree(s.text, r):
            conflict = Conflict(basis, rival, r, "contradicted", 1.0)
        elif _RANK[rival.trust] > _RANK[basis.trust]:
            best = max([float(forward[0])] + [p for m, p in entailed_by.get(s.text, {}).items()
                                               if _RANK[side[m].trust] > _RANK[basis.trust]])
            if best < CORROBORATED:
                conflict = Conflict(basis, rival, r, "uncorroborated", round(1.0 - best, 4))
        if conflict is not None:
            found.append(conflict)
            seen |= {(basis.doc_id, rival.doc_id), (rival.doc_id, basis.doc_id)}
    return found


def resolve_conflicts(
    query: str, draft: Draft, kept: Sequence[SentenceRecord], dropped: Sequence[SentenceRecord],
    shown: Sequence[SearchResult], reader: Reader, trust: Mapping[str, str], drafter: Drafter,
    verify: Callable[[str], tuple[list[SentenceRecord], list[SentenceRecord]]],
) -> Resolution:
    """Apply issuer trust and the conflicts found to the verified answer (``kept``, ``dropped``, drafted by
    ``drafter`` from ``shown``). When the answer rested on a document left out, ``drafter`` drafts it again without
    it; ``verify(text)`` verifies drafted text whose ``[n]`` markers number ``shown``."""
    kept, dropped = list(kept), list(dropped)
    out = Resolution(draft, kept, dropped)
    side = {m: Side.of(m, e, trust) for m, e in enumerate(shown, start=1)}
    cited = {m for s in kept for m in s.markers}
    untrusted = {m for m, x in side.items() if x.trust == UNTRUSTED}
    extra = draft.extra or {}
    conflicts = find_conflicts(query, kept, shown, reader, trust, extra.get("disagreement"), extra.get("candidate_relevance"))
    out.conflicts = conflicts
    losing_docs = {c.basis.doc_id if c.preferred is c.rival else c.rival.doc_id for c in conflicts if c.preferred is not None}
    excluded = untrusted | {m for m, x in side.items() if x.doc_id in losing_docs}
    for doc_id in dict.fromkeys(side[m].doc_id for m in sorted(untrusted & cited)):
        first = next(side[m] for m in sorted(untrusted & cited) if side[m].doc_id == doc_id)
        out.excluded.append(first)
        out.warnings.append(f"Left out {first.describe()}: the librarian marked its issuer untrusted, and an untrusted "
                            "document is never the basis of an answer.")
    for c in conflicts:
        if c.preferred is not None:
            out.warnings.append(_warning(c))
        loser = None if c.preferred is None else c.basis if c.preferred is c.rival else c.rival
        if loser is not None and loser.doc_id not in {x.doc_id for x in out.excluded}:
            out.excluded.append(loser)
    resting = [s for s in kept if s.markers and all(m in excluded for m in s.markers)]  # on left-out documents only
    out.kept = [_without(s, excluded, shown) for s in kept if s not in resting]
    out.dropped = dropped + resting
    if resting and not out.kept:  # the answer rested on them: draft it again from the rest
        out.draft, again_kept, again_dropped = redraft_without(drafter, query, shown, excluded, verify)
        out.kept = [s for s in again_kept if not any(m in excluded for m in s.markers)]
        out.dropped += again_dropped
    for c in conflicts:  # the side followed speaks on the point in the answer, in its own words
        if c.preferred is c.rival and c.rival.doc_id not in _cited_docs(out.kept, side):
            out.kept += _quote(c.sentence, c.rival.marker, out.kept, shown, verify)
    if not out.kept:
        names = "; ".join(x.describe() for x in out.excluded)
        out.refusal = f"only documents the answer may not rest on alone state an answer: {names}"
        return out
    for c in conflicts:
        if c.preferred is not None:
            continue
        out.unresolved = True
        if c.rival.marker not in {m for s in out.kept for m in s.markers}:  # quote the other side too
            out.kept += _quote(c.sentence, c.rival.marker, out.kept, shown, verify)
        out.warnings.append(_warning(c, quoted=c.rival.marker in {m for s in out.kept for m in s.markers}))
    return out


def _cited_docs(kept: Sequence[SentenceRecord], side: Mapping[int, Side]) -> set[str]:
    return {side[m].doc_id for s in kept for m in s.markers if m in side}


def _quote(sentence: str, marker: int, kept: Sequence[SentenceRecord], shown: Sequence[SearchResult],
           verify: Callable[[str], tuple[list[SentenceRecord], list[SentenceRecord]]]) -> list[SentenceRecord]:
    """``sentence`` of passage ``marker``, verified, to add to ``kept`` (nothing when it is there or fails). A sentence
    of its passage word for word (a list item, say, that the quote check does not take for a whole sentence) is
    quoted as it stands, its support score kept for groundedness."""
    if not sentence:
        return []
    more, failed = verify(f"{sentence} [{marker}]")
    more += [s for s in failed if _verbatim(s.text, shown[marker - 1].text)]
    return [s for s in more if s.text not in {k.text for k in kept}]


def _verbatim(sentence: str, passage: str) -> bool:
    def norm(text: str) -> str:
        return " ".join(text.split()).casefold().rstrip(" .")

    return bool(norm(sentence)) and norm(sentence) in norm(passage)


def _without(s: SentenceRecord, excluded: set[int], shown: Sequence[SearchResult]) -> SentenceRecord:
    """``s`` citing only the passages not excluded (it has at least one)."""
    if not any(m in excluded for m in s.markers):
        return s
    markers = [m for m in s.markers if m not in excluded]
    return replace(s, markers=markers, citations=[shown[m - 1].chunk_id for m in markers])


def _warning(c: Conflict, quoted: bool = True) -> str:
    head = "The loaded guidelines disagree on this point: "
    if c.preferred is None:
        if issuer_key(c.basis.issuer) == issuer_key(c.rival.issuer) and c.basis.issuer:
            why = (f"both come from {c.basis.issuer} and neither is marked superseded (`clinrag library supersede` "
                   "records which replaces which)")
        elif c.basis.trust == TRUSTED:
            why = "both issuers are marked trusted"
        else:
            why = "neither issuer is marked trusted"
        shown = "Both are quoted" if quoted else f"[{c.rival.marker}] could not be quoted (open it)"
        return (f"{head}{c.basis.describe()} and {c.rival.describe()} say different things. {shown}; {why}. "
                "Check which applies.")
    winner = c.preferred
    loser = c.basis if winner is c.rival else c.rival
    says = "contradicts" if c.kind == "contradicted" else "states what it does not say in"
    return (f"{head}{loser.describe()} {says} {winner.describe()}. The answer follows [{winner.marker}], the more "
            f"trusted issuer; [{loser.marker}] is not quoted.")


def remap_markers(text: str, numbers: Sequence[int]) -> str:
    """A draft written over a subset of the passages, its ``[n]`` markers renumbered to the full list
    (``numbers[n - 1]`` is the full number of subset passage ``n``)."""
    import re

    def one(match: "re.Match[str]") -> str:
        parts = [p.strip() for p in match.group(1).split(",")]
        mapped = [str(numbers[int(p) - 1]) if p.isdigit() and 1 <= int(p) <= len(numbers) else p for p in parts]
        return "[" + ", ".join(mapped) + "]"

    return re.sub(r"\[(\d+(?:\s*,\s*\d+)*)\]", one, text)


def redraft_without(drafter: Drafter, query: str, shown: Sequence[SearchResult], excluded: set[int],
                    verify: Callable[[str], tuple[list[SentenceRecord], list[SentenceRecord]]]):
    """Draft again from ``shown`` without the ``excluded`` passages, renumber the markers to ``shown`` and verify:
    (draft, kept, dropped). Nothing left to draft from: an empty answer."""
    numbers = [m for m in range(1, len(shown) + 1) if m not in excluded]
    if not numbers:
        return Draft("", cannot_answer=True), [], []
    draft = drafter.draft(query, [shown[m - 1] for m in numbers])
    if draft.cannot_answer or not draft.text.strip():
        return draft, [], []
    text = remap_markers(draft.text, numbers)
    kept, dropped = verify(text)
    return replace(draft, text=text), kept, dropped
