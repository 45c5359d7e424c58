"""Person names: name lists plus context rules (titles, cues such as "patient", apposition)."""

from __future__ import annotations

import re

from clinrag.privacy.lexicon import FIRST_NAMES, SURNAMES, _EPONYM_AFTER, _HEAD_WORD, _NOT_NAME, _WORDLIKE
from clinrag.privacy.locations import _NOT_PLACE

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")
_TITLE_STRONG = re.compile(r"\b(?:mr|mrs|ms|mx|dr|prof|rev)\.\s*$", re.I)
_TITLE_WEAK = re.compile(
    r"\b(?:mr|mrs|ms|mx|dr|prof|doctor|professor|nurse|sister|father|rev|sir|madam|dame|lady|lord|miss|mister|missus)\s+$", re.I)
_CUE_STRONG = re.compile(
    r"\b(?:(?:my|his|her|their|our|patient's|[a-z]+'s)\s+(?:full\s+|first\s+|last\s+)?name\s+is|my\s+name's|name:|"
    r"(?:their|our)\s+names\s+are|patient\s+name|pt\.?\s+name|"
    r"signed|sincerely,?|regards,?|thanks,?|thank\s+you,?|cheers,?|yours\s+truly,?|goes\s+by|contact\s+person:?|next\s+of\s+kin:?|emergency\s+contact:?|"
    r"guardian:?|referred\s+by|referring\s+(?:physician|doctor|provider):?|pcp:?|pcp\s+is)\s*[:,-]?\s*$",
    re.I,
)
_CUE_WEAK = re.compile(
    r"\b(?:patient|pt\.?|client|resident|mr\.?|mrs\.?|ms\.?|(?:my|his|her|our|their|the)\s+(?:son|daughter|wife|husband|"
    r"mother|mom|mum|father|dad|brother|sister|grandson|granddaughter|grandmother|grandfather|grandma|grandpa|"
    r"aunt|uncle|nephew|niece|cousin|partner|boyfriend|girlfriend|friend|neighbou?r|baby|child|kid|boy|girl|"
    r"fiancee?|spouse|stepson|stepdaughter|twin|colleague|boss|roommate|carer|caregiver|doctor|gp|physician|"
    r"nurse|surgeon|pediatrician|paediatrician|cardiologist|oncologist)|dear|hi|hello|this\s+is|i\s+am|i'm|"
    r"named|called|known\s+as|aka|a\.k\.a\.?|spoke\s+(?:with|to)|talked\s+(?:with|to)|visited\s+by|seen\s+by|accompanied\s+by)\s*,?\s*$",
    re.I,
)
# capitalised words that follow "Patient" in titles ("Patient Health Questionnaire"), never names
_TITLE_WORDS = frozenset("""health safety care education information portal advocate advocacy experience
reported outcome outcomes questionnaire assessment centered centred access rights privacy record records history
support services service group groups population""".split())
_APPOSITION = re.compile(r"\b(?:my|his|her|our|their)\s+[a-z]+\s*,\s*$", re.I)
_PARTICLES = frozenset({"de", "del", "della", "da", "di", "van", "von", "der", "den", "la", "le", "du", "dos", "das",
                        "bin", "ibn", "al", "el", "st", "mac", "o"})
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "md", "rn", "phd", "do", "np", "pa"})


def _name_word(word: str) -> str:
    """'Maria's' -> 'maria', "O'Brien" -> 'obrien' (the form the lists use)."""
    return re.sub(r"['’]", "", re.sub(r"(?:'s|’s|')$", "", word)).lower()


def _names(text: str, case: bool):
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
    i = 0
    while i < len(tokens):
        start, end, word = tokens[i]
        key = _name_word(word)
        before = text[max(0, start - 60) : start]
        # Title case carries information only in mixed-case text; an all-caps word there is an acronym ('WBC')
        capital = case and _title_case(word)
        if key in _NOT_NAME and not (_TITLE_STRONG.search(before) and capital):
            i += 1
            continue
        title = _TITLE_WEAK.search(before)
        if title and case and title.group().strip().isupper() and len(title.group().strip()) > 1:
            title = None  # 'MR Imaging': an acronym, not a title
        cue = _CUE_WEAK.search(before)
        if cue and case and cue.group()[:1].isupper() and (
            cue.group().strip().isupper() or not _sentence_start(text, start - len(before) + cue.start())
        ):
            cue = None  # 'the Patient Health Questionnaire': a capitalised cue inside a title
        weak_cue = title or cue
        strong = bool(_TITLE_STRONG.search(before) or _CUE_STRONG.search(before)) or bool(
            _APPOSITION.search(before) and _apposition_closes(text, tokens, i))
        weak = bool(weak_cue)
        listed = key in FIRST_NAMES or key in SURNAMES
        plain_first = key in FIRST_NAMES and key not in _WORDLIKE
        accept = False
        if strong:
            accept = (capital or not case or listed) and (word.isalpha() or "'" in word or "-" in word)
        elif weak:
            accept = (capital and key not in _TITLE_WORDS) or (listed and key not in _WORDLIKE) or (capital and listed)
        elif plain_first and (capital or not case):
            accept = True
        elif key in FIRST_NAMES and capital and i + 1 < len(tokens):
            nxt = _name_word(tokens[i + 1][2])
            accept = nxt in SURNAMES and tokens[i + 1][2][0].isupper() and text[end : tokens[i + 1][0]] == " "
        elif key in SURNAMES and key not in _WORDLIKE and i + 1 < len(tokens):
            # 'Smith, John'
            gap = text[end : tokens[i + 1][0]]
            accept = gap.strip() == "," and _name_word(tokens[i + 1][2]) in FIRST_NAMES and (capital or not case)
        if not accept:
            i += 1
            continue
        j = i
        # extend: initials, particles, capitalised words, listed names, suffixes
        while j + 1 < len(tokens) and j - i < 4:
            gap = text[tokens[j][1] : tokens[j + 1][0]]
            if gap not in {" ", ". ", ", "} or (gap == ", " and _name_word(tokens[j + 1][2]) not in FIRST_NAMES | _SUFFIXES):
                break
            nxt_word = tokens[j + 1][2]
            nkey = _name_word(nxt_word)
            if _HEAD_WORD.match(nkey):
                break  # 'Alexander Disease', 'Marie Unna congenital ...': the name of a condition
            if gap == ". " and not (len(tokens[j][2]) == 1 or tokens[j][2].lower() in {"st", "jr"}):
                break
            ok = False
            if nkey in _NOT_NAME and nkey not in _SUFFIXES:
                ok = False
            elif case:
                ok = _title_case(nxt_word) or nkey in FIRST_NAMES or nkey in SURNAMES or (nkey in _PARTICLES and j + 2 < len(tokens))
            else:
                ok = nkey in FIRST_NAMES or nkey in SURNAMES or nkey in _SUFFIXES or len(nxt_word) == 1 or (
                    strong and nkey not in _NOT_PLACE and j == i)
            if not ok:
                break
            j += 1
        span_end = tokens[j][1]
        if j + 1 < len(tokens) and text[span_end : span_end + 1] == "." and (len(tokens[j][2]) == 1 or _name_word(tokens[j][2]) in _SUFFIXES):
            span_end += 1
        if _EPONYM_AFTER.match(text[span_end : span_end + 40]) or _eponym_before(text, start):
            i = j + 1
            continue
        span_end = start + len(text[start:span_end].rstrip("'’")) if not text[start:span_end].endswith(("'s", "’s")) else span_end - 2
        yield start, span_end, "NAME", 3
        i = j + 1


def _title_case(word: str) -> bool:
    """'Maria', 'McDonald', "O'Brien"; not 'AFib', 'WBC' or 'maria'."""
    return word[0].isupper() and (len(word) == 1 or word[1].islower() or word[1] in "'’")


def _apposition_closes(text: str, tokens: list[tuple[int, int, str]], i: int) -> bool:
    """'my mother, yesenia marchetto, lives ...': one to three words closed by a comma after a relation noun."""
    for j in range(i, min(i + 3, len(tokens))):
        if _name_word(tokens[j][2]) in _NOT_NAME:
            return False
        after = text[tokens[j][1] : tokens[j][1] + 2]
        if after.startswith(","):
            return True
        if j + 1 < len(tokens) and text[tokens[j][1] : tokens[j + 1][0]] != " ":
            return False
    return False


def _sentence_start(text: str, pos: int) -> bool:
    before = text[:pos].rstrip()
    return not before or before[-1] in ".!?\n"


def _eponym_before(text: str, pos: int) -> bool:
    """'Stevens-Johnson', 'Guillain-Barre': the second half of a hyphenated eponym."""
    return text[max(0, pos - 1) : pos] == "-"
