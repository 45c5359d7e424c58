"""Numbers, units and doses: parse them out of text and say which of a claim's the passage does not state.

Pure functions. A quantity is a number with its canonical unit and its denominators (``per``):
``10 mg/kg/day`` is ``Quantity("10", "mg", ("kg", "day"))``. Spellings of one unit are one unit
(``µg = μg = ug = mcg = microgram``; ``mL = ml = milliliter = cc``; ``units = IU``; ``% = percent``;
``daily = a day = per day = /day``), different units are different (``mg ≠ mcg``, ``mL ≠ L``,
``per dose ≠ per day``). A range or list (``3 to 6 mg/kg``, ``50 and 75 years``) gives every number the
unit written after the last one. Number words are read as numbers only in front of a unit
(``five days`` = ``5 days``).

The rule that matters clinically lives in :func:`missing_numbers`: every number of a claim must be stated in
the passage with the same unit and the same denominators; a time denominator (per day, per dose, twice
daily) the claim leaves out is not a conflict, a body-size denominator (per kg, per m2) is.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_UNIT_ALIASES: dict[str, str] = {}
for canonical, spellings in {
    "mg": "mg milligram milligrams mgs",
    "g": "g gm gms gram grams",
    "mcg": "mcg ug microgram micrograms mcgs",
    "ng": "ng nanogram nanograms",
    "kg": "kg kgs kilogram kilograms kilo kilos",
    "lb": "lb lbs pound pounds",
    "oz": "oz ounce ounces",
    "ml": "ml mls milliliter milliliters millilitre millilitres cc cc's",
    "l": "l liter liters litre litres",
    "dl": "dl deciliter deciliters decilitre decilitres",
    "unit": "unit units u iu ius",
    "meq": "meq",
    "mmol": "mmol millimole millimoles",
    "umol": "umol micromole micromoles",
    "mol": "mol mole moles",
    "mmhg": "mmhg",
    "mme": "mme mmes",
    "%": "% percent pct",
    "cm": "cm centimeter centimeters centimetre centimetres",
    "mm": "mm millimeter millimeters millimetre millimetres",
    "m": "m meter meters metre metres",
    "in": "inch inches",
    "ft": "ft feet foot",
    "kcal": "kcal calorie calories cal",
    "second": "s sec secs second seconds",
    "minute": "min mins minute minutes",
    "hour": "h hr hrs hour hours",
    "day": "d day days",
    "week": "wk wks week weeks",
    "month": "mo mos month months",
    "year": "y yr yrs year years",
    "time": "time times",
    "dose": "dose doses",
    "tablet": "tablet tablets tab tabs",
    "capsule": "capsule capsules",
    "puff": "puff puffs",
    "drop": "drop drops",
    "drink": "drink drinks",
    "serving": "serving servings",
    "cigarette": "cigarette cigarettes",
    "pack-year": "pack-year pack-years",
    "breath": "breath breaths",
    "beat": "beat beats bpm",
    "cell": "cell cells",
    "session": "session sessions",
    "visit": "visit visits",
}.items():
    for spelling in spellings.split():
        _UNIT_ALIASES[spelling] = canonical

# denominators: body size must always agree, time or dose denominators must agree when the claim states one
_BODY_SIZE = frozenset({"kg", "m2", "lb"})
_PER_ALIASES: dict[str, str] = {
    "kg": "kg", "kilogram": "kg", "lb": "lb", "m2": "m2", "m^2": "m2", "m²": "m2",
    "day": "day", "d": "day", "24h": "day", "24 h": "day", "24 hours": "day", "24-hour period": "day",
    "dose": "dose", "hour": "hour", "h": "hour", "hr": "hour", "week": "week", "wk": "week", "month": "month",
    "year": "year", "min": "minute", "minute": "minute", "l": "l", "dl": "dl", "ml": "ml", "ul": "ul",
    "breath": "breath", "meal": "meal", "serving": "serving",
}
_FREQUENCY = [  # frequency phrases after a quantity, longest first
    (r"(?:once\s+)?(?:daily|a\s+day|each\s+day|every\s+day|per\s+day|/\s*day|/\s*d\b|qd\b|q\.d\.|once\s+a\s+day)", "day"),
    (r"(?:twice\s+(?:daily|a\s+day)|two\s+times\s+(?:daily|a\s+day)|b\.?i\.?d\.?\b)", "bid"),
    (r"(?:three\s+times\s+(?:daily|a\s+day)|t\.?i\.?d\.?\b)", "tid"),
    (r"(?:four\s+times\s+(?:daily|a\s+day)|q\.?i\.?d\.?\b)", "qid"),
    (r"(?:weekly|a\s+week|each\s+week|every\s+week|per\s+week|/\s*week|/\s*wk)", "week"),
    (r"(?:monthly|a\s+month|per\s+month|/\s*month)", "month"),
    (r"(?:hourly|an\s+hour|per\s+hour|/\s*h(?:ou)?r?\b)", "hour"),
    (r"(?:per\s+dose|a\s+dose|each\s+dose|/\s*dose)", "dose"),
]
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d*\.\d+|\d+"
_CONNECTOR = r"\s*(?:-|to|through|and|or|,|/)\s*"
_UNIT_TOKEN = r"(?:%|pack-year|[a-z]+(?:\^?2)?)"
_QUANTITY = re.compile(
    rf"(?<![a-z0-9.])(?P<nums>(?:{_NUM})(?:{_CONNECTOR}(?:{_NUM}))*)(?![0-9])(?:\s*-?\s*(?P<unit>{_UNIT_TOKEN}))?",
)
_PER_CHAIN = re.compile(r"^(?:\s*(?:/|\s+per\s+|\s+a\s+|\s+each\s+)\s*(?P<per>24[- ]?h(?:ours?|rs?)?(?: period)?|[a-z]+\^?2?|m²))")


@dataclass(frozen=True)
class Quantity:
    value: str
    unit: str = ""
    per: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.value} {self.unit}{''.join('/' + p for p in self.per)}".strip()


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    text = text.replace("µ", "u").replace("μ", "u").replace("≥", ">=").replace("≤", "<=")
    text = re.sub(r"\[\s*\d+(?:\s*[,;\u2013-]\s*\d+)*\s*\]", " ", text)  # citation markers are not numbers
    text = re.sub(r"\bmm\s+hg\b", "mmhg", text)
    text = re.sub(r"\bper\s*cent\b", "percent", text)
    text = re.sub(r"\binternational\s+units?\b", "iu", text)
    text = re.sub(r"\bpack[- ]years?\b", "pack-year", text)
    return text


def _words_to_digits(text: str) -> str:
    """``five days`` -> ``5 days``; number words elsewhere (``one of``) stay words."""
    words = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
    pattern = re.compile(rf"\b(?P<w>{words})(?P<rest>(?:\s*(?:-|to|or|and)\s*(?:{words}|\d+))*\s+(?P<unit>[a-z%]+))")

    def replace(match: re.Match[str]) -> str:
        unit = match.group("unit")
        if unit not in _UNIT_ALIASES:
            return match.group(0)
        return re.sub(rf"\b(?:{words})\b", lambda m: str(_NUMBER_WORDS[m.group(0)]), match.group(0))

    return pattern.sub(replace, text)


def _canonical_number(raw: str) -> str:
    """``1,000`` -> ``1000``; ``0.50`` -> ``0.5``; ``.5`` -> ``0.5``; ``1.0`` -> ``1``; ``007`` -> ``7``."""
    raw = raw.replace(",", "")
    if "." in raw:
        whole, fraction = raw.split(".", 1)
        fraction = fraction.rstrip("0")
        whole = whole.lstrip("0") or "0"
        return f"{whole}.{fraction}" if fraction else whole
    return raw.lstrip("0") or "0"


def quantities(text: str) -> list[Quantity]:
    """Every number in ``text`` with its canonical unit and denominators, in order."""
    text = _words_to_digits(_normalise(text))
    found: list[Quantity] = []
    pos = 0
    while (match := _QUANTITY.search(text, pos)) is not None:
        pos = match.end()
        numbers = re.findall(_NUM, match.group("nums"))
        unit_raw = (match.group("unit") or "").strip("'-")
        unit = _UNIT_ALIASES.get(unit_raw, "")
        end = match.end("unit") if unit else match.end("nums")
        per: list[str] = []
        if unit:
            rest = text[end:]
            while True:
                chain = _PER_CHAIN.match(rest)
                if not chain:
                    break
                token = re.sub(r"\s+", " ", chain.group("per"))
                canonical = "day" if token.startswith("24") else (
                    _PER_ALIASES.get(token) or _PER_ALIASES.get(_UNIT_ALIASES.get(token, ""))
                )
                if canonical is None:
                    break
                per.append(canonical)
                rest = rest[chain.end() :]
                pos += chain.end()
            if unit not in {"day", "week", "month", "year", "hour", "minute", "second", "time"}:
                frequency = _frequency(rest)
                if frequency and frequency not in per:
                    per.append(frequency)
        found.extend(Quantity(_canonical_number(n), unit, tuple(per)) for n in numbers)
    return found


def _frequency(rest: str) -> str | None:
    rest = rest.lstrip(" ,")
    for pattern, name in _FREQUENCY:
        if re.match(pattern, rest):
            return name
    return None


def _per_compatible(claim: tuple[str, ...], passage: tuple[str, ...]) -> bool:
    if {p for p in claim if p in _BODY_SIZE} != {p for p in passage if p in _BODY_SIZE}:
        return False
    claim_time = tuple(p for p in claim if p not in _BODY_SIZE)
    passage_time = tuple(p for p in passage if p not in _BODY_SIZE)
    return not claim_time or claim_time == passage_time


def missing_numbers(claim: str, passage: str) -> list[str]:
    """The claim's quantities that the passage does not state (same number, unit and denominators).

    A number the claim gives without a unit must appear in the passage as a number (any unit); a number with a
    unit must appear with that unit. ``500 µg`` is missing from a passage that says ``500 mg``.
    """
    have = quantities(passage)
    values = {q.value for q in have}
    missing: list[str] = []
    for q in quantities(claim):
        if not q.unit:
            ok = q.value in values
        else:
            ok = any(h.value == q.value and h.unit == q.unit and _per_compatible(q.per, h.per) for h in have)
        if not ok and str(q) not in missing:
            missing.append(str(q))
    return missing
