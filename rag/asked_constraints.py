"""What a yes/no question names that the sentence deciding its verdict must speak of (pure functions).

Two kinds of words narrow a question past its topic: the conditions of the person asked about ("a patient with atrial
fibrillation and a mechanical heart valve", "I'm on dialysis") and the intervention asked about ("Does the USPSTF
recommend e-cigarettes ...", "Is vaping a recommended way ..."). A recommendation for patients with atrial
fibrillation in general, or for behavioural counselling, shares most of such a question's words and still does not
answer it, so a verdict needs a sentence (or the title and section it stands under) that names each of them.
"""

from __future__ import annotations

import math
import re
from typing import Iterable

from clinrag.text import content_terms
from rag.clinical_question import LayGroup, lay_groups

_STOP_AT = (r"(?=\s+(?:who|that|which|should|does|do|did|is|are|was|were|to|for|in|at|before|after|during|when|if|"
            r"because|but|or|and\s+(?:is|are|should|does|do|wants?|asks?)|still|yet|now|anymore|every|each)\b|[,.;:?!()\"]|$)")
# the person and the condition: "patients with X", "someone on X", "adults who have X", "I'm on X", "he has X"
_CONDITION = re.compile(
    r"\b(?:patients?|people|persons?|adults?|children|kids?|women|men|woman|man|someone|anyone|those|individuals?|"
    r"infants?|adolescents?|a (?:patient|person|child|boy|girl))\s+"
    r"(?:who (?:have|has|are on|is on|are taking|is taking|are receiving|is receiving)|with|on|taking|receiving)\s+"
    rf"(?P<x>[^,.;:?!()\"]{{2,60}}?){_STOP_AT}"
    r"|\b(?:i'?m|i am|he'?s|she'?s|he is|she is|they'?re|they are)\s+(?:now\s+|currently\s+|already\s+)?(?:on|taking|receiving)\s+"
    rf"(?P<y>[^,.;:?!()\"]{{2,60}}?){_STOP_AT}",
    re.I,
)
# the intervention: the object of "recommend" / "support", or the subject of "is X recommended"
_RECOMMEND_OBJECT = re.compile(
    r"\b(?:recommend|recommends|support|supports|endorse|endorses|advise|advises)\s+(?:against\s+)?(?:the\s+)?"
    r"(?:routine(?:ly)?\s+)?(?:use of\s+|using\s+|offering\s+|giving\s+|prescribing\s+|starting\s+|taking\s+|adding\s+|combining\s+)?"
    r"(?P<x>[^,.;:?!()\"]{2,60}?)"
    r"(?=\s+(?:as|for|in|to|among|over|rather|instead|versus|vs|before|after|at|during|when|if|with|every|each|once|"
    r"annually|yearly|routinely|by)\b|[,.;:?!()\"]|$)",
    re.I,
)
_SUBJECT_RECOMMENDED = re.compile(
    r"^\s*(?:is|are)\s+(?P<x>[^,.;:?!()\"]{2,40}?)\s+(?:a |an )?(?:recommended|advised|suggested|good idea|safe)\b", re.I)
# words that say nothing of which condition or intervention is meant
_EMPTY = frozenset(content_terms(
    "a an the my his her their our your history of known diagnosed diagnosis prior previous new newly recent recently "
    "current currently some any other certain this that these those it them me him clinicians clinician doctors "
    "doctor providers provider screening screen testing test tests routine routinely treatment therapy use using "
    "medication medicine medicines drugs drug intervention interventions method methods way ways option options "
    "approach kind type form people patients adults children women men person persons someone everyone all "
    "pregnant nonpregnant asymptomatic newborns adolescents infants aged age older younger year years time one once "
    "single suspected possible probable average"
))


def _terms(phrase: str) -> frozenset[str]:
    return frozenset(t for t in content_terms(phrase) if t not in _EMPTY and not t.isdigit())


def _unabbreviated(question: str) -> str:
    """"C. difficile" without the full stop that would end the phrase."""
    return re.sub(r"\b([A-Z])\.\s+(?=[a-z])", r"\1 ", question)


def asked_conditions(question: str) -> list[frozenset[str]]:
    """The conditions the question names (each as its terms): "with atrial fibrillation and a mechanical heart
    valve" gives {atrial, fibril} and {mechan, heart, valv}."""
    found = []
    for m in _CONDITION.finditer(_unabbreviated(question)):
        phrase = m.group("x") or m.group("y") or ""
        for part in re.split(r"\s+(?:and|plus|as well as)\s+", phrase):
            terms = _terms(part)
            if terms:
                found.append(terms)
    return found


def asked_interventions(question: str) -> list[frozenset[str]]:
    """The intervention the question asks about, when its wording names one apart from the topic: "recommend
    e-cigarettes as a method" gives {cigarett}; "Is vaping a recommended way" gives {vape}."""
    found = []
    for pattern in (_RECOMMEND_OBJECT, _SUBJECT_RECOMMENDED):
        m = pattern.search(_unabbreviated(question))
        if m:
            terms = _terms(m.group("x"))
            if terms:
                found.append(terms)
    return found


def _mentioned(term: str, have: set[str]) -> bool:
    """A term counts as said by a longer word that holds it ("symptom" in "asymptomatic") and the other way round."""
    return term in have or any(term in h or (len(h) >= 5 and h in term) for h in have)


def _met(terms: frozenset[str], have: set[str], groups: Iterable[LayGroup]) -> bool:
    """Whether ``terms`` are said: half of them (rounded up), or every lay phrase among them by a clinical term it
    stands for ("vaping" by "electronic cigarettes"; "e-cigarettes" is not said by "tobacco", which one of its lay
    readings, "cigarettes", stands for, because its other reading is not)."""
    covering = [g for g in groups if g.lay & terms]
    if covering and all((g.specific or g.clinical) & have for g in covering):
        return True
    said = sum(1 for t in terms if _mentioned(t, have))
    return said >= math.ceil(len(terms) / 2)


def unmet_constraint(question: str, sentence: str, context: str = "") -> str | None:
    """The words of ``question``'s conditions or intervention that ``sentence`` (with its title and section in
    ``context``) does not speak of, or None when it speaks of all of them."""
    have = set(content_terms(f"{sentence} {context}"))
    groups = lay_groups(question)
    for terms in asked_conditions(question) + asked_interventions(question):
        if not _met(terms, have, groups) and not _abbreviated(question, terms, f"{sentence} {context}"):
            return _phrase_of(question, terms)
    return None


_ACRONYM = re.compile(r"\b[A-Z][A-Za-z0-9]{0,2}[A-Z][A-Za-z0-9]{0,4}\b")  # ART, AF, DOAC, HFrEF, CHA2DS2


def _spells(acronym: str, words: list[str]) -> bool:
    """Whether ``acronym`` abbreviates ``words``: each word gives its first letter and maybe more of its letters in
    order ("ART" for "antiretroviral therapy", "HFrEF" for "heart failure reduced ejection fraction")."""
    if not words:
        return not acronym
    word = words[0]
    if not acronym or acronym[0] != word[0]:
        return False

    def inside(letters: str, rest: str) -> bool:
        it = iter(rest)
        return all(ch in it for ch in letters)

    return any(inside(acronym[1:k], word[1:]) and _spells(acronym[k:], words[1:]) for k in range(1, len(acronym) + 1))


def _abbreviated(question: str, terms: frozenset[str], text: str) -> bool:
    """Whether ``text`` says the question's words for ``terms`` by an acronym ("ART" for "antiretroviral therapy"),
    or spells out the question's acronym for them."""
    def said_by_acronym(acronyms: Iterable[str], words: list[str], must_cover: bool) -> bool:
        low = [w.lower() for w in words]
        for acronym in acronyms:
            a = re.sub(r"[^a-z]", "", acronym.lower())
            if len(a) < 2:
                continue
            for i in range(len(low)):
                for j in range(i + 1, min(len(low), i + len(a)) + 1):
                    window = low[i:j]
                    if _spells(a, window) and (not must_cover or set(content_terms(" ".join(window))) & terms):
                        return True
        return False

    question_words = re.findall(r"[A-Za-z][A-Za-z-]*", question)
    text_words = re.findall(r"[A-Za-z][A-Za-z-]*", text)
    asked_acronyms = [w for w in _ACRONYM.findall(question) if set(content_terms(w)) & terms]
    return (said_by_acronym(_ACRONYM.findall(text), question_words, True)
            or said_by_acronym(asked_acronyms, text_words, False))


def _phrase_of(question: str, terms: frozenset[str]) -> str:
    """The question's own words for ``terms`` (for the note that says what the evidence does not speak of)."""
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]*", question) if set(content_terms(w)) & terms]
    return " ".join(dict.fromkeys(words)) or " ".join(sorted(terms))


# ------------------------------------------------------------------------- what the question rules out
_NEGATION = re.compile(r"\b(?:without|with no|no known|no|not|never|who (?:do|does) not have|free of)\s+", re.I)
_AFFIRMED = re.compile(r"\b(?:with|who (?:are|is|have|has|had)|having|and have|and are)\s+((?:[\w'-]+\s+){0,5}[\w'-]+)", re.I)
_PHRASE_END = re.compile(r"\b(?:and|or|but|be|is|are|was|were|should|who|that|to|for|in|on|at|than)\b", re.I)
_NEGATED_WORD = re.compile(r"\b(?:no|not|without|never|non)\b", re.I)


def negated_terms(text: str) -> set[str]:
    """Terms ``text`` rules out: "adults without obesity and without known risk factors" gives {obes, risk, factor}."""
    found: set[str] = set()
    for m in _NEGATION.finditer(text):
        words = " ".join(text[m.end():].split()[:4])
        found |= _terms(_PHRASE_END.split(words)[0]) - {"known", "other"}
    return found


def affirms_what_question_rules_out(question: str, sentence: str) -> str | None:
    """The term a sentence's population has that the question rules out ("adults who are overweight or obese" for a
    question on adults without obesity), or None."""
    ruled_out = negated_terms(question)
    if not ruled_out:
        return None
    for m in _AFFIRMED.finditer(sentence):
        phrase = re.split(r"\b(?:who|that|to|for|in|should|is|are)\b", m.group(1))[0]
        if _NEGATED_WORD.search(phrase):
            continue
        hit = set(content_terms(phrase)) & ruled_out
        if hit:
            return sorted(hit)[0]
    return None
