"""Who a question or a guideline sentence is about: ages, sex, pregnancy, life stage and smoking (pure functions).

A question's population must be met by the sentence chosen to answer it: "adults aged 76 to 85" is not answered by
the sentence on "adults 86 years or older", "women 75 or older" not by the one on "women aged 50 to 74". Both sides
are read into the same ``Population`` record and compared with ``population_fit``: a negative fit is a mismatch, zero
says nothing either way (the sentence names no population), a positive fit means the sentence speaks to the
question's group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

INF = 200.0

_NUM_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
              "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
              "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20}
_N = r"(\d{1,3})"
_YEARS = r"(?:\s*-?\s*(?:years?|yrs?|y)(?:[\s-]+old)?|\s*yo\b|\s*y/o\b)"
_UNIT_AFTER = re.compile(r"^\s*(?:-\s*)?(?:%|mg|g\b|kg|mcg|µg|ml|mmhg|mm|cm|units?|iu|weeks?|wks?|days?|months?|mos?\b|"
                         r"hours?|hrs?|minutes?|pack|times|servings?|ounces?|oz|lbs?|pounds?|bpm|mmol|meq)", re.I)

# ranges are [low, high], both inclusive, in years
_RANGE_PATTERNS = [
    # "aged 50 to 75 years", "ages 6 to 24 months" (months handled below), "50-74 years", "between 40 and 49 years"
    (re.compile(rf"\b(?:aged?s?|between)?\s*{_N}\s*(?:to|through|-|–|and)\s*{_N}{_YEARS}", re.I), "range"),
    (re.compile(rf"\baged?s?\s+{_N}\s*(?:to|through|-|–)\s*{_N}\b(?!\s*(?:%|mg|kg|weeks?|months?|days?))", re.I), "range"),
    (re.compile(rf"\b{_N}{_YEARS}\s*(?:or|and)\s*(?:older|over|above)\b", re.I), "min"),
    (re.compile(rf"\b{_N}{_YEARS}\s*(?:or|and)\s*(?:younger|under|below)\b", re.I), "max"),
    (re.compile(rf"\b(?:aged?|adults?|men|women|persons|people|patients|children|adolescents)\s+{_N}\s*(?:years?\s*)?(?:or|and)\s*(?:older|over|above)\b", re.I), "min"),
    (re.compile(rf"\b(?:older th[ae]n|over(?: the age of)?|above(?: the age of)?|at least)\s+(?:age\s+)?{_N}{_YEARS}?", re.I), "gt"),
    (re.compile(rf"\b(?:younger th[ae]n|under(?: the age of)?|below(?: the age of)?|less than)\s+(?:age\s+)?{_N}{_YEARS}", re.I), "lt"),
    (re.compile(rf"\b(?:younger th[ae]n|under(?: the age of)?)\s+(?:age\s+)?{_N}\b(?!\s*(?:%|mg|kg|weeks?|months?|days?|mm|cm|g\b))", re.I), "lt"),
    (re.compile(rf"\b(?:beginning|starting|start) at (?:age\s+)?{_N}{_YEARS}?", re.I), "min"),
    (re.compile(rf"\bage\s+{_N}\s*(?:years?\s*)?(?:or|and)\s*(?:older|over|above)\b", re.I), "min"),
]
_MONTH_RANGE = re.compile(rf"\b(?:aged?s?\s+)?{_N}\s*(?:to|-|–|through)\s*{_N}\s*months?\b(?!\s+of\s+(?:age\s+)?(?:pregnan|gestation))", re.I)

# a single age in a question: "a 70-year-old", "my dad is 70", "I'm 47", "aged 70", "70 yo", "age 62"
_SINGLE_AGE = [
    re.compile(rf"\b{_N}\s*-?\s*(?:years?|yrs?|y)[\s-]*old\b", re.I),
    re.compile(rf"\b{_N}\s*(?:yo|y/o|y\.o\.)\b", re.I),
    re.compile(rf"\b(?:aged?|at age)\s+{_N}\b(?!\s*(?:to|-|–|through|or|and)\s*\d)", re.I),
    re.compile(r"\b(?:i'?m|i am|he'?s|she'?s|he is|she is|is|turned|turning|just turned|will be)\s+(?:now\s+|almost\s+|nearly\s+|about\s+)?"
               rf"{_N}\b(?!\s*(?:%|mg|kg|weeks?|wks?|months?|days?|lbs?|pounds?|kilos?|times|units?|cm|mm|minutes?|hours?|percent|/))", re.I),
    re.compile(rf"\b{_N}\s*(?:m|f|M|F)\b(?=[,\s])"),
    re.compile(rf"\b(?:my|our|a|an)\s+{_N}-year-old\b", re.I),
]
_MONTHS_OLD = re.compile(rf"\b{_N}\s*-?\s*months?[\s-]*old\b", re.I)

_FEMALE = re.compile(r"\b(?:women|woman|female|females|girls?|mother|mom|mum|mommy|grandma|grandmother|wife|daughter|"
                     r"sister|aunt|she|her|postmenopausal|menopause|pregnan\w*|\d+\s*f\b|yo f\b|y/o f\b)\b", re.I)
_MALE = re.compile(r"\b(?:men|man|male|males|boys?|father|dad|daddy|grandpa|grandfather|husband|son|brother|uncle|"
                   r"he|him|his|\d+\s*m\b|yo m\b|y/o m\b)\b", re.I)
_PREGNANT = re.compile(r"\b(?:pregnan\w*|gestation\w*|trimester|expecting a baby|prenatal|antenatal|midwife|pre-?eclampsia|obstetric\w*)\b", re.I)
_NOT_PREGNANT = re.compile(r"\b(?:non-?pregnant|not pregnant)\b", re.I)
_POSTPARTUM = re.compile(r"\b(?:postpartum|post-partum|breastfeeding|breast-feeding|lactating)\b", re.I)
_CHILD = re.compile(r"\b(?:child(?:ren)?|kids?|pediatric|paediatric|infants?|babies|baby|toddlers?|newborns?|son|daughter|"
                    r"preschool\w*|school-?aged?)\b", re.I)
_ADOLESCENT = re.compile(r"\b(?:adolescents?|teens?|teenagers?|teenage|youth)\b", re.I)
_ADULT = re.compile(r"\badults?\b", re.I)
_NEVER_SMOKED = re.compile(r"\b(?:never smoked|never-smokers?|never smokers?|nonsmokers?|non-smokers?|has never smoked|have never smoked|never been a smoker)\b", re.I)
_EVER_SMOKED = re.compile(r"\b(?:ever smoked|have smoked|has smoked|smoked for|smoked \w+ (?:a|per) day|former smokers?|current(?:ly)? smok\w*|"
                          r"smokers?|pack[- ]years?|packs? a day|quit smoking|used to smoke|smoke[sd]?|smoking history)\b", re.I)


@dataclass(frozen=True)
class Population:
    """Who a text is about. ``age`` is an inclusive range in years, or None when no age is stated."""

    age: tuple[float, float] | None = None
    sex: str | None = None  # "female" | "male"
    pregnant: bool | None = None  # True: pregnant; False: explicitly nonpregnant
    postpartum: bool = False
    stage: str | None = None  # "child" | "adolescent" | "adult" (when no age says it)
    smoking: str | None = None  # "ever" | "never"
    text: str = ""  # the words that stated it
    gestation: tuple[float, float] | None = None  # weeks of pregnancy, an inclusive range

    @property
    def empty(self) -> bool:
        return (self.age is None and self.sex is None and self.pregnant is None and self.stage is None
                and self.smoking is None and self.gestation is None)

    def describe(self) -> str:
        """A short name for the group: "adults 50 to 74 years", "women 75 years or older"."""
        if self.text:
            return self.text
        parts = []
        if self.age:
            parts.append(age_text(self.age))
        return " ".join(parts) or "the population stated"


def age_text(age: tuple[float, float]) -> str:
    lo, hi = age
    if hi >= INF:
        return f"{_num(lo)} years or older"
    if lo <= 0:
        return f"younger than {_num(hi + 1)} years" if float(hi).is_integer() else f"under {_num(hi)} years"
    return f"{_num(lo)} to {_num(hi)} years"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _unit_follows(text: str, end: int) -> bool:
    return bool(_UNIT_AFTER.match(text[end:end + 12]))


def sentence_ages(text: str) -> list[tuple[tuple[float, float], tuple[int, int]]]:
    """Age ranges a guideline sentence states, with their spans."""
    found: list[tuple[tuple[float, float], tuple[int, int]]] = []
    taken: list[tuple[int, int]] = []

    def free(span: tuple[int, int]) -> bool:
        return not any(a < span[1] and span[0] < b for a, b in taken)

    for m in _MONTH_RANGE.finditer(text):
        lo, hi = int(m.group(1)), int(m.group(2))
        if lo < hi <= 60:
            found.append(((lo / 12.0, hi / 12.0), m.span()))
            taken.append(m.span())
    for pattern, kind in _RANGE_PATTERNS:
        for m in pattern.finditer(text):
            if not free(m.span()):
                continue
            nums = [int(g) for g in m.groups() if g is not None]
            if kind == "range":
                lo, hi = nums[0], nums[1]
                if not (0 <= lo < hi <= 120):
                    continue
                rng = (float(lo), float(hi))
            elif kind == "min":
                rng = (float(nums[0]), INF)
            elif kind == "max":
                rng = (0.0, float(nums[0]))
            elif kind == "gt":
                if _unit_follows(text, m.end()) or nums[0] > 120:
                    continue
                rng = (float(nums[0]) + (0 if "least" in m.group(0).lower() else 1), INF)
            else:  # lt
                if _unit_follows(text, m.end()) or nums[0] > 120:
                    continue
                rng = (0.0, float(nums[0]) - 1 if float(nums[0]).is_integer() else float(nums[0]))
            found.append((rng, m.span()))
            taken.append(m.span())
    return sorted(found, key=lambda t: t[1][0])


def question_age(text: str) -> tuple[float, float] | None:
    """The age a question asks about: a range when it names one ("adults 76 to 85"), else a single age as [a, a]."""
    ranges = sentence_ages(text)
    if ranges:
        return ranges[0][0]
    m = _MONTHS_OLD.search(text)
    if m:
        a = int(m.group(1)) / 12.0
        return (a, a)
    for pattern in _SINGLE_AGE:
        for m in pattern.finditer(text):
            raw = m.group(1)
            a = int(raw)
            if 0 < a <= 110 and not _unit_follows(text, m.end()):
                return (float(a), float(a))
    m = re.search(r"\b(" + "|".join(_NUM_WORDS) + r")[\s-]+years?[\s-]+old\b", text, re.I)
    if m:
        a = float(_NUM_WORDS[m.group(1).lower()])
        return (a, a)
    if re.search(r"\b(?:newborn|infant|baby|babies)\b", text, re.I):
        return (0.0, 1.0)
    return None


_WEEKS = r"(?:weeks?|wks?)"
_GESTATION_OF = r"(?:\s+(?:of\s+)?(?:gestation|pregnancy|gestational age))"
_QUESTION_WEEKS = [
    re.compile(rf"\b(\d{{1,2}})\s*-?\s*{_WEEKS}\s*(?:pregnant|along|into (?:my|her|the) pregnancy|{_GESTATION_OF})", re.I),
    re.compile(rf"\b(?:pregnant|pregnancy)\b[^.?!]{{0,40}}?\bat\s+(\d{{1,2}})\s*{_WEEKS}\b", re.I),
]
_TRIMESTER = re.compile(r"\b(first|1st|second|2nd|third|3rd)\s+trimester\b", re.I)
_TRIMESTER_WEEKS = {"first": (0.0, 13.0), "1st": (0.0, 13.0), "second": (14.0, 27.0), "2nd": (14.0, 27.0),
                    "third": (28.0, 42.0), "3rd": (28.0, 42.0)}
_SENTENCE_WEEKS = [
    (re.compile(rf"\bbefore\s+(\d{{1,2}})\s*{_WEEKS}", re.I), "before"),
    (re.compile(rf"\b(?:at|from)\s+(\d{{1,2}})\s*{_WEEKS}{_GESTATION_OF}?\s+or\s+(?:after|later|more)", re.I), "after"),
    (re.compile(rf"\b(?:after|beyond)\s+(\d{{1,2}})\s*{_WEEKS}", re.I), "after"),
    (re.compile(rf"\b(?:between\s+)?(\d{{1,2}})\s*(?:and|to|-|–)\s*(\d{{1,2}})\s*{_WEEKS}{_GESTATION_OF}", re.I), "range"),
]


def gestation_weeks(text: str, *, question: bool = False) -> tuple[float, float] | None:
    """The weeks of pregnancy a text speaks of: "I'm 12 weeks pregnant" -> (12, 12); "before 24 weeks of gestation"
    -> (0, 23.9); "at 24 weeks of gestation or after" -> (24, 42). Only in a text about pregnancy."""
    if not _PREGNANT.search(text):
        return None
    if question:
        for pattern, kind in _SENTENCE_WEEKS[:3]:  # "before 24 weeks of gestation" is a range in a question too
            m = pattern.search(text)
            if m and 0 < int(m.group(1)) <= 42:
                return (0.0, float(m.group(1)) - 0.1) if kind == "before" else (float(m.group(1)), 42.0)
        for pattern in _QUESTION_WEEKS:
            m = pattern.search(text)
            if m and 0 < int(m.group(1)) <= 42:
                w = float(m.group(1))
                return (w, w)
        m = _TRIMESTER.search(text)
        return _TRIMESTER_WEEKS[m.group(1).lower()] if m else None
    for pattern, kind in _SENTENCE_WEEKS:
        m = pattern.search(text)
        if not m:
            continue
        if kind == "before":
            return (0.0, float(m.group(1)) - 0.1)
        if kind == "after":
            return (float(m.group(1)), 42.0)
        lo, hi = float(m.group(1)), float(m.group(2))
        if lo < hi <= 42:
            return (lo, hi)
    return None


def read_population(text: str, *, question: bool = False) -> Population:
    """The population a sentence (or, with ``question=True``, a question) speaks of."""
    if question:
        age = question_age(text)
    else:
        ages = sentence_ages(text)
        age = ages[0][0] if ages else None
    female, male = bool(_FEMALE.search(text)), bool(_MALE.search(text))
    if not question:  # in guideline text "he/his/her" are not populations; only group nouns count
        female = bool(re.search(r"\b(?:women|woman|female|females|girls?|postmenopausal|pregnan\w*)\b", text, re.I))
        male = bool(re.search(r"\b(?:men|man|male|males|boys?)\b", text, re.I))
        if re.search(r"\b(?:men and women|women and men|males and females|boys and girls)\b", text, re.I):
            female = male = False
    sex = "female" if female and not male else "male" if male and not female else None
    if question and female and male:  # "my son ... she said" is rare; a pronoun loses to a noun
        noun_f = re.search(r"\b(?:woman|women|mother|mom|mum|grandma|grandmother|wife|daughter|sister|girl|female)\b", text, re.I)
        noun_m = re.search(r"\b(?:man|men|father|dad|grandpa|grandfather|husband|son|brother|boy|male)\b", text, re.I)
        sex = "female" if noun_f and not noun_m else "male" if noun_m and not noun_f else None
    pregnant: bool | None = None
    if _NOT_PREGNANT.search(text):
        pregnant = False
    elif _PREGNANT.search(text):
        pregnant = True
        sex = sex or "female"
    stage = None
    if _ADOLESCENT.search(text):
        stage = "adolescent"
    elif _CHILD.search(text) and not (question and re.search(r"\b(?:my|our) (?:son|daughter)\b", text, re.I) and age and age[0] >= 18):
        stage = "child"
    elif _ADULT.search(text):
        stage = "adult"
    smoking = "never" if _NEVER_SMOKED.search(text) else "ever" if _EVER_SMOKED.search(text) else None
    words = _population_words(text) if not question else ""
    return Population(age, sex, pregnant, bool(_POSTPARTUM.search(text)), stage, smoking, words,
                      gestation_weeks(text, question=question))


_POP_PHRASE = re.compile(
    r"\b(?:in|for|among|to)\s+((?:all\s+|asymptomatic\s+|nonpregnant\s+|pregnant\s+|sexually active\s+|older\s+|young\s+)*"
    r"(?:adults?|men|women|persons|people|patients|children|adolescents|infants|individuals|youth|clients|girls|boys|"
    r"smokers|newborns)\b[^.;:]{0,90}?)(?=(?:\s+(?:who|with|by|using|in|at|for|because|unless|rather|and have|and are)\b)|[.;:,(]|$)",
    re.I,
)


def _population_words(text: str) -> str:
    m = _POP_PHRASE.search(text)
    return " ".join(m.group(1).split()) if m else ""


def _age_fit(q: tuple[float, float], s: tuple[float, float]) -> float:
    lo, hi = max(q[0], s[0]), min(q[1], s[1])
    if lo > hi:
        return -1.0  # disjoint: a different age group
    if s[0] <= q[0] and q[1] <= s[1]:
        return 1.0  # the question's ages lie inside the sentence's
    return -0.5  # overlapping only in part: the sentence speaks of a neighbouring band too


def population_fit(question: Population, sentence: Population) -> float:
    """How well ``sentence``'s population meets ``question``'s: < 0 a mismatch (the sentence is about another group),
    0 neutral, > 0 a match. Only attributes the question states are checked."""
    score = 0.0
    mismatch = False
    if question.age is not None and sentence.age is not None:
        fit = _age_fit(question.age, sentence.age)
        if fit <= -1.0:
            mismatch = True
        score += fit
    elif question.age is not None and sentence.stage is not None:
        q_stage = "child" if question.age[1] < 12 else "adolescent" if question.age[1] < 18 else "adult"
        if sentence.stage == q_stage or (sentence.stage == "child" and q_stage == "adolescent"):
            score += 0.3
        elif sentence.stage == "adult" and q_stage != "adult" or q_stage == "adult" and sentence.stage in ("child", "adolescent"):
            mismatch = True
    if question.sex and sentence.sex:
        if question.sex == sentence.sex:
            score += 0.5
        else:
            mismatch = True
    if question.pregnant is True:
        if sentence.pregnant is True:
            score += 1.0
        elif sentence.pregnant is False:
            mismatch = True
    elif sentence.pregnant is True and question.pregnant is None:
        score -= 0.3  # a sentence on pregnancy answers a question that does not mention it only in part
    if question.gestation is not None and sentence.gestation is not None:
        fit = _age_fit(question.gestation, sentence.gestation)  # the same interval test, in weeks
        if fit <= -1.0:
            mismatch = True
        score += fit
    if question.smoking and sentence.smoking:
        if question.smoking == sentence.smoking:
            score += 0.7
        else:
            mismatch = True
    if question.stage and sentence.stage and question.age is None:
        if question.stage == sentence.stage:
            score += 0.3
        elif {question.stage, sentence.stage} == {"adult", "child"}:
            mismatch = True
    return -1.0 if mismatch else score
