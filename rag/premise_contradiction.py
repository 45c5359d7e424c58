"""A question's premise read as a recommendation and set against what the guideline recommends (pure).

"Since the guideline recommends X, which ...?", "The guide allows X. How ...?" and "Given the A-grade
recommendation to X, ..." take for granted that the guideline is *for* X. The premise is contradicted when a
recommendation sentence in the evidence on the same intervention goes another way:

- it is against X, finds the evidence on X insufficient, or leaves X to an individual decision ("Recommend against
  the use of no-suicide contracts ...", "... the current evidence is insufficient to assess ... screening for thyroid
  dysfunction ...");
- it prefers something else to X ("prescribe immediate-release opioids instead of extended-release/long-acting
  opioids");
- X is an item of a list the guideline prohibits ("DO NOT USE: ... Methadone for acute or break-through pain").

"The same intervention" means the head word and most of the first few content terms of what the sentence is against (its head, before a
purpose clause dilutes it) are mostly the premise's own terms. A sentence on another population (by
``population_fit``) does not count. The answer path refuses with ``premise_contradicted`` and quotes the sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from clinrag.text import content_terms
from clinrag.records import SearchResult
from rag.population import Population, population_fit
from rag.recommendation import AGAINST, FOR, Recommendation, parse_recommendation, recommendation_in_passage
from rag.verdict import MIN_TOPIC_OVERLAP, topic_overlap

# how the premise words a claim that a guideline is for something, rewritten to "recommends" for the parser
_CLAIM_VERBS = re.compile(r"\b(?:allows?|permits?|prefers?|endorses?|favou?rs?|supports?|advocates?)\b", re.I)
_GRADED_CLAIM = re.compile(
    r"^(?P<source>.{2,80}?)(?:'s|’s)?\s+(?:an?\s+)?(?P<grade>[ABC])[- ]grade\s+recommendation\s+(?:to|for|of|that)\s+(?P<rest>.+)$", re.I)
_GIVES_GRADE = re.compile(r"^(?P<source>.{2,80}?)\s+gives\s+(?P<rest>.+?)\s+an?\s+(?P<grade>[ABC])(?:[- ]grade|\s+grade|\s+rating)\.?$", re.I)

_PREFERENCE = re.compile(r"\b(?:instead of|rather than|in preference to|in place of)\s+(?P<other>[^.;:()]+)", re.I)
_PROHIBITION_HEADING = re.compile(r"^\s*(?:do not use|avoid|not recommended|contraindicated|drugs?(?: and drug combinations)? to avoid)\s*:?\s*$", re.I)

# a checklist's prohibition with a subject ("HCP do not wash gloves for the purpose of reuse"), which the
# recommendation parser (imperatives and reporting verbs) does not read
_PROHIBITED_ACT = re.compile(r"\b(?P<neg>do not|does not|don't|never|must not|should not|may not)\s+(?P<act>(?!know\b|have\b)[a-z]+\b[^.;]{3,})", re.I)

_HEAD_TERMS = 4  # how many content terms of the contradicting phrase name its intervention
_MIN_SHARED = 2
_MIN_HEAD_SHARE = 0.5
_MIN_ITEM_SHARE = 0.66
_MAX_LIST_LINE = 120  # a prohibited-list item is a short line

# words every recommendation uses, which name no intervention
_GENERIC = frozenset(content_terms(
    "use using used recommend recommends recommended recommendation suggest suggests offer offering provide providing "
    "clinician clinicians provider providers patient patients person persons people adult adults individual individuals "
    "should treatment therapy intervention interventions practice guideline guidelines routine routinely all work group "
    "purpose purposes"
))


@dataclass(frozen=True)
class Contradiction:
    """What contradicts the premise: the sentence, the passage it is in (1-based, in evidence order) and, when the
    sentence is a recommendation, its structure."""

    sentence: str
    passage: int
    recommendation: Recommendation | None
    why: str  # "direction" | "preference" | "prohibited"


def claimed_recommendation(premise: str) -> Recommendation | None:
    """The premise as the recommendation it claims: "allows / prefers / supports X" and "the A-grade recommendation to
    X" read as "recommends X"."""
    text = " ".join(premise.split()).rstrip(".")
    graded = _GRADED_CLAIM.match(text) or _GIVES_GRADE.match(text)
    if graded:
        text = f"{graded.group('source')} recommends {graded.group('rest')} (grade {graded.group('grade').upper()})"
    else:
        text = _CLAIM_VERBS.sub("recommends", text, count=1)
    return parse_recommendation(_dehyphen(text) + ".")


def contradiction(premise: str, candidates: Sequence[tuple[int, int, str]], passages: Sequence[str],
                  populations: Sequence[Population | None] = ()) -> Contradiction | None:
    """The first sentence (in evidence order) that contradicts the premise, or None. ``candidates`` are the evidence's
    sentences as (passage number, position, sentence); ``passages`` the passages' texts in the same order."""
    claimed = claimed_recommendation(premise)
    if claimed is None or claimed.direction != FOR:
        return None
    claim_terms = _terms(claimed.intervention or premise) | _terms(premise)
    asked = claimed.population_record or Population()
    for n, _pos, sentence in candidates:
        passage = passages[n - 1] if 0 < n <= len(passages) else sentence
        rec = recommendation_in_passage(sentence, passage)
        if rec is None:
            act = _PROHIBITED_ACT.search(sentence)
            if act and _same_intervention(act.group("act"), claim_terms):
                return Contradiction(sentence, n, Recommendation(AGAINST, None, None, None, act.group("act").strip(),
                                                                 act.group("neg").lower()), "direction")
            continue
        if rec.population_record is not None and population_fit(asked, rec.population_record) <= -1.0:
            continue
        if rec.direction != FOR and _same_intervention(rec.intervention or sentence, claim_terms):
            return Contradiction(sentence, n, rec, "direction")
        preferred = _PREFERENCE.search(sentence)
        if rec.direction == FOR and preferred and _same_intervention(preferred.group("other"), claim_terms) \
                and not _same_intervention(sentence[: preferred.start()], _terms(preferred.group("other"))):
            return Contradiction(sentence, n, rec, "preference")
    for n, passage in enumerate(passages, start=1):
        for item in prohibited_items(passage):
            # a list item is short and every word of it counts ("methadone for acute pain" is not "... chronic pain")
            if _same_intervention(item.split(": ", 1)[1], claim_terms, n_head=_MAX_LIST_LINE, min_share=_MIN_ITEM_SHARE):
                return Contradiction(item, n, Recommendation(AGAINST, None, None, None, item, "do not use"), "prohibited")
    return None


def prohibited_items(passage: str) -> list[str]:
    """The short lines listed under a "DO NOT USE" / "Avoid" heading, up to the next heading or long line, each with its
    heading: "DO NOT USE: Methadone for acute or break-through pain"."""
    items: list[str] = []
    inside = ""
    for line in passage.splitlines():
        text = line.strip()
        if not text:
            continue
        if _PROHIBITION_HEADING.match(text):
            inside = text.rstrip(" :")
            continue
        if inside:
            if len(text) > _MAX_LIST_LINE or text.endswith(":") or (text.isupper() and len(text.split()) <= 5):
                inside = ""
                continue
            items.append(f"{inside}: {text.rstrip(' ;,')}")
    return items


def _same_intervention(phrase: str, claim_terms: set[str], n_head: int = _HEAD_TERMS, min_share: float = _MIN_HEAD_SHARE) -> bool:
    head = [t for t in content_terms(_dehyphen(phrase)) if t not in _GENERIC][:n_head]
    if not head:
        return False
    shared = sum(1 for t in set(head) if t in claim_terms)
    # the head word (the drug, the test, the act) must be the premise's: "meperidine for chronic pain" is not
    # "methadone for chronic pain"
    return head[0] in claim_terms and shared >= _MIN_SHARED and shared / len(set(head)) >= min_share


def _terms(text: str) -> set[str]:
    return {t for t in content_terms(_dehyphen(text)) if t not in _GENERIC}


def _dehyphen(text: str) -> str:
    """ "break-through" and "breakthrough", "no-suicide" and "no suicide" are one word."""
    return re.sub(r"(?<=[A-Za-z])-(?=[A-Za-z])", "", text)


def premise_against_recommendations(premise: str, candidates, shown: Sequence[SearchResult]) -> dict | None:
    """The premise read as a recommendation ("the USPSTF recommends screening spirometry for smokers") against the
    recommendation sentences of the best passages on the same intervention and population: when the guideline's
    direction is another one (against, insufficient evidence, an individual decision where the premise claims a plain
    recommendation), the premise is contradicted. Returns the refusal's fields, or None."""
    claimed = parse_recommendation(premise)
    if claimed is None:
        return None
    asked = claimed.population_record or Population()
    best = None
    for n, _pos, sentence in candidates:
        rec = recommendation_in_passage(sentence, shown[n - 1].text)
        if rec is None:
            continue
        overlap = topic_overlap(premise, sentence, f"{shown[n - 1].title} {shown[n - 1].section}")
        if overlap < MIN_TOPIC_OVERLAP:
            continue
        fit = population_fit(asked, rec.population_record) if rec.population_record is not None else 0.0
        if fit <= -1.0:
            continue
        if best is None or (overlap, fit) > best[0]:
            best = ((overlap, fit), n, sentence, rec)
    if best is None or best[3].direction == claimed.direction:
        return None
    _, n, sentence, rec = best
    source = shown[n - 1]
    return {"premise": premise, "sentence": sentence, "source": f"[{n}] {source.title}, {source.version or source.date or 'undated'}",
            "recommendation": rec.to_dict(source.chunk_id)}
