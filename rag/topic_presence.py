"""Whether the library speaks of what a question asks about at all (pure; the index and a word-frequency table
are passed in).

"What is the recommended first-line drug treatment for fibromyalgia?" above a library without a fibromyalgia
guideline retrieves the nearest passages (first-line treatment of cystitis) and the reader, asked which sentence
answers best, picks one. Dense retrieval and the reader see topics as similar; a word tells them apart. A question
word names a topic the library does not hold when

- it is a topic word of the question (not a question word, not everyday filler, not a lay phrase the pipeline
  already maps onto clinical words),
- its stem occurs nowhere in the index (after spelling correction, so a misspelling of a library word is already
  mended),
- it is a specialist word: rare in general English (``is_rare``, a word-frequency table), so an everyday word the
  guidelines happen not to use ("truck driver", "fridge", "toddler") never counts, nor do two everyday words run
  together ("schoolteacher"); but a word English does not know at all is most likely a misspelling and never counts,
- it is not a gloss: a word in parentheses or right before them ("Tylenol (acetaminophen)") names the same thing
  twice, and a negated prefix of a library word ("nondiabetic") is that word.

Measured on the dev suites (recs-dev, guideline-dev, the bundled suite): such words appear in 40 must-refuse
questions and in 1 answerable one (a misspelling English knows as another word, 'councel').
"""

from __future__ import annotations

import re
from typing import Callable

from clinrag.text import content_terms
from rag.verdict import topic_units

MIN_LETTERS = 5
_WORD = re.compile(r"[A-Za-z]+")
_GLOSS = re.compile(r"\([^()]*\)")
_PREFIXES = ("non", "un", "anti", "pre", "post", "in")


def _gloss_spans(question: str) -> list[tuple[int, int]]:
    """Character spans of parenthesised glosses and of the word right before each."""
    spans = []
    for m in _GLOSS.finditer(question):
        before = re.search(r"[A-Za-z-]+\s*$", question[: m.start()])
        spans.append((before.start() if before else m.start(), m.end()))
    return spans


def _compound_of_common_words(word: str, is_rare: Callable[[str], bool]) -> bool:
    return any(not is_rare(word[:i]) and not is_rare(word[i:]) for i in range(4, len(word) - 3))


def absent_topic_words(
    question: str, knows_term: Callable[[str], bool], is_rare: Callable[[str], bool], is_unknown: Callable[[str], bool]
) -> list[str]:
    """The question's specialist topic words that the library never uses, in question order (empty when none).
    ``is_unknown``: a word general English does not know at all, most often a misspelling ("examinashun") that
    spelling correction could not mend: it is never taken for a topic (nor are new drug names, which English
    does not know either: the price of not refusing misspelled questions)."""
    topic, _ = topic_units(question)
    glosses = _gloss_spans(question)
    found: list[str] = []
    for m in _WORD.finditer(question):
        word = m.group(0)
        if len(word) < MIN_LETTERS or sum(c.isupper() for c in word) >= 2:
            continue  # short words, acronyms and names written with capitals inside ("HFrEF")
        if any(a <= m.start() < b for a, b in glosses):
            continue
        terms = content_terms(word)
        if not terms or terms[0] not in topic or knows_term(terms[0]):
            continue
        lower = word.lower()
        stripped = next((lower[len(p):] for p in _PREFIXES if lower.startswith(p) and len(lower) - len(p) >= MIN_LETTERS), None)
        if stripped is not None and any(knows_term(t) for t in content_terms(stripped)):
            continue  # "nondiabetic" speaks of "diabetic"
        if _compound_of_common_words(lower, is_rare):
            continue  # "schoolteacher", "bloodstream": everyday words run together
        if is_rare(lower) and not is_unknown(lower) and lower not in found:
            found.append(lower)
    return found


# who a question is about when it is not a person: a library of human guidelines answers none of these unless a
# passage names them too ("dog bites" in a rabies guideline)
_ANIMALS = re.compile(r"\b(?:dogs?|pupp(?:y|ies)|cats?|kittens?|pets?|horses?|ponies|pony|cattle|livestock|sheep|goats?|"
                      r"pigs?|ferrets?|rabbits?|hamsters?|parrots?|animals?|veterinar(?:y|ians?))\b", re.I)


def absent_animals(question: str, passages: list[str]) -> list[str]:
    """The animals the question is about that none of the passages names ("vaccination schedule for dogs
    travelling abroad" over the adult immunization schedule), lower case, in question order; acronyms ("CAT") aside."""
    named = {m.group(0).lower() for p in passages for m in _ANIMALS.finditer(p)}
    stems = {w.rstrip("s") for w in named}
    found: list[str] = []
    for m in _ANIMALS.finditer(question):
        word = m.group(0).lower()
        if m.group(0).isupper():
            continue  # an acronym ("CAT score" in COPD)
        if word.rstrip("s") not in stems and word not in found:
            found.append(word)
    return found
