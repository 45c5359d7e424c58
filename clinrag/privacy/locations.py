"""Places smaller than a state: street addresses, PO boxes, ZIP codes (also bare), UK postcodes, cities and
counties in context."""

from __future__ import annotations

import re
from functools import lru_cache

from clinrag.privacy.lexicon import CITIES, US_STATES, _CITY_WORDLIKE, _EPONYM_AFTER, _NOT_NAME, _STATE_CODES
from clinrag.privacy.units import _FOLLOWED_BY_UNIT, _UNIT

_STREET_SUFFIX = (r"(?:street|st|avenue|ave|av|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|"
                  r"terrace|ter|circle|cir|highway|hwy|parkway|pkwy|square|sq|trail|trl|crescent|cres|close|row|"
                  r"alley|route|rte|pike|plaza|loop|walk|grove|gardens|mews|hill|heights|estate)")
_UNIT_PART = r"(?:,?\s*(?:apt|apartment|suite|ste|unit|flat|room|rm|floor|fl|#)\.?\s*#?\s*[A-Za-z0-9-]+)?"
_ADDRESS_WORD = r"(?:[NSEW]\.?\s+)?[A-Za-z][A-Za-z'.-]*"
_STREET = re.compile(
    rf"\b\d{{1,6}}[A-Za-z]?(?:-\d{{1,4}})?\s+(?P<words>(?:{_ADDRESS_WORD}\s+){{1,3}}){_STREET_SUFFIX}\b\.?{_UNIT_PART}",
    re.I,
)
_ORDINAL_STREET = re.compile(r"\b\d{1,3}(?:st|nd|rd|th)\s+(?:street|st|avenue|ave|road|rd|blvd|boulevard)\b\.?", re.I)
_PO_BOX = re.compile(r"\b(?:p\.?\s?o\.?\s*box|post\s+office\s+box)\s*#?\s*\d+\b", re.I)
_ZIP_CUE = re.compile(
    rf"(?:\b(?:zip|zip\s?code|zipcode|postal\s+code|postcode)\s*(?:is|:|#|number)?\s*"
    rf"|\b(?:{'|'.join(_STATE_CODES)})\.?\s+|\b(?:{'|'.join(sorted(US_STATES, key=len, reverse=True))}),?\s+)"
    r"(?P<zip>\d{5}(?:-\d{4})?)(?![\d-])",
    re.I,
)
_UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s+\d[A-Z]{2}\b")
# A five-digit number, or ZIP+4, standing alone ("John from 62704 asks ..."): Safe Harbor treats every ZIP code as an
# identifier (only its first three digits may stay, and only for large areas; we drop all five). Clinical numbers of
# five digits are told apart by what surrounds them: a unit or a counted noun after, a laboratory name or a
# comparison before, a range partner, or a round thousand ("WBC 11000", "10000 steps", "over 20000", "12500 to 15000").
_ZIP_BARE = re.compile(r"(?<![\w.,·/$#+\-−–\[])(?P<zip>\d{5}(?:-\d{4})?)(?![\w%/°]|[.,·]\d|[-–]\w)")
_COUNTED = re.compile(
    r"^\s*(?:-\s*)?(?:±|\+/-|steps|base\s+pairs|bp|kb|genes|isolates|strains|sequences|reads|people|persons|patients|participants|adults|children|infants|women|men|subjects|cases|deaths|"
    r"births|individuals|visits|admissions|doses|vaccinations|samples|specimens|tests|cells|copies|calories|kcal|cal|"
    r"dollars|usd|euros|words|feet|ft|meters|metres|miles|km|kilometers|lux|hz|rpm|ppm|ppb|cfu|iu|ius|units?|"
    r"per|/|x|times|or\s+(?:more|fewer|less|higher|lower|above|below|greater)|(?:to|through|-|–)\s*\d+)(?![\w/])",
    re.I,
)
_MEASURED_BEFORE = re.compile(
    r"(?:\b(?:wbcs?|rbcs?|hgb|hb|hct|plts?|platelets?|anc|alc|cd4|cd8|ldh|ck|cpk|bnp|nt-?probnp|troponins?|afp|cea|psa|"
    r"ferritin|tsh|crp|esr|igg|ige|igm|d-?dimer|lipase|amylase|titers?|titres?|counts?|levels?|loads?|copies|concentration|"
    r"dose|doses|dosage|dosing|units?|iu|steps|calories|kcal|score|scores|cpt|icd(?:-?\d+)?|hcpcs|drg|loinc|snomed|ndc|"
    r"pmid|nct|rs|codes?|over|under|above|below|than|about|approximately|approx\.?|around|nearly|almost|exceeding|"
    r"exceeds?|exceeded|least|most|between|up\s+to|maximum|minimum|max|min|total|totals?|weighs?|weighed|weight|"
    r"ng/ml|pg/ml|iu/l|u/l|cells/[uµμ]l|/[uµμ]l|/mm3)"
    r"|[<>≤≥=~≈])\W{0,3}(?:(?:was|were|is|are|of|at|count|level|about|around|approximately|only|just|roughly)\W{1,3}){0,2}$",
    re.I,
)
_RANGE_BEFORE = re.compile(
    r"(?:\d[\d,.]*\s*(?:to|-|–|through)|\bbetween\s+\d[\d,.]*\s*and|\d[\d,.]*\s+(?:out\s+)?of)\s*$", re.I)
_ACRONYM_BEFORE = re.compile(r"\b(?P<acronym>[A-Z][A-Z0-9-]{1,7})\s*[:=]?\s*$")
_CITY_STATE = re.compile(
    rf"\b(?P<city>(?:[A-Z][a-z]+\.?\s){{0,2}}[A-Z][a-z]+),\s*(?:{'|'.join(_STATE_CODES)})\b(?!\.\w)"
)
_PLACE_CUE = re.compile(
    r"\b(?:live|lives|living|lived|reside|resides|residing|resident\s+of|located\s+in|moved\s+to|moving\s+to|"
    r"relocated\s+to|from\s+the\s+town\s+of|town\s+of|city\s+of|village\s+of|county\s+of|hometown(?:\s+is)?|"
    r"born\s+in|grew\s+up\s+in|address(?:\s+is)?|neighbou?rhood\s+of|travel(?:l?ed|ing)?\s+to|visiting|"
    r"trip\s+to|vacation\s+in|holiday\s+in|here\s+in|outside(?:\s+of)?|in\s+downtown|"
    r"(?:is|am|are|was|were|comes?|came|originally|moved\s+here|travel(?:l?ed)?\s+here)\s+from)\b"
    r"(?:\s+(?:in|at|on|to|near))?(?:\s+the\s+(?:city|town|village)\s+of)?\s+",
    re.I,
)
_WORDLIKE_CITY_BEFORE_ZIP = re.compile(
    rf"\b(?P<city>{'|'.join(sorted(_CITY_WORDLIKE))}),?\s+(?:(?:{'|'.join(_STATE_CODES)})\.?\s+)?\d{{5}}(?:-\d{{4}})?(?![\w-])",
    re.I,
)
# 'old' is no name ('89 years old'), but it is a street ('4120 Old Mill Rd')
_NOT_STREET_WORD = _NOT_NAME - {"old"}
_COUNTY = re.compile(r"\b(?P<name>(?:[A-Za-z]+\s){0,2}[A-Za-z]+)\s+(?:county|parish|borough|township)\b", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z'.-]*")


@lru_cache(maxsize=1)
def _city_pattern() -> re.Pattern[str]:
    names = sorted((c for c in CITIES if c not in _CITY_WORDLIKE), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names) + r")\b", re.I)


_NOT_PLACE = _NOT_NAME | frozenset("""home house work school town city country state hospital clinic area region
nursing care facility rural urban fear pain poverty bed shelter apartment community village world abroad
overseas same another other different""".split())


def _locations(text: str, case: bool):
    for m in _STREET.finditer(text):
        words = m.group("words").lower().split()
        if any(w.strip(".") in _NOT_STREET_WORD or re.fullmatch(_UNIT, w.strip(".")) or (w.endswith(".") and len(w) > 3) for w in words):
            continue  # '2 tablets by mouth ... way'
        yield m.start(), m.end(), "LOCATION", 4
    for pattern in (_ORDINAL_STREET, _PO_BOX):
        for m in pattern.finditer(text):
            yield m.start(), m.end(), "LOCATION", 4
    for m in _ZIP_CUE.finditer(text):
        yield m.start("zip"), m.end("zip"), "LOCATION", 4
    for m in _ZIP_BARE.finditer(text):
        if _bare_zip(text, m, case):
            yield m.start("zip"), m.end("zip"), "LOCATION", 4
    for m in _UK_POSTCODE.finditer(text):
        yield m.start(), m.end(), "LOCATION", 3
    for m in _CITY_STATE.finditer(text):
        city = m.group("city")
        first = city.split()[0].lower()
        if first in _NOT_PLACE or city.lower() in US_STATES:
            continue
        yield m.start("city"), m.end("city"), "LOCATION", 3
    for m in _city_pattern().finditer(text):
        if not _EPONYM_AFTER.match(text[m.end() : m.end() + 40]):  # 'Ottawa Ankle Rule' is not a place
            yield m.start(), m.end(), "LOCATION", 2
    for m in _WORDLIKE_CITY_BEFORE_ZIP.finditer(text):  # 'maple ave providence 02903': a word, but where a city stands
        yield m.start("city"), m.end("city"), "LOCATION", 2
    for m in _PLACE_CUE.finditer(text):
        span = _place_after(text, m.end(), case)
        if span and not _EPONYM_AFTER.match(text[span[1] : span[1] + 40]):
            yield span[0], span[1], "LOCATION", 2
    for m in _COUNTY.finditer(text):
        kept: list[str] = []
        for word in reversed(m.group("name").split()):
            if word.lower() in _NOT_PLACE or (case and not word[0].isupper()):
                break
            kept.insert(0, word)
        if kept:
            yield m.end("name") - len(" ".join(kept)), m.end(), "LOCATION", 3


def _bare_zip(text: str, m: re.Match, case: bool) -> bool:
    """Whether a five-digit number (or ZIP+4) standing alone is a ZIP code rather than a clinical number."""
    value = m.group("zip")
    if len(value) == 5 and value.endswith("000"):
        return False  # round thousands are counts ('11000', '50000'); such ZIP codes are given with a cue or a state
    before, after = text[max(0, m.start() - 40) : m.start()], text[m.end() : m.end() + 24]
    if _FOLLOWED_BY_UNIT.match(after) or _COUNTED.match(after):
        return False
    if _MEASURED_BEFORE.search(before) or _RANGE_BEFORE.search(before):
        return False
    acronym = _ACRONYM_BEFORE.search(before) if case else None
    return not (acronym and acronym.group("acronym") not in _STATE_CODES)


def _place_after(text: str, pos: int, case: bool) -> tuple[int, int] | None:
    """The place name after a cue ('lives in Springfield'): capitalised words in mixed-case text, else a known city."""
    city = _city_pattern().match(text, pos)
    for word in _CITY_WORDLIKE:
        if text[pos : pos + len(word)].lower() == word and not text[pos + len(word) : pos + len(word) + 1].isalpha():
            return pos, pos + len(word)
    if city:
        return city.start(), city.end()
    if not case:
        return None
    end, count = pos, 0
    for m in _WORD.finditer(text, pos):
        if m.start() != end and not (count and text[end:m.start()] == " "):
            break
        word = m.group().rstrip(".")
        if not word[:1].isupper() or word.isupper() or word.lower() in _NOT_PLACE or word.lower() in US_STATES or count == 3:
            break
        end, count = m.start() + len(word), count + 1
    if not count:
        return None
    if text[pos:end].lower() in US_STATES:
        return None
    return pos, end
