"""Whether a sentence's dose range holds the dose a question names (pure).

"I take 400 IU of vitamin D and 500 mg of calcium" is answered by the recommendation on "400 IU or less of vitamin D
and 1,000 mg or less of calcium", not by the one on "doses greater than 400 IU ... and greater than 1,000 mg". A
sentence's bounds are read from the words around each dose ("greater than", "more than", "up to", "no more than",
"at least", "N or less", "N or more", "<=", ">"); a question's doses are the plain amounts it states. For every unit
both name, a question dose inside the sentence's range fits (+1) and one outside it does not (-1).
"""

from __future__ import annotations

import re
import unicodedata

INF = float("inf")

_UNITS = {"iu": "iu", "mg": "mg", "mcg": "mcg", "ug": "mcg", "g": "g", "ml": "ml", "units": "iu", "unit": "iu"}
_AMOUNT = re.compile(
    r"(?P<pre>greater than|more than|higher than|above|over|exceeding|in excess of|less than|fewer than|lower than|below|"
    r"under|up to|no more than|not more than|at most|no less than|at least|>=|<=|>|<)?\s*"
    r"(?P<n>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(?P<unit>iu|mg|mcg|ug|g|ml|units?)\b"
    r"(?P<post>\s+or\s+(?:less|fewer|lower|below|more|greater|higher|above))?",
)
_LOWER = ("greater than", "more than", "higher than", "above", "over", "exceeding", "in excess of", ">")  # exclusive
_LOWER_INCLUSIVE = ("at least", "no less than", ">=")
_UPPER = ("less than", "fewer than", "lower than", "below", "under", "<")
_UPPER_INCLUSIVE = ("up to", "no more than", "not more than", "at most", "<=")


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().replace("µ", "u").replace("μ", "u")
    text = text.replace("≥", ">=").replace("≤", "<=")
    return re.sub(r"\binternational\s+units?\b", "iu", text)


def _value(raw: str) -> float:
    return float(raw.replace(",", ""))


def dose_bounds(sentence: str) -> dict[str, tuple[float, float, bool, bool]]:
    """Each unit's range in the sentence as (low, high, low inclusive, high inclusive), only where the sentence bounds
    the dose ("greater than 400 IU", "1,000 mg or less"); a plain amount is no range."""
    bounds: dict[str, tuple[float, float, bool, bool]] = {}
    for m in _AMOUNT.finditer(_normal(sentence)):
        unit, n = _UNITS[m.group("unit")], _value(m.group("n"))
        pre, post = (m.group("pre") or "").strip(), (m.group("post") or "").split()
        tail = post[-1] if post else ""
        if pre in _LOWER:
            bounds[unit] = (n, INF, False, False)
        elif pre in _LOWER_INCLUSIVE or tail in ("more", "greater", "higher", "above"):
            bounds[unit] = (n, INF, True, False)
        elif pre in _UPPER:
            bounds[unit] = (0.0, n, True, False)
        elif pre in _UPPER_INCLUSIVE or tail in ("less", "fewer", "lower", "below"):
            bounds[unit] = (0.0, n, True, True)
    return bounds


def asked_doses(question: str) -> dict[str, float]:
    """The plain doses a question states, by unit ("a 500 mg calcium tablet" -> {"mg": 500})."""
    found: dict[str, float] = {}
    for m in _AMOUNT.finditer(_normal(question)):
        if not m.group("pre") and not m.group("post"):
            found.setdefault(_UNITS[m.group("unit")], _value(m.group("n")))
    return found


def dose_fit(question: str, sentence: str) -> int:
    """+1 when every dose the question names lies inside the sentence's range for its unit, -1 when one lies outside,
    0 when they share no bounded unit."""
    doses, bounds = asked_doses(question), dose_bounds(sentence)
    shared = [u for u in doses if u in bounds]
    if not shared:
        return 0
    for unit in shared:
        low, high, low_in, high_in = bounds[unit]
        x = doses[unit]
        inside = (x > low or (low_in and x == low)) and (x < high or (high_in and x == high))
        if not inside:
            return -1
    return 1
