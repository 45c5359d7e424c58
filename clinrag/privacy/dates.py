"""Dates directly related to a person (birth, admission; not a year or a month on its own) and ages over 89."""

from __future__ import annotations

import re
from datetime import date

from clinrag.privacy.units import _FOLLOWED_BY_UNIT, _UNIT

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
          r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|20\d\d)"
_DATE_RES = [
    re.compile(rf"\b{_MONTH}\s+{_DAY}(?:\s*[-–]\s*{_DAY})?(?:,?\s+{_YEAR}|,?\s+'\d\d)?(?![\d:])", re.I),  # March 3(, 2021)
    re.compile(rf"\b(?:the\s+)?{_DAY}(?:\s+of)?\s+{_MONTH}(?:,?\s+{_YEAR})?\b", re.I),  # 3 March 2021, 3rd of March
    re.compile(rf"\b{_MONTH},?\s+{_YEAR}\b", re.I),  # March 2021
    re.compile(rf"\b{_YEAR}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])\b"),  # 2021-03-04
    re.compile(r"(?<![\d/.-])(?:0?[1-9]|[12]\d|3[01])/(?:0?[1-9]|[12]\d|3[01])/(?:\d{4}|\d{2})(?![\d/])"),  # 3/4/21
    re.compile(r"(?<![\d/.-])(?:0?[1-9]|[12]\d|3[01])([.-])(?:0?[1-9]|[12]\d|3[01])\1(?:19|20)\d\d(?![\d.-]*\d)"),  # 03-04-2021
]
_DATE_CUE = (r"(?:on|since|from|until|till|dated|born|dob|d\.o\.b\.?|date\s+of\s+birth|birthday|admitted|admission|"
             r"discharged|discharge|seen|visit|appointment|appt|surgery|operated|procedure|delivered|died|death|"
             r"last|next|started|stopped|due|scheduled|injured|vaccinated)")
_SHORT_DATE = re.compile(
    rf"\b{_DATE_CUE}\b[:\s]*(?:(?:on|in|the|was|is)\s+)?(?P<d>(?:0?[1-9]|1[0-2])[/-](?:0?[1-9]|[12]\d|3[01]))(?![\d/.-])"
    r"(?!\s+of\b)",
    re.I,
)
_MONTH_ONLY = re.compile(rf"\b(?:born|dob|birthday|birth)\b[:\s]*(?:(?:in|on|was|is)\s+)*(?P<d>{_MONTH})(?!\s*\d)", re.I)
_AMBIGUOUS_MONTH = re.compile(r"^(?:may|mar|march|jan|jun|dec|sep|oct|nov|aug|apr|feb|jul)\.?$", re.I)

_AGE_NUMBER = r"(?:9\d|1[0-2]\d)"
_AGE_WORD = (r"(?:ninety(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?|one\s+hundred(?:\s+and\s+\w+)?|"
             r"a\s+hundred|hundred)")
_AGE_RES = [
    re.compile(rf"\b(?:{_AGE_NUMBER}|{_AGE_WORD})(?:\s*|-)(?:years?|yrs?|y)(?:\s*|-)(?:old|of\s+age)\b", re.I),
    re.compile(rf"\b{_AGE_NUMBER}\s*(?:yo|y/o|y\.o\.?|yr\.?\s*old|yrs?)\b", re.I),
    re.compile(rf"\b(?:aged?|age:|age\s+is|age\s+of|turned|turning|who\s+is)\s*{_AGE_NUMBER}(?!\s*(?:%|{_UNIT}))\b", re.I),
    re.compile(rf"\b{_AGE_NUMBER}(?:st|nd|rd|th)\s+birthday\b", re.I),
    re.compile(rf"\b(?:i\s+am|i'm|im|he\s+is|she\s+is|he's|she's|they\s+are|is\s+now)\s+{_AGE_NUMBER}\b(?!\s*(?:%|{_UNIT}|/))", re.I),
    re.compile(rf"\b{_AGE_NUMBER}\s*(?:-|\s)?(?:year|yr)(?:s)?(?:\s*|-)old\b", re.I),
]


_TRAILING_YEAR = re.compile(r"(?:,?\s+|[-/.])(\d{4})$")
_LEADING_YEAR = re.compile(r"^(\d{4})[-/.]")
_BIRTH_YEAR = re.compile(r"\b(?:born(?:\s+in)?|dob|d\.o\.b\.?|date\s+of\s+birth|year\s+of\s+birth|yob)\s*:?\s*(?P<y>1[89]\d\d)\b", re.I)


def _old_year(year: int) -> bool:
    """A year of birth or event that shows an age over 89 (Safe Harbor: such years are redacted too)."""
    return year <= date.today().year - 90


def _without_year(start: int, end: int, value: str) -> tuple[int, int]:
    """Safe Harbor keeps the year: '[DATE] 2021' rather than '[DATE]', unless the year shows an age over 89."""
    trailing = _TRAILING_YEAR.search(value)
    if trailing and not _old_year(int(trailing.group(1))):
        return start, start + trailing.start()
    leading = _LEADING_YEAR.match(value)
    if leading and not _old_year(int(leading.group(1))):
        return start + leading.end(), end
    return start, end


def _dates(text: str, _case: bool):
    for m in _BIRTH_YEAR.finditer(text):
        if _old_year(int(m.group("y"))):
            yield m.start("y"), m.end("y"), "AGE", 5
    for pattern in _DATE_RES:
        for m in pattern.finditer(text):
            value = m.group()
            month = re.match(r"[A-Za-z]+\.?", value.replace("the ", "", 1))
            after = text[m.end() : m.end() + 14]
            # 'may 2 tablets', 'dec 5 mg': a modal verb or an abbreviation before a dose, not a date
            if _FOLLOWED_BY_UNIT.match(after):
                continue
            if month and _AMBIGUOUS_MONTH.match(month.group()) and not re.search(r"\d", value):
                continue
            start, end = _without_year(m.start(), m.end(), value)
            yield start, end, "DATE", 5
    for m in _SHORT_DATE.finditer(text):
        if _FOLLOWED_BY_UNIT.match(text[m.end("d") : m.end("d") + 14]):
            continue
        yield m.start("d"), m.end("d"), "DATE", 5
    for m in _MONTH_ONLY.finditer(text):
        yield m.start("d"), m.end("d"), "DATE", 5
    for pattern in _AGE_RES:
        for m in pattern.finditer(text):
            number = re.search(r"\d+", m.group())
            if number and int(number.group()) <= 89:
                continue
            yield m.start(), m.end(), "AGE", 5
