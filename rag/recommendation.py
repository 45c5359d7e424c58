"""Recommendation sentences read into structure: direction, strength, grade, population and intervention (pure).

Guidelines state recommendations in a small, regular language. The direction comes from the verb phrase that
governs the sentence: "recommends / suggests / should / offer / is recommended" (for), "recommends against /
suggests not / should not / do not / is not recommended" (against), "should be an individual one / selectively
offer" (individual decision) and "the evidence is insufficient" (insufficient evidence). The strength and grade come
from the grading systems in use: USPSTF letters (A, B, C, D, I), GRADE strong/weak or conditional, IDSA A-I…C-III,
VA/DoD "Strong for" / "Weak against", CDC categories. A grade given on the line before a sentence ("Grade B: ...",
"(Weak For)") or right after it ("(B recommendation)") counts for it.

A finding ("These results suggest that ...") or a description of a grading scale ("The USPSTF recommends the
service.") is not a recommendation and parses to None.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from rag.population import Population, read_population

FOR, AGAINST, INDIVIDUAL, INSUFFICIENT = "for", "against", "individual", "insufficient"
DIRECTIONS = (FOR, AGAINST, INDIVIDUAL, INSUFFICIENT)

# what the answer says for each direction (the yes/no verdict and the words shown before the quote)
VERDICT_OF = {FOR: "yes", AGAINST: "no", INDIVIDUAL: "it depends", INSUFFICIENT: "insufficient evidence"}
LEAD_OF = {FOR: "Yes.", AGAINST: "No.", INDIVIDUAL: "It depends: individual decision.", INSUFFICIENT: "Insufficient evidence."}


@dataclass(frozen=True)
class Recommendation:
    direction: str  # one of DIRECTIONS
    strength: str | None  # "strong" | "weak" | "conditional" | None when the sentence gives none
    grade: str | None  # the grade as written: "grade B", "A-I", "Strong Recommendation, Moderate-Quality Evidence"
    population: str | None
    intervention: str | None
    cue: str  # the words that set the direction
    population_record: Population | None = None

    def to_dict(self, chunk_id: str | None = None) -> dict:
        data = {k: v for k, v in asdict(self).items() if k != "population_record"}
        data["chunk_id"] = chunk_id
        return data


# ----------------------------------------------------------------------------------------------- direction
_GRADE_SCALE = re.compile(r"^\s*(?:[ABCDI]\s+)?the uspstf recommends (?:the service|against the service|selectively offering)\b", re.I)
_FINDING = re.compile(r"\b(?:results?|data|findings?|studies|study|evidence|analysis|trials?|this|these|it)\s+(?:also\s+)?"
                      r"(?:suggests?|suggested|indicates?)\s+(?:that|a|an|the|no|some)\b", re.I)

_INSUFFICIENT = re.compile(
    r"\b(?:(?:current\s+)?evidence\s+(?:is|was|remains)\s+insufficient|insufficient\s+evidence|"
    r"insufficient\s+to\s+(?:assess|recommend|determine|make)|no\s+recommendation\s+(?:is\s+made\s+)?(?:for\s+or\s+against|can be made)|"
    r"(?:cannot|can ?not|does not|do not|unable to)\s+(?:make\s+a\s+)?recommend(?:ation)?\s+(?:for\s+or\s+against|either\s+for\s+or\s+against)|"
    r"neither\s+for\s+nor\s+against|there is not enough evidence to recommend|"
    r"makes?\s+no\s+recommendation)\b",
    re.I,
)
_INDIVIDUAL = re.compile(
    r"\b(?:should\s+be\s+an\s+individual(?:\s+one)?|(?:is|be)\s+an\s+individual\s+(?:one|decision)|individual\s+decision|"
    r"selectively\s+offer\w*|individuali[sz]ed\s+decision|individuali[sz]e\s+(?:the\s+)?decision|on\s+an\s+individual\s+basis|"
    r"shared\s+decision[- ]making\s+(?:should|is recommended|about whether))\b",
    re.I,
)
_DOUBLE_NEG = re.compile(
    r"\b(?:should|must|do|does|is|are)\s+not\s+(?:be\s+)?(?:withheld|delayed|delay|withhold|stopped|discontinued|omitted|"
    r"postponed|deferred|avoided)\b|\bdo not (?:delay|withhold|stop|omit|postpone)\b|\bshould not be denied\b",
    re.I,
)
_AGAINST = re.compile(
    r"\b(?:recommends?\s+against|recommended\s+against|suggests?\s+against|suggested\s+against|advises?\s+against|"
    r"(?:strong|weak|conditional)\s+(?:recommendation\s+)?against|"
    r"recommends?\s+not\b|suggests?\s+not\b|(?:does|do|did)\s+not\s+(?:recommend|suggest|support|advise|endorse)|"
    r"(?:is|are|was|were)\s+(?:also\s+)?(?:generally\s+|usually\s+|currently\s+)?not\s+(?:routinely\s+)?(?:recommended|suggested|advised|indicated|"
    r"supported|endorsed|covered|appropriate|warranted|beneficial|necessary|needed|required)|"
    r"(?:is|are)\s+contraindicated|"
    r"should\s+(?:generally\s+|usually\s+)?not\b(?!\s+only)(?!\s+be\s+(?:withheld|delayed|denied|stopped|discontinued))|shouldn't|"
    r"must\s+not\b|(?:do|does)\s+not\s+(?:use|give|prescribe|offer|start|screen|test|routinely)|"
    r"no\s+(?:routine|longer\s+recommended)|not\s+(?:routinely\s+)?(?:recommended|suggested)|is\s+not\s+covered|avoid(?:ed|ing)?|"
    r"discouraged?|refrain\s+from|no\s+evidence\s+(?:to\s+)?support)\b",
    re.I,
)
# an imperative may follow the clause that names whom it is for: "For adults with microalbuminuria without other
# apparent cause, initiate ACE inhibitor therapy."
_LEAD_CLAUSE = r"^\s*(?:(?:for|in|among|if|when|once|after|before)\b[^,;:]{0,140},\s*)?"
_IMPERATIVE_AGAINST = re.compile(_LEAD_CLAUSE + r"(?:do\s+not|don't|never|avoid)\b", re.I)
_FOR = re.compile(
    r"\b(?:recommends?|recommended|recommending|suggests?|suggested|advises?|advised|encourages?|encouraged|endorses?|"
    r"should|must|(?:is|are)\s+indicated|(?:is|are)\s+(?:reasonable|preferred|appropriate)|may\s+be\s+(?:considered|used|offered|reasonable)|"
    r"can\s+be\s+(?:considered|used|offered)|consider|offer|provide|prescribe|(?:strong|weak|conditional)\s+(?:recommendation\s+)?for|"
    r"favou?rs?|supports?)\b",
    re.I,
)
_IMPERATIVE_FOR = re.compile(_LEAD_CLAUSE + r"(?:offer|provide|screen|test|use|give|prescribe|start|initiate|consider|perform|obtain|refer|"
                             r"treat|evaluate|assess|encourage|wear|clean|vaccinate|administer|counsel|continue|measure|check)\b", re.I)
_WEAK_FOR = re.compile(r"\b(?:suggests?|suggested|may\s+be\s+considered|can\s+be\s+considered|consider|(?:is|are)\s+reasonable|"
                       r"may\s+be\s+(?:used|offered|reasonable))\b", re.I)
_WEAK_AGAINST = re.compile(r"\bsuggests?\s+(?:against|not)\b", re.I)


def _verb_of(imperative: str) -> str:
    """The imperative's own words, without the clause before it that names whom it is for."""
    return imperative[imperative.rfind(",") + 1:].strip()


def _direction(sentence: str) -> tuple[str, str] | None:
    """(direction, cue) of the governing recommendation phrase, or None when the sentence recommends nothing."""
    if _GRADE_SCALE.search(sentence):
        return None
    m = _INSUFFICIENT.search(sentence)
    if m:
        return INSUFFICIENT, m.group(0)
    m = _INDIVIDUAL.search(sentence)
    if m:
        return INDIVIDUAL, m.group(0)
    if _IMPERATIVE_AGAINST.match(sentence):
        return AGAINST, _verb_of(_IMPERATIVE_AGAINST.match(sentence).group(0))
    finding = _FINDING.search(sentence)
    cues: list[tuple[int, str, str]] = []
    for pattern, direction in ((_AGAINST, AGAINST), (_FOR, FOR)):
        for m in pattern.finditer(sentence):
            if finding and finding.start() <= m.start() < finding.end():
                continue
            cues.append((m.start(), direction, m.group(0)))
    for m in _DOUBLE_NEG.finditer(sentence):
        cues.append((m.start() - 1, FOR, m.group(0)))  # "should not be withheld": for, and before the "should not" cue
    if not cues and _IMPERATIVE_FOR.match(sentence):
        return FOR, _verb_of(_IMPERATIVE_FOR.match(sentence).group(0))
    if not cues:
        return None
    cues.sort(key=lambda c: (c[0], c[1] != FOR or not _DOUBLE_NEG.search(c[2])))
    start, direction, cue = cues[0]
    # "X should ... and should not ..." or "recommends X but not Y": the first verb phrase governs; but a "for" cue
    # followed at once by an against cue on the same verb ("recommends against") was matched as against already
    for s, d, c in cues[1:]:
        if d == AGAINST and s <= start + len(cue) + 1:
            return AGAINST, c
    return direction, cue


# a recommendation label on a line of its own, heading the items under it ("DO NOT USE" / "Meperidine for chronic
# pain"); rag.passage_sentences joins them as "DO NOT USE: Meperidine for chronic pain; ..."
LABEL_LINE = re.compile(r"^(?:(?:use\s+)?(?:is\s+)?not\s+recommended|do\s+not\s+use|avoid|contraindicated|not\s+indicated"
                        r"|recommended(?:\s+against)?)\s*:?$", re.I)


def _labelled_items(text: str) -> tuple[str, str, str] | None:
    """(direction, label, items) of a label-headed list ("Use Is NOT RECOMMENDED: Carisoprodol (Soma®); ..."), or None."""
    label, sep, items = text.partition(": ")
    if not sep or not items.strip() or not LABEL_LINE.match(label.strip()):
        return None
    return (FOR if label.strip().lower() == "recommended" else AGAINST), label.strip(), items.strip(" .")


# ----------------------------------------------------------------------------------------------- grades
_USPSTF_GRADE = re.compile(r"\b(?:[Gg]rade|GRADE)\s*:?\s*([ABCDI])\b(?![a-z])|\b([ABCDI])\s+(?:recommendation|statement|grade)\b|\(([ABCD])\)")
_GRADE_SYSTEM = re.compile(
    r"\b((?:strong|weak|conditional)\s+recommendation(?:\s*[,;]\s*(?:high|moderate|low|very low)[- ](?:quality|certainty)(?:\s+(?:of\s+)?evidence)?)?)\b",
    re.I,
)
_VADOD = re.compile(r"\b((?:strong|weak)\s+(?:for|against))\b", re.I)
_IDSA = re.compile(r"(?<![A-Za-z0-9-])([ABC])-(III|II|I)(?![A-Za-z0-9])")
_CLASS = re.compile(r"\b(?:class|COR)\s+(I{1,3}[ab]?|1|2a|2b|3)\b(?:\s*[,;(]\s*(?:LOE|level(?: of evidence)?)\s*[:\s]?\s*([ABC](?:-[A-Z]+)?))?", re.I)
_CDC = re.compile(r"\brecommendation category\s*:?\s*([AB])\b", re.I)
_BRACKET = re.compile(r"\[(A|B|C|D|I|EO)\]")  # VA/DoD strength of recommendation after the sentence: "[C]", "[EO]"
_EVIDENCE_LEVEL = re.compile(r"\b(?:high|moderate|low|very low)[- ](?:quality|certainty)\s+(?:of\s+)?evidence\b", re.I)


def read_grade(text: str) -> tuple[str | None, str | None, str | None]:
    """(grade as written, strength, direction the grade implies) found in ``text``."""
    m = _GRADE_SYSTEM.search(text)
    if m:
        grade = " ".join(m.group(1).split())
        strength = grade.split()[0].lower()
        return grade, strength, None
    m = _VADOD.search(text)
    if m:
        grade = " ".join(m.group(1).split())
        strength, way = grade.lower().split()
        return grade, strength, AGAINST if way == "against" else FOR
    m = _USPSTF_GRADE.search(text)
    if m:
        letter = next(g for g in m.groups() if g)
        implied = {"A": FOR, "B": FOR, "C": INDIVIDUAL, "D": AGAINST, "I": INSUFFICIENT}[letter]
        return f"grade {letter}", {"A": "strong", "B": "moderate"}.get(letter), implied
    m = _IDSA.search(text)
    if m:
        strength = {"A": "strong", "B": "moderate", "C": "weak"}[m.group(1)]
        return m.group(0), strength, None
    m = _CDC.search(text)
    if m:
        return f"category {m.group(1)}", "strong" if m.group(1) == "A" else "weak", None
    m = _CLASS.search(text)
    if m:
        cls = m.group(1).upper().replace("1", "I").replace("2", "II").replace("3", "III").replace("A", "a").replace("B", "b")
        strength = {"I": "strong", "IIa": "moderate", "IIb": "weak", "III": "against"}.get(cls)
        return " ".join(m.group(0).split()), strength if strength != "against" else "strong", AGAINST if cls == "III" else None
    m = _BRACKET.search(text)
    if m:
        return m.group(0), {"A": "strong", "B": "moderate", "C": "weak", "D": "weak"}.get(m.group(1)), None
    m = _EVIDENCE_LEVEL.search(text)
    if m:
        return " ".join(m.group(0).split()), None, None
    return None, None, None


# ----------------------------------------------------------------------------------------------- intervention
_LEADING_GRADE = re.compile(r"^\s*(?:\(?(?:grade\s*[ABCDI]|[ABCDI]\s+recommendation|(?:strong|weak)\s+(?:for|against))\)?\s*[:.-]?\s*)", re.I)
_AFTER_CUE = re.compile(r"^(?:\s*(?:that\s+)?(?:(?:clinicians|providers|physicians|practitioners|doctors|nurses|we|you)\b)?\s*"
                        r"(?:should\s+)?(?:not\s+)?(?:routinely\s+)?(?:(?:offer(?:ing)?|provide|prescribe|use|start|initiate|refer|"
                        r"perform|obtain|screen)\b)?\s*(?:or refer\s+)?)", re.I)


def _intervention(sentence: str, cue: str, population_text: str) -> str | None:
    """The words the recommendation is about: what follows the cue up to the population, or what precedes a passive
    cue ("Viscosupplementation is not recommended for ...")."""
    at = sentence.lower().find(cue.lower())
    if at < 0:
        return None
    of = re.search(r"\b(?:benefits and harms|net benefit|balance of[^.]*?|effectiveness)\s+of\s+(.+)$", sentence[at:], re.I)
    if of:  # "the evidence is insufficient to assess the balance of benefits and harms of X in Y"
        sentence, cue, at = of.group(1), "", 0
    after = sentence[at + len(cue):]
    if not cue:
        after = sentence
    before = _LEADING_GRADE.sub("", sentence[:at]).strip(" ,;:")
    passive = re.search(r"\b(?:is|are|be|was|were)\s*(?:not\s+)?$", sentence[:at]) or re.match(r"(?:is|are)\b", cue, re.I) \
        or re.search(r"\b(?:is|are|be)\b", cue, re.I)
    if passive and before:
        words = re.sub(r"^(?:for\s+[^,]{3,80},\s*)", "", before)  # "For patients with X, Y is recommended": Y
        words = re.sub(r"\b(?:is|are|be|was|were|should|may|can|not)\s*$", "", words).strip(" ,")
        return " ".join(words.split())[:160] or None
    text = _AFTER_CUE.sub("", after).strip()
    if population_text and population_text in text:
        text = text[: text.find(population_text)]
    text = re.split(r"\s+(?:in|among|for)\s+(?=(?:all\s+|asymptomatic\s+|nonpregnant\s+|pregnant\s+|older\s+)?(?:adults?|men|women|persons|"
                    r"people|patients|children|adolescents|infants|individuals|youth|clients)\b)|[.;]", text)[0]
    text = re.sub(r"^(?:the\s+)?(?:use\s+of\s+)?", "", text.strip(" ,:"))
    text = re.sub(r"\s+(?:to|in|for|among|of|with)$", "", text.strip())  # "offer screening to" [adults]
    return " ".join(text.split())[:160] or None


# ----------------------------------------------------------------------------------------------- parse
def parse_recommendation(sentence: str, before: str = "", after: str = "") -> Recommendation | None:
    """The recommendation ``sentence`` states, or None. ``before`` / ``after``: the passage text just before and after
    the sentence, where a grade may stand on a line of its own."""
    text = " ".join((sentence or "").split())
    if len(text) < 12:
        return None
    body = _LEADING_GRADE.sub("", text) if _LEADING_GRADE.match(text) else text
    labelled = _labelled_items(body)
    if labelled is not None:  # the label governs every item under it
        direction, label, items = labelled
        return Recommendation(direction, None, None, None, items[:160], label, None)
    found = _direction(body)
    grade, strength, implied = read_grade(text)
    if grade is None:
        prev_line = (before or "").rstrip().rsplit("\n", 1)[-1].strip()
        next_bit = (after or "").lstrip()[:80]
        for context in (prev_line if len(prev_line) <= 80 else prev_line[-80:], next_bit.split("\n", 1)[0]):
            if context and re.match(r"^\s*\(?\s*(?:grade|strong|weak|conditional|[ABCDI]\s+recommendation|[ABC]-I|\[(?:[ABCDI]|EO)\])", context, re.I) \
                    or re.search(r"(?:grade\s*[ABCDI]|\b[ABCDI] recommendation)\)?\s*:?\s*$", context or "", re.I):
                grade, strength, implied = read_grade(context)
                if grade:
                    break
    if found is None:
        if implied is None or not re.search(r"\b(?:screen|screening|offer|counsel|prescribe|use|intervention|supplement)", body, re.I):
            return None
        direction, cue = implied, grade or ""
    else:
        direction, cue = found
    if strength is None:
        if direction == FOR and _WEAK_FOR.search(cue):
            strength = "weak"
        elif direction == AGAINST and _WEAK_AGAINST.search(cue):
            strength = "weak"
    population = read_population(body)
    pop_text = population.text or None
    intervention = _intervention(body, cue, pop_text or "") if cue else None
    return Recommendation(direction, strength, grade, pop_text, intervention, cue, population)


def recommendation_in_passage(sentence: str, passage: str) -> Recommendation | None:
    """``parse_recommendation`` with the passage around the sentence as context for a grade on its own line."""
    at = passage.find(sentence[:60]) if sentence else -1
    if at < 0:
        return parse_recommendation(sentence)
    return parse_recommendation(sentence, passage[max(0, at - 120):at], passage[at + len(sentence): at + len(sentence) + 120])
