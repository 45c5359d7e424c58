"""Units of clinical amounts: a number followed by one is a dose or a measurement, never an identifier."""

from __future__ import annotations

import re

_UNIT = (
    r"(?:mg|mcg|µg|ug|ng|g|gm|gram|grams|kg|lb|lbs|ml|mL|l|dl|dL|iu|IU|units?|u|meq|mEq|mmol|mol|mg/dl|mg/kg|"
    r"mmhg|mm\s?hg|cm|mm|m|%|percent|bpm|hours?|hrs?|h|days?|d|weeks?|wks?|months?|mos?|years?|yrs?|min|mins|minutes?|"
    r"tabs?|tablets?|caps?|capsules?|puffs?|drops?|sprays?|doses?|times|x|cells|copies|beats|breaths)\b"
)
_QUANTITY = re.compile(rf"^\d[\d,.]*\s*{_UNIT}", re.I)
_FOLLOWED_BY_UNIT = re.compile(rf"^\s*(?:-\s*\d[\d,.]*\s*)?{_UNIT}", re.I)


def _is_quantity(value: str, after: str) -> bool:
    """'50000IU', '500 mg', '20 tablets': a clinical amount, never an identifier."""
    return bool(_QUANTITY.match(value)) or (value.replace(",", "").replace(".", "").isdigit() and bool(_FOLLOWED_BY_UNIT.match(after)))
