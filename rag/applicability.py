"""Whether a recommendation applies to the person a question names, from the statement's own scope sentences (pure).

"Does the USPSTF statement on screening for obstructive sleep apnea apply to pregnant women?" is answered by the
statement's scope, which guidelines spell out in a regular form: "This recommendation applies to asymptomatic adults
(18 years and older)." and "This recommendation also does not apply to children, adolescents, or pregnant women."
The person asked about is matched against every item the statement excludes (an age outside a bound, pregnancy, a
life stage, or most of the item's own words: "children whose parents or clinicians raise those concerns" for "a
3-year-old whose parents are worried"); an excluded person gets "No", quoting the exclusion. Otherwise a person whose
age lies inside the scope's range, or outside it, gets "Yes" or "No", quoting the scope. Anything else gets no
verdict. Only the scope sentences of one document count: the first, in evidence order, that has any.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from clinrag.text import content_terms, split_sentences
from rag.asked_constraints import negated_terms
from rag.population import INF, question_age, read_population

_ASKS_SCOPE = re.compile(
    r"^(?:does|do|would|will|is|are)\b.{3,200}?\b(?:apply|applies|pertain|extend)\s+to\s+(?P<who>.+?)\s*\?\s*$"
    r"|^(?:does|do|would|will)\b.{3,200}?\b(?:cover|include)\s+(?P<who2>(?:an?|my|the|our|people|persons|patients|women|men|"
    r"children|adults|adolescents|infants|pregnant)\b.+?)\s*\?\s*$",
    re.I,
)
_APPLIES = re.compile(r"\b(?:recommendation|statement|guideline|guidance)s?\s+(?:also\s+)?(?:only\s+)?appl(?:y|ies)\s+(?:only\s+)?to\b|"
                      r"^\s*(?:it|this)\s+(?:also\s+)?appl(?:y|ies)\s+(?:only\s+)?to\b", re.I)
_EXCLUDES = re.compile(r"\b(?:does|do)\s+not\s+apply\s+to\b\s*(?P<items>.+)$", re.I)
_ITEM_SPLIT = re.compile(r",\s*(?:or|and)\s+|,\s+|;\s+|\s+nor\s+", re.I)
_MONTHS = re.compile(r"\b(?P<dir>younger|older)\s+than\s+(?:age\s+)?(?P<n>\d{1,3})\s*(?P<unit>months?|years?)?", re.I)

# a few everyday words for what a scope sentence says ("worried" parents are parents with concerns)
_SYNONYMS = {"worri": "concern", "worry": "concern", "concern": "concern", "anxious": "concern", "expect": "pregnant"}
# words of every scope item that name no one in particular
_GENERIC = frozenset(content_terms(
    "children child persons person people adults adult patients patient individuals those who whose with have has had "
    "are is were been being also other any all this recommendation statement apply applies these such including "
    "living united states"
))
_MIN_SHARED = 2
# what a question says of someone that no scope turns on ("born at term", "feels fine", "otherwise healthy")
_UNREMARKABLE = frozenset(content_terms(
    "born term full healthy otherwise fine feels feel well normal routine checkup visit man woman boy girl son daughter "
    "mother father male female mom dad baby toddler kid pregnant"))
_STAGE_WORDS = frozenset(content_terms("adolescents adolescent teens teenagers youth infants kids"))


@dataclass(frozen=True)
class ScopeVerdict:
    verdict: str  # "yes" | "no"
    sentence: str  # the scope sentence that decides, as the passage has it
    passage: int  # its passage, 1-based in evidence order
    reason: str


def asked_person(question: str) -> str | None:
    """Who an applicability question asks about ("pregnant women", "an 18-month-old who was born at term"), or None
    when the question does not ask whether a statement applies to someone."""
    m = _ASKS_SCOPE.match(" ".join(question.split()))
    if not m:
        return None
    return (m.group("who") or m.group("who2") or "").strip() or None


def scope_sentences(passage: str) -> list[tuple[str, str]]:
    """The passage's scope sentences as (kind, sentence), kind "applies" or "excludes"."""
    found = []
    for start, end in split_sentences(passage):
        sentence = " ".join(passage[start:end].split())
        if _EXCLUDES.search(sentence):
            found.append(("excludes", sentence))
        elif _APPLIES.search(sentence):
            found.append(("applies", sentence))
    return found


def scope_verdict(question: str, passages: Sequence[str], doc_ids: Sequence[str]) -> ScopeVerdict | None:
    """The verdict on whether the statement applies to the person the question names, or None."""
    who = asked_person(question)
    if who is None:
        return None
    statements: list[tuple[int, str, str]] = []
    chosen = None
    for n, (passage, doc) in enumerate(zip(passages, doc_ids), start=1):
        if chosen is not None and doc != chosen:
            continue
        found = scope_sentences(passage)
        if found:
            chosen = doc
            statements.extend((n, kind, s) for kind, s in found)
    if not statements:
        return None
    person = _person_terms(who)
    age = question_age(who)
    pregnant = read_population(who, question=True).pregnant
    for n, kind, sentence in statements:
        if kind != "excludes":
            continue
        items = _excluded_items(sentence)
        for item in items:
            if _item_matches(item, person, age, pregnant):
                return ScopeVerdict("no", sentence, n, f"the statement does not apply to {item}")
    for n, kind, sentence in statements:
        if kind != "applies":
            continue
        scope = read_population(sentence.split(" to ", 1)[-1])
        # a "yes" only for a person the scope sentence describes whole: "a 45-year-old who snores" may be
        # symptomatic, which an age inside "asymptomatic adults (18 years and older)" does not settle
        unspoken = person - set(content_terms(sentence)) - _UNREMARKABLE
        if age is not None and scope.age is not None:
            inside = scope.age[0] <= age[0] and age[1] <= scope.age[1]
            if inside and unspoken:
                return None
            return ScopeVerdict("yes" if inside else "no", sentence, n,
                                "the person's age is inside the statement's scope" if inside else
                                "the person's age is outside the statement's scope")
        if pregnant and scope.pregnant and not unspoken:
            return ScopeVerdict("yes", sentence, n, "the statement applies to pregnant persons")
    return None


def with_scope_passages(question: str, shown: Sequence, evidence: Sequence, most: int = 2) -> list:
    """``shown`` and, for an applicability question, up to ``most`` more passages of the first shown document from
    ``evidence`` that hold its scope sentences (a statement's "does not apply to" often stands in a passage of its
    own, ranked below the ones that name the topic)."""
    shown = list(shown)
    if not shown or asked_person(question) is None:
        return shown
    doc, have = shown[0].doc_id, {e.chunk_id for e in shown}
    extra = [e for e in evidence if e.doc_id == doc and e.chunk_id not in have and scope_sentences(e.text)]
    return shown + extra[:most]


def _excluded_items(sentence: str) -> list[str]:
    items = _EXCLUDES.search(sentence).group("items")
    items = re.split(r";|\.\s|\(", items)[0].rstrip(". ")
    return [i.strip() for i in _ITEM_SPLIT.split(items) if i.strip()]


def _item_matches(item: str, person: set[str], age: tuple[float, float] | None, pregnant: bool | None) -> bool:
    bounds = [(m.group("dir").lower(), float(m.group("n")) / (12.0 if (m.group("unit") or "").lower().startswith("month") else 1.0))
              for m in _MONTHS.finditer(item)]
    if bounds and age is not None:
        # "younger than age 6 months or older than 24 months": outside [6 months, 24 months]
        return any((age[1] < n) if d == "younger" else (age[0] > n) for d, n in bounds)
    item_population = read_population(item)
    if pregnant and item_population.pregnant:
        return True
    if age is not None and item_population.age is not None and not bounds:
        low, high = item_population.age
        if low <= age[0] and age[1] <= high and (low > 0 or high < INF):
            return True
    terms = _person_terms(item)
    if age is not None and item_population.stage in ("child", "adolescent") and item_population.age is None \
            and not terms - _STAGE_WORDS:  # the item is a life stage and nothing more ("children", "adolescents")
        stage_age = (0.0, 12.0) if item_population.stage == "child" else (12.0, 18.0)
        if stage_age[0] <= age[0] and age[1] < stage_age[1]:
            return True
    if not terms:
        return False
    shared = len(terms & person)
    return shared >= _MIN_SHARED or (shared >= 1 and len(terms) == 1)


def _person_terms(text: str) -> set[str]:
    ruled_out = negated_terms(text)
    terms = {_SYNONYMS.get(t, t) for t in content_terms(text) if t not in _GENERIC and not t.isdigit()}
    return {t for t in terms if t not in ruled_out and t not in {"year", "month", "old"}}
