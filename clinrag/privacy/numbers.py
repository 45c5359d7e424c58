"""Other identifying numbers and codes: long numbers and alphanumeric codes that are not amounts, clinical
codes or years."""

from __future__ import annotations

import re

from clinrag.privacy.dates import _YEAR
from clinrag.privacy.units import _FOLLOWED_BY_UNIT, _is_quantity

_LONG_NUMBER = re.compile(r"(?<![\w.,/-])\d(?:[\d-]*\d)?(?![\w,/]|\.\d)")
_CODE = re.compile(r"(?<![\w-])(?=[A-Za-z0-9-]*\d)(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*(?![\w-])")
_HEX = re.compile(r"\b[0-9a-f]{16,}\b", re.I)
_CLINICAL_CODE = re.compile(
    r"^(?:nct\d+|rs\d+|icd[-\d]*|cpt\d*|loinc[-\d]*|snomed\d*|atc\w*|cyp\w+|hla\w*|pmid\d*|isbn\d*|doi\w*|iso\d*|"
    r"covid-?19|sars-cov-?2|h\d+n\d+|[a-z]\d{2}(?:\.\d+)?|e\d{3,4}|ck-?mb|nt-probnp|pd-?l?1)$",
    re.I,
)


def _numbers(text: str, _case: bool):
    for m in _LONG_NUMBER.finditer(text):
        value = m.group()
        digits = sum(c.isdigit() for c in value)
        if digits < 7 or _is_quantity(value, text[m.end() : m.end() + 14]):
            continue
        groups = value.split("-")
        if len(groups) == 2 and all(re.fullmatch(_YEAR, g) for g in groups):
            continue  # '2019-2020'
        if len(groups) == 2 and all(len(g) <= 4 for g in groups) and _FOLLOWED_BY_UNIT.match(text[m.end() : m.end() + 14]):
            continue
        yield m.start(), m.end(), "ID", 1
    for m in _CODE.finditer(text):
        value = m.group()
        digits = sum(c.isdigit() for c in value)
        letters = sum(c.isalpha() for c in value)
        if digits < 6 or letters > 2 or _CLINICAL_CODE.match(value) or _is_quantity(value, text[m.end() : m.end() + 14]):
            continue
        yield m.start(), m.end(), "ID", 1
    for m in _HEX.finditer(text):
        yield m.start(), m.end(), "ID", 1
