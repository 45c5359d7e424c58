"""What kind of answer a question asks for: yes or no, a quantity (a dose, an interval, a level), or what a
guideline recommends. Pure functions of the question's text, read by the drafters and the verdict."""

from __future__ import annotations

import re

_AUX = (
    r"(?:is|are|am|does|do|did|should|can|could|may|might|must|will|would|has|have|had|was|were|shall|"
    r"isn't|aren't|doesn't|don't|shouldn't|can't|won't|wouldn't)"
)
_YESNO_CLAUSE = re.compile(rf"^{_AUX}\b", re.I)
_WH_START = re.compile(r"^(?:what|which|when|where|why|who|whom|whose|how)\b", re.I)
# clinician shorthand asks yes or no with a bare verb after the case: "67 yo M, never smoker, no sx: screen for AAA w/ US?"
_SHORTHAND_VERB = re.compile(
    r"^(?:screen|test|start|stop|continue|give|use|treat|offer|ask|advise|counsel|refer|prescribe|vaccinate|recheck|"
    r"repeat|add|switch|admit|consider|initiate|resume|hold|withhold|discontinue|add|restart|swab|image|culture)\b", re.I)


_AUX_WORDS = ("should", "could", "would", "does", "have", "were", "shall", "might", "must")


def _fix_auxiliary_typos(question: str) -> str:
    """'Shoud I test ...' -> 'should I test ...': a first word one edit away from a long auxiliary verb."""
    match = re.match(r"([A-Za-z]{4,7})\b", question)
    if not match or match.group(1).lower() in _AUX_WORDS:
        return question
    word = match.group(1).lower()
    if word.startswith(("wh", "th")) or word in {"dose", "doses", "hove", "hive", "wore", "mist", "most", "must", "shale", "world", "would"}:
        return question
    for aux in _AUX_WORDS:
        if abs(len(aux) - len(word)) <= 1 and _edit_distance(word, aux) == 1:
            return aux + question[match.end():]
    return question


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def is_yes_no_question(question: str) -> bool:
    """Whether the question asks for yes or no: its asking sentence (the last one ending in '?', else the last),
    or a clause of it after a comma, colon or semicolon, starts with an auxiliary verb ("My dad is 70, does he
    still need ...?"); a question opening with a wh-word is not one ("How often should ...?")."""
    question = _fix_auxiliary_typos(question.strip())
    if re.search(r"\byes or no\b", question, re.I) or (
        _YESNO_CLAUSE.match(question) and (question.endswith("?") or not re.search(r"[.!?]\s+\S", question))
    ):
        return True
    parts = [p.strip() for p in re.split(r"(?<=[.?!])\s+", question) if p.strip()]
    if not parts:
        return False
    asking = [p for p in parts if p.endswith("?")] or [parts[-1]]
    for sentence in asking[-2:]:
        clauses = [c.strip() for c in re.split(r"[,;:]\s*|\b(?:and|but|so|then|or)\s+(?=" + _AUX + r"\b)", sentence)]
        if _WH_START.match(sentence) and (len(clauses) == 1 or not re.match(r"(?:when|where|why)\b", sentence, re.I)):
            continue  # "How often should ...?"; but "When starting X, does Y ...?" asks yes or no
        if any(_YESNO_CLAUSE.match(c) for c in clauses if c):
            return True
        if sentence.endswith("?") and len(clauses) > 1 and _SHORTHAND_VERB.match(clauses[-1] if clauses[-1] else clauses[-2]):
            return True
        if sentence.endswith("?") and ":" in sentence and _SHORTHAND_VERB.match(sentence.rsplit(":", 1)[1].strip()):
            return True
    return False


_RECOMMENDATION_ASK = re.compile(
    r"\b(?:recommend\w*|suggest\w*|advis\w*|endorse\w*|support\w*|favou?r\w*|grade|should|need|needs|offer\w*|screen\w*|"
    r"tested|test|checked|get|take|taking|use|start|give|receive|prescrib\w*|worth\w*|supposed to|okay|ok to|acceptable|"
    r"cover\w*|conclude\w*|routine\w*|indicated|appropriate|say about|position)\b",
    re.I,
)


_QUANTITY_ASK = re.compile(
    r"\b(?:how (?:many|much|often|long|frequently|large|big|soon|high|low|old)|at what (?:age|dose|level|interval|point)|"
    r"what (?:[\w-]+\s+){0,3}(?:dose|dosage|level|range|threshold|cut-?off|target|interval|percentage|duration|age|amount|"
    r"number|value|frequency|concentration|rate)s?\b|for how long|within how)", re.I)


def asks_for_quantity(question: str) -> bool:
    """Whether the question asks for a number: a dose, an interval, a level, a duration, an age."""
    return bool(_QUANTITY_ASK.search(question))


_GRADE_ASK = re.compile(r"\b(?:what|which)\s+(?:\w+\s+){0,3}?(?:grade|strength|rating|level of evidence|quality of (?:the )?evidence)\b|"
                        r"\bhow strong\b|\bgrade (?:does|did|is|was)\b", re.I)


def asks_for_grade(question: str) -> bool:
    """Whether the question asks how a recommendation is graded ("What USPSTF grade applies to ...?", "How strong is
    ...?")."""
    return bool(_GRADE_ASK.search(question))


def asks_for_recommendation(question: str) -> bool:
    """Whether the question asks what a guideline recommends (to do, offer, screen, test, give), or its grade."""
    return bool(_RECOMMENDATION_ASK.search(question))


# "..., and what Y?", "... should be started and when should ...?": a second ask joined by "and"
_SECOND_ASK = re.compile(r"(?:,\s*|\s+)and\s+(?=(?:what|how|which|when|where|at what|in what|after how|above what|below what|"
                         r"for how|at which|in which)\b)", re.I)


def question_parts(question: str) -> list[str]:
    """The asks of a question put as two or more joined by "and" ("What LVEF defines HFrEF, and what LVEF threshold
    applies for a primary prevention ICD?"), each with the sentences that set the scene before them ("A COPD patient
    had 2 moderate exacerbations last year. Which group ..., and what ...?"); the question alone when it asks one
    thing."""
    text = " ".join(question.split())
    scene, _, ask = text.rpartition(". ") if re.search(r"\.\s+\S[^.]*\?$", text) else ("", "", text)
    pieces = [p.strip(" ,") for p in _SECOND_ASK.split(ask) if p.strip(" ,")]
    if len(pieces) < 2:
        return [question]
    lead = f"{scene}. " if scene else ""
    return [f"{lead}{p.rstrip('?')}?" for p in pieces]


_FOCUS_SUFFIX = re.compile(r"^(?P<asked>.*?[?.!])(?:\s*\([^()]*\))+\s*$", re.S)


def asked_part(query: str) -> str:
    """The question as asked, less the readings the focus step appends in parentheses ("... Is that recommended?
    (osteoporosis fracture prevention; women aged 63 years)"); parentheses inside the question ("a vitamin D pill
    (400 IU)") stay."""
    m = _FOCUS_SUFFIX.match(query)
    return m.group("asked") if m else query
