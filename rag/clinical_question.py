"""A lay or personal question turned into the clinical question it asks (pure functions).

"my dad is 70, does he still need colon cancer checks?" asks about colorectal cancer screening in a man aged 70. The
clinical restatement is appended to the question (the original wording stays first, as with shorthand), so that
retrieval, the answerability gate and the reader see the guideline's words. Attributes that do not change what a
guideline recommends (religion, occupation, insurance) are dropped from what the pipeline reads; the original
question stays in the answer record.

The lay vocabulary below is this project's own list of everyday health words and the clinical terms guidelines use
for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from clinrag.text import content_terms
from rag.population import Population, age_text, read_population

# everyday words -> the clinical terms guidelines use (regex on the lower-cased question -> terms appended)
LAY_TERMS: tuple[tuple[str, str], ...] = (
    (r"\b(?:colon|bowel|rectal) cancer\b|\bcolon (?:checks?|tests?|screening)\b|\bstool tests?\b|\bpoop tests?\b|\bcolonoscop\w*", "colorectal cancer screening"),
    (r"\bmammo(?:gram)?s?\b|\bbreast (?:x-?rays?|scans?|checks?)\b", "breast cancer screening mammography"),
    (r"\bpap(?: smears?| tests?)?\b|\bcervical (?:checks?|tests?)\b", "cervical cancer screening cytology"),
    (r"\bpsa\b|\bprostate (?:checks?|tests?|blood tests?)\b", "prostate cancer screening PSA"),
    (r"\b(?:scans?|ct|x-?rays?) (?:of|for) (?:my|his|her|the|their) lungs?\b|\blung (?:scans?|checks?|ct)\b", "lung cancer screening low-dose computed tomography"),
    (r"\bbulg\w* (?:in )?(?:the |a |his |her |my )?(?:big |main )?(?:belly )?artery\b|\b(?:belly|tummy|stomach) (?:artery|aneurysm)\b|"
     r"\bbulging belly artery\b|\bmain belly artery\b|\baneurysm\b", "abdominal aortic aneurysm screening ultrasonography"),
    (r"\bultrasound of (?:my|his|her|the) (?:belly|tummy|stomach)\b|\b(?:belly|tummy) ultrasound\b", "abdominal ultrasonography"),
    (r"\bultrasounds?\b", "ultrasonography"),
    (r"\bno (?:chest pain|symptoms?|complaints?)\b|\bfeel(?:s|ing)? (?:totally |really |completely )?(?:fine|great|well|healthy)\b|"
     r"\bin good health\b|\bseems? (?:fine|healthy|well)\b", "asymptomatic"),
    (r"\b(?<!low )(?<!high )blood sugar\b|\bsugar (?:tests?|levels?|checks?)\b|\bchecked for diabetes\b|\btested for diabetes\b", "blood glucose diabetes screening"),
    (r"\bpregnancy diabetes\b|\bdiabetes (?:in|during) (?:my )?pregnancy\b|\bsugar test for pregnancy\b", "gestational diabetes screening"),
    (r"\bheart tracing\b|\bekg\b|\becg\b|\belectrocardiogram\b", "electrocardiography ECG screening"),
    (r"\bheart attacks? or (?:a )?strokes?\b|\bstrokes? or (?:a )?heart attacks?\b", "cardiovascular disease CVD events"),
    (r"\bheart attack\b", "myocardial infarction cardiovascular disease"),
    (r"\bhigh cholesterol\b|\bcholesterol (?:is|was|runs|levels? (?:is|are)) (?:too |a bit |very )?high\b", "dyslipidemia hyperlipidemia cardiovascular disease risk"),
    (r"\bheart (?:risk|disease|problems?)\b", "cardiovascular disease risk"),
    (r"\bblood thinners?\b", "anticoagulant"),
    (r"\bwater pills?\b", "diuretic"),
    # brand names people use for generic drugs
    (r"\btamiflu\b", "oseltamivir"), (r"\btylenol\b|\bpanadol\b", "acetaminophen"), (r"\badvil\b|\bmotrin\b", "ibuprofen"),
    (r"\baleve\b", "naproxen"), (r"\bcoumadin\b", "warfarin"), (r"\bzithromax\b|\bz-?pak\b", "azithromycin"),
    (r"\blipitor\b", "atorvastatin"), (r"\bglucophage\b", "metformin"), (r"\bepipen\b", "epinephrine"),
    (r"\bbaby aspirin\b|\blow dose aspirin\b", "low-dose aspirin"),
    (r"\bcholesterol (?:pills?|meds?|medicines?|drugs?|tablets?)\b", "statin"),
    (r"\bflu (?:shots?|jabs?|vaccines?)\b", "influenza vaccination"),
    # "steroid shots", "plasma shots", "knee shot" are injections of a named thing, not vaccinations
    (r"\b(?:steroid|cortisone|plasma|prp|knee|joint|hip|back|shoulder|botox|insulin|b12|epidural|gel|lubricant)\s+(?:shots?|jabs?)\b", "injection"),
    (r"\b(?<!steroid )(?<!cortisone )(?<!plasma )(?<!prp )(?<!knee )(?<!joint )(?<!hip )(?<!back )(?<!shoulder )(?<!botox )"
     r"(?<!insulin )(?<!b12 )(?<!epidural )(?<!gel )(?:shots?|jabs?)\b", "vaccination injection"),
    (r"\bpaint\w* fluoride\b|\bfluoride (?:on|to) (?:the |his |her |their )?teeth\b|\bfluoride\b", "fluoride varnish dental caries prevention"),
    (r"\bfirst tooth\b|\bbaby teeth\b|\bteeth (?:came|come|coming) in\b|\btooth (?:came|comes) in\b", "primary teeth eruption infants children"),
    (r"\bcavit(?:y|ies)\b|\btooth decay\b", "dental caries"),
    (r"\beyes? (?:checked|tested|tests?|exams?|chart)\b|\bvision (?:tests?|checks?)\b|\beyesight\b|\bsees? fine\b|\bsee fine\b", "vision screening"),
    (r"\bhearing (?:tests?|checks?)\b|\bhard of hearing\b", "hearing loss screening"),
    (r"\bbone density\b|\bbreak(?:ing)? a bone\b|\bbrittle bones?\b|\bthin bones\b|\bbroken bones?\b", "osteoporosis fracture prevention"),
    (r"\bvitamin d (?:pills?|tablets?)\b|\bcalcium (?:pills?|tablets?)\b", "vitamin D calcium supplementation"),
    (r"\boverweight\b|\bobese\b|\bheavy\b|\bmy weight\b|\blose weight\b|\bbmi\b", "obesity weight loss behavioral interventions"),
    (r"\bdrink(?:ing|s)?\b(?! water)|\bbeers?\b|\bwine\b|\bbooze\b", "alcohol use"),
    (r"\bquit smoking\b|\bstop smoking\b|\bquit (?:the )?cigarettes\b", "tobacco smoking cessation"),
    (r"\bvap(?:ing|es?)\b|\be-?cigarettes?\b|\bvape pens?\b", "electronic cigarettes"),
    (r"\bsmok\w*\b|\bcigarettes?\b|\bcigs?\b|\bpacks? a day\b", "smoking tobacco"),
    (r"\bdepress\w*\b|\bfeeling (?:down|low|sad)\b|\bblue all the time\b", "depression screening"),
    (r"\bbladder infection\b|\bburning when (?:i|she|he) pee\b|\buti\b", "cystitis urinary tract infection"),
    (r"\burine (?:sample )?(?:for (?:a )?)?culture\b", "asymptomatic bacteriuria screening urine culture"),
    (r"\bpee\b|\bwee\b|\burine sample\b", "urine"),
    (r"\bhigh blood pressure\b", "hypertension blood pressure"),
    (r"\bburns? (?:really )?easily\b|\bfair skin\b|\bred hair\b|\bfreckles\b|\bsunburn\w*\b|\bsun protection\b|\bprotect\w* (?:\w+ )?from the sun\b|\bthe sun\b", "fair skin UV exposure counseling skin cancer prevention"),
    (r"\bmoles?\b|\bskin checks?\b", "skin cancer screening"),
    (r"\bhiv tests?\b", "HIV screening"),
    (r"\bstd\b|\bstis?\b|\bsexually transmitted\b", "sexually transmitted infection screening"),
    (r"\bhep(?:atitis)? ?c\b", "hepatitis C virus screening"),
    (r"\bhep(?:atitis)? ?b\b", "hepatitis B virus screening"),
    (r"\bthyroid (?:pills?|meds?|medicines?|tablets?)\b", "thyroid hormone levothyroxine treatment"),
    (r"\bthyroid number\b|\bthyroid (?:test|level)\b", "TSH thyroid function"),
    (r"\bsnor\w*\b|\bstop breathing (?:at|in my|in his|in her) (?:night|sleep)\b", "obstructive sleep apnea"),
    (r"\bhigh blood sugar\b|\bsugar (?:is|runs|was) high\b", "hyperglycemia high blood glucose"),
    (r"\bshaky and sweaty\b|\blow sugar\b|\blow blood sugar\b|\bsugar (?:drop|is low|too low)\b", "hypoglycemia low blood glucose"),
    (r"\b(?:stomach|tummy) bug\b|\bthrowing up\b|\bvomit\w*\b", "sick day illness vomiting"),
    (r"\bnerve squeeze\b|\bpinched nerve\b", "nerve compression"),
    (r"\bshock ?waves?\b(?: therapy| treatment)?", "extracorporeal shockwave therapy ESWT"),
    (r"\bshoe inserts?\b|\barch supports?\b|\binsoles?\b", "orthoses orthotics"),
    (r"\bheels?\b(?: pain)?", "plantar heel pain plantar fasciitis"),
    (r"\bbirth control\b", "contraception"),
    (r"\bpain (?:pills?|killers?|meds?)\b|\bpainkillers?\b", "opioid analgesic"),
    (r"\bstrep throat\b|\bsore throat\b", "streptococcal pharyngitis"),
    (r"\bear infections?\b", "acute otitis media"),
    (r"\bchest infection\b", "community-acquired pneumonia"),
    (r"\bmemory (?:problems?|loss|trouble)\b|\bforgetful\w*\b", "cognitive impairment dementia screening"),
    (r"\bcurved spine\b|\bcurve in (?:the|her|his) (?:back|spine)\b", "scoliosis screening"),
    (r"\b(?:talk|talking)s? (?:late|slowly)\b|\bspeech delay\b|\bnot talking\b", "speech and language delay screening"),
    (r"\bhurt(?:s|ing)? (?:me|her|him) at home\b|\bpartner (?:hits|hurts)\b|\babus\w* (?:at home|partner)\b", "intimate partner violence screening"),
    (r"\bfalls?\b|\bfalling\b", "falls prevention older adults"),
    (r"\bbelly\b|\btummy\b", "abdominal"),
    (r"\bcheck[- ]?ups?\b|\bchecks?\b|\bget checked\b|\bbe checked\b|\bchecked\b|\bbe tested\b|\bget tested\b|\btested\b|\bscanned\b|\bscreened\b", "screening"),
    (r"\bgood for me\b|\bworth(?:while| it)\b|\bsupposed to\b", "recommended"),
)

GENERIC_TERMS = 2  # the last entries map words too common to use outside a personal question

# clinical words too broad to say on their own which intervention a lay phrase means ("cancer" in "cervical cancer
# screening cytology" does not make a sentence on thyroid cancer about Pap smears)
_BROAD = frozenset(content_terms(
    "cancer disease risk prevention preventing screening screen tests test testing treatment infection behavioral "
    "interventions counseling low high dose adults children infants older primary recommended use exposure asymptomatic"
))


@dataclass(frozen=True)
class LayGroup:
    """One lay phrase of a question and the clinical terms it stands for: a sentence addresses the phrase when it
    holds any of the ``specific`` clinical terms."""

    lay: frozenset[str]
    clinical: frozenset[str]
    specific: frozenset[str]


def lay_groups(question: str) -> list[LayGroup]:
    """The lay phrases of ``question`` (``LAY_TERMS``; the generic entries only in a personal question), as stemmed
    terms with the clinical terms each stands for."""
    low = question.lower()
    personal = is_personal(question)
    groups = []
    for pattern, clinical in LAY_TERMS if personal else LAY_TERMS[:-GENERIC_TERMS]:
        spans = [m.group(0) for m in re.finditer(pattern, low)]
        if not spans:
            continue
        terms = frozenset(content_terms(clinical))
        groups.append(LayGroup(frozenset(t for span in spans for t in content_terms(span)), terms, terms - _BROAD))
    return groups


# attributes that do not change what a guideline recommends: dropped from what retrieval and the reader see
_RELIGION = r"(?:catholic|protestant|christian|jewish|muslim|hindu|buddhist|sikh|mormon|atheist|amish|jehovah'?s witness|evangelical)"
_INSURANCE = r"(?:uninsured|underinsured|medicaid[- ]insured|medicare[- ]insured|privately insured|insured|on medicaid|on medicare|with private insurance|without insurance|with no insurance)"
_OCCUPATIONS = (r"(?:schoolteacher|teacher|accountant|engineer|software engineer|truck driver|long-haul truck driver|construction worker|farmer|"
                r"retired farmer|lawyer|attorney|chef|cook|cashier|electrician|plumber|mechanic|firefighter|police officer|"
                r"student|graduate student|office worker|banker|artist|musician|writer|waiter|waitress|janitor|"
                r"scientist|programmer|salesman|saleswoman|carpenter|fisherman|"
                r"hairdresser|barista|secretary|manager|professor|librarian|homemaker|stay-at-home parent)")
_DROP = [
    re.compile(rf"\s*,?\s*who (?:is|works as) an? {_OCCUPATIONS}\b", re.I),
    re.compile(rf"\s*,?\s*who works (?:night shifts|nights|as an? [a-z -]+?)(?=[,?.]|\s+(?:with|has|and)\b)", re.I),
    re.compile(rf"\s*,?\s*who is an? {_RELIGION}\b", re.I),
    re.compile(rf"\b{_RELIGION}\s+(?=(?:[a-z-]+\s+){{0,3}}(?:patient|man|woman|adult|person|mother|father|child|boy|girl|pregnant|retired|male|female))", re.I),
    re.compile(rf"\b{_INSURANCE}\s+(?=(?:[a-z-]+\s+){{0,3}}(?:patient|man|woman|adult|person|mother|father|child|boy|girl|pregnant|female|male|construction|truck))", re.I),
    re.compile(rf"\s*,?\s*(?:who is |and )?{_INSURANCE}(?=[,?.]|\s+(?:with|has|and|who)\b)", re.I),
]
# "an Asian-American accountant who ...": the word before the occupation (sex, pregnancy, or an adjective that may
# matter, kept) and the occupation, which does not
_OCCUPATION_NOUN = re.compile(rf"\b(?:an?|the)\s+((?:male|female|retired|young|older|pregnant|[a-z]+(?:-[a-z]+)?)\s+)??"
                              rf"{_OCCUPATIONS}\b(?=\s+(?:with|who|has|on)\b|[,?])", re.I)


@dataclass(frozen=True)
class ClinicalQuestion:
    text: str  # what retrieval, the gate and the reader see
    original: str
    terms: tuple[str, ...] = ()  # clinical terms added for lay words
    population: Population | None = None
    dropped: tuple[str, ...] = ()  # attributes removed (religion, occupation, insurance)
    personal: bool = False
    restated: str | None = None  # "Is colorectal cancer screening recommended for an adult aged 47 years?"


def drop_irrelevant_attributes(question: str) -> tuple[str, tuple[str, ...]]:
    """The question without religion, occupation and insurance attributes: "For a Hindu retired farmer with CKD, ..."
    -> "For a patient with CKD, ..."."""
    dropped: list[str] = []
    text = question
    for pattern in _DROP:
        for found in pattern.findall(text):
            if isinstance(found, str) and found.strip():
                dropped.append(found.strip(" ,"))
        text = pattern.sub("", text)
    m = _OCCUPATION_NOUN.search(text)
    while m:
        dropped.append(m.group(0))
        lead = (m.group(1) or "").strip()
        noun = {"male": "man", "female": "woman", "pregnant": "pregnant patient", "retired": "patient", "young": "patient",
                "older": "patient", "": "patient"}.get(lead.lower(), f"{lead} patient")
        article = "an" if noun[0].lower() in "aeiou" else "a"
        text = text[: m.start()] + f"{article} {noun}" + text[m.end():]
        m = _OCCUPATION_NOUN.search(text, m.start() + 2)
    text = re.sub(r"\b(an?)\s+(?=[,?.]|\s*$)", r"\1 patient", text)
    text = re.sub(r"\ba(?= [aeiou])", "an", text)
    text = re.sub(r"\ban(?= [b-df-hj-np-tv-z])", "a", text)
    text = " ".join(text.split()).replace(" ,", ",")
    return (text, tuple(dropped)) if dropped else (question, ())


_PERSONAL = re.compile(r"\b(?:i|i'm|im|i've|my|me|mine|our|we)\b", re.I)
# "I" in "L&I", "grade I" or "class I" is a name or a numeral, not the asker
_NOT_THE_ASKER = re.compile(r"(?:[&/.-]|\b(?:grade|class|stage|phase|level|part|type|tier|category)\s+)$", re.I)


def is_personal(question: str) -> bool:
    """Whether the asker speaks of themselves or their family ("I'm 47", "my dad")."""
    return any(len(m.group(0)) > 1 or not _NOT_THE_ASKER.search(question[: m.start()])
               for m in _PERSONAL.finditer(question))


def population_phrase(population: Population) -> str:
    """"man aged 70", "pregnant woman", "child aged 4", "adult aged 47"."""
    if population.empty:
        return ""
    age = population.age
    single = age is not None and age[0] == age[1]
    noun = "adult"
    if age is not None and age[1] < 1:
        noun = "infant"
    elif age is not None and age[1] < 12 or population.stage == "child":
        noun = "boy" if population.sex == "male" else "girl" if population.sex == "female" else "child"
    elif age is not None and age[1] < 18 or population.stage == "adolescent":
        noun = "adolescent " + ("boy" if population.sex == "male" else "girl" if population.sex == "female" else "")
    elif population.sex:
        noun = "man" if population.sex == "male" else "woman"
    if population.pregnant:
        noun = "pregnant " + ("woman" if noun in ("adult", "woman") else noun)
    parts = [noun.strip()]
    if age is not None:
        if single:
            a = age[0]
            parts.append(f"aged {int(a)} years" if a >= 1 else f"aged {int(round(a * 12))} months")
        else:
            parts.append(age_text(age))
    if population.gestation is not None and population.gestation[0] == population.gestation[1]:
        parts.append(f"at {int(population.gestation[0])} weeks of gestation")
    if population.smoking == "ever":
        parts.append("who has smoked")
    elif population.smoking == "never":
        parts.append("who has never smoked")
    return " ".join(parts)


def clinical_question(question: str) -> ClinicalQuestion:
    """The clinical reading of ``question``: lay words get their clinical terms appended, and a personal question
    ("my dad is 70 ...") gets the population it is about; religion, occupation and insurance are dropped."""
    text, dropped = drop_irrelevant_attributes(question)
    low = text.lower()
    terms: list[str] = []
    personal = is_personal(question)
    for pattern, clinical in LAY_TERMS if personal else LAY_TERMS[:-GENERIC_TERMS]:
        if re.search(pattern, low) and clinical.lower() not in low and clinical not in terms:
            terms.append(clinical)
    population = read_population(text, question=True)
    # only words the question lacks, so a clinician's question is left as it was
    seen = set(re.findall(r"[a-z0-9]+", low))
    kept = []
    for chunk in terms:
        words = [w for w in chunk.split() if w.lower() not in seen]
        if words:
            kept.append(" ".join(words))
            seen.update(w.lower() for w in words)
    if personal and not population.empty:
        phrase = population_phrase(population)
        if phrase and phrase.lower() not in low:
            kept.append(phrase)
    if kept:
        text = f"{text} ({'; '.join(kept)})"
    return ClinicalQuestion(text, question, tuple(terms), population, dropped, personal, restate(terms, population, personal))


# lay phrases that say who the question is about or what it fears, not what is done: not the restated intervention
_NOT_INTERVENTIONS = frozenset(("smoking tobacco", "myocardial infarction cardiovascular disease", "cardiovascular disease risk",
                                "abdominal", "urine", "recommended", "screening", "alcohol use", "primary teeth eruption infants children",
                                "asymptomatic"))


def restate(terms: tuple[str, ...] | list[str], population: Population, personal: bool) -> str | None:
    """A personal lay question as the clinical question a guideline answers: "Is colorectal cancer screening
    recommended for an adult aged 47 years?" (None when it is not personal or names no intervention in lay words)."""
    what = next((t for t in terms if t not in _NOT_INTERVENTIONS), None)
    if not personal or what is None:
        return None
    who = population_phrase(population) if not population.empty else ""
    article = "an" if who[:1].lower() in "aeiou" else "a"
    return f"Is {what} recommended" + (f" for {article} {who}" if who else "") + "?"
