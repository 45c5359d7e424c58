"""Pure, seeded text transformations that make training pairs harder.

Question variants keep the question's meaning (the label stays): lay wording, misspellings, clinician
shorthand, and irrelevant patient details or greetings. Claim perturbations change what a sentence says
(MiniCheck-style): a changed number or unit, a flipped negation or direction, a swapped population, drug or
condition, or a dropped qualifier. Each perturbation returns ``None`` when it does not apply to the sentence.
The word lists are written for this project.
"""

from __future__ import annotations

import random
import re
from typing import Callable, Sequence

# clinical wording -> everyday wording (lay variants)
LAY_TERMS: dict[str, Sequence[str]] = {
    "hypertension": ["high blood pressure"],
    "hypertensive": ["with high blood pressure"],
    "myocardial infarction": ["heart attack"],
    "cerebrovascular accident": ["stroke"],
    "diabetes mellitus": ["diabetes", "sugar diabetes"],
    "hyperlipidemia": ["high cholesterol"],
    "dyslipidemia": ["cholesterol problems"],
    "hypercholesterolemia": ["high cholesterol"],
    "analgesics": ["painkillers"],
    "analgesic": ["painkiller"],
    "opioids": ["strong painkillers", "narcotics"],
    "opioid": ["narcotic"],
    "colorectal cancer": ["colon cancer"],
    "screening": ["checks", "testing"],
    "screened": ["checked", "tested"],
    "contraindicated": ["not safe"],
    "administer": ["give"],
    "administered": ["given"],
    "pediatric": ["children's"],
    "children": ["kids"],
    "infants": ["babies"],
    "older adults": ["elderly people", "seniors"],
    "pregnant women": ["women who are expecting"],
    "pregnancy": ["being pregnant"],
    "renal": ["kidney"],
    "hepatic": ["liver"],
    "cardiac": ["heart"],
    "pulmonary": ["lung"],
    "gastrointestinal": ["stomach"],
    "pharyngitis": ["sore throat"],
    "otitis media": ["ear infection"],
    "cystitis": ["bladder infection"],
    "urinary tract infection": ["bladder infection", "UTI"],
    "influenza": ["the flu"],
    "immunization": ["shot", "vaccine"],
    "vaccination": ["shots"],
    "acetaminophen": ["Tylenol"],
    "ibuprofen": ["Advil"],
    "osteoporosis": ["weak bones"],
    "obesity": ["being very overweight"],
    "neoplasm": ["tumor"],
    "malignancy": ["cancer"],
    "dyspnea": ["shortness of breath"],
    "edema": ["swelling"],
    "pruritus": ["itching"],
    "emesis": ["vomiting"],
    "syncope": ["fainting"],
    "fracture": ["broken bone"],
    "hemorrhage": ["bleeding"],
    "cessation": ["quitting"],
    "tobacco use": ["smoking"],
    "physician": ["doctor"],
    "clinicians": ["doctors"],
    "clinician": ["doctor"],
    "patients": ["people"],
    "patient": ["person"],
    "pharmacotherapy": ["medicine"],
    "medication": ["medicine", "pills"],
    "therapy": ["treatment"],
    "intervention": ["treatment"],
    "recommended": ["advised", "a good idea"],
    "initiate": ["start"],
    "initiation": ["starting"],
    "discontinue": ["stop"],
    "adverse effects": ["side effects"],
    "adverse events": ["side effects"],
    "asymptomatic": ["healthy", "with no symptoms"],
    "symptomatic": ["with symptoms"],
    "chronic": ["long-term"],
    "acute": ["sudden"],
    "abdominal": ["belly"],
    "lumbar": ["lower back"],
    "glucose": ["sugar"],
    "hypoglycemia": ["low blood sugar"],
    "hyperglycemia": ["high blood sugar"],
    "depression": ["feeling depressed"],
    "insomnia": ["trouble sleeping"],
    "postpartum": ["after giving birth"],
}
LAY_OPENERS = [
    "", "", "Quick question: ", "My doctor mentioned this. ", "I was wondering, ", "Can you tell me: ",
]

# our own clinician shorthand (phrase -> abbreviation)
SHORTHAND: dict[str, str] = {
    "patients": "pts", "patient": "pt", "with": "w/", "without": "w/o", "history of": "h/o", "follow-up": "f/u",
    "follow up": "f/u", "treatment": "tx", "diagnosis": "dx", "prescription": "rx", "symptoms": "sx",
    "years old": "yo", "year-old": "yo", "every": "q", "twice daily": "BID", "three times daily": "TID",
    "once daily": "QD", "as needed": "PRN", "blood pressure": "BP", "heart failure": "HF", "hypertension": "HTN",
    "diabetes": "DM", "type 2 diabetes": "T2DM", "chronic kidney disease": "CKD", "atrial fibrillation": "AF",
    "myocardial infarction": "MI", "coronary artery disease": "CAD", "urinary tract infection": "UTI",
    "emergency department": "ED", "primary care": "PCP", "intravenous": "IV", "intramuscular": "IM",
    "by mouth": "PO", "orally": "PO", "recommendation": "rec", "recommended": "rec'd", "guideline": "CPG",
    "tuberculosis": "TB", "human immunodeficiency virus": "HIV", "long-term opioid therapy": "LTOT",
    "discharge": "d/c", "first": "1st", "second": "2nd", "months": "mo", "weeks": "wk", "hours": "h",
    "pregnant": "preg", "versus": "vs", "low-density lipoprotein": "LDL", "body mass index": "BMI",
}

PATIENT_DETAILS = [
    "I'm a {age}-year-old {who}. ", "My {relative} is {age}. ", "For a {age}-year-old {who}, ",
    "{age} yo {sex}, otherwise healthy. ", "Hi, I'm {age} and {job}. ", "My {relative} ({age}) asked me: ",
]
CLOSERS = ["", "", " Thanks!", " Thank you in advance.", " Any advice appreciated."]
_WHO = ["woman", "man", "Black woman", "Hispanic man", "Asian woman", "white man", "grandmother", "veteran"]
_RELATIVE = ["dad", "mom", "husband", "wife", "grandfather", "sister", "son"]
_JOB = ["work as a teacher", "drive a truck for a living", "work night shifts", "am a retired nurse", "am a farmer"]

# claim perturbations
NEGATION_FLIPS: list[tuple[str, str]] = [
    (r"\bshould not\b", "should"), (r"\bshould\b", "should not"),
    (r"\bis not recommended\b", "is recommended"), (r"\bis recommended\b", "is not recommended"),
    (r"\bare not recommended\b", "are recommended"), (r"\bare recommended\b", "are not recommended"),
    (r"\brecommends against\b", "recommends"), (r"\brecommends\b", "recommends against"),
    (r"\bsuggests against\b", "suggests"), (r"\bsuggest against\b", "suggest"), (r"\bsuggests\b", "suggests against"),
    (r"\bdo not\b", "do"), (r"\bdoes not\b", "does"), (r"\bcannot\b", "can"), (r"\bcan\b", "cannot"),
    (r"\bmay not\b", "may"), (r"\bmay\b", "may not"), (r"\bis not\b", "is"), (r"\bare not\b", "are"),
    (r"\bis\b", "is not"), (r"\bare\b", "are not"), (r"\bincreases\b", "decreases"), (r"\bdecreases\b", "increases"),
    (r"\breduces\b", "increases"), (r"\bincreased\b", "decreased"), (r"\bdecreased\b", "increased"),
    (r"\bhigher\b", "lower"), (r"\blower\b", "higher"), (r"\bmore\b", "less"), (r"\bless\b", "more"),
    (r"\bbefore\b", "after"), (r"\bafter\b", "before"), (r"\bat least\b", "at most"), (r"\bno more than\b", "at least"),
    (r"\bsufficient\b", "insufficient"), (r"\binsufficient\b", "sufficient"), (r"\beffective\b", "ineffective"),
    (r"\bbenefit\b", "harm"), (r"\bsafe\b", "unsafe"),
]
POPULATION_SWAPS: list[tuple[str, str]] = [
    ("adults", "children"), ("children", "adults"), ("adolescents", "older adults"), ("older adults", "adolescents"),
    ("women", "men"), ("men", "women"), ("pregnant women", "postmenopausal women"), ("infants", "adolescents"),
    ("smokers", "nonsmokers"), ("nonsmokers", "smokers"), ("asymptomatic", "symptomatic"), ("symptomatic", "asymptomatic"),
    ("inpatients", "outpatients"), ("outpatients", "inpatients"), ("veterans", "children"), ("boys", "girls"),
    ("girls", "boys"), ("low-risk", "high-risk"), ("high-risk", "low-risk"), ("acute", "chronic"), ("chronic", "acute"),
]
UNIT_SWAPS: list[tuple[str, str]] = [
    (r"\bmg\b", "mcg"), (r"\bmcg\b", "mg"), (r"\bµg\b", "mg"), (r"\bg\b", "mg"), (r"\bmL\b", "L"), (r"\bml\b", "L"),
    (r"\bdays\b", "weeks"), (r"\bweeks\b", "months"), (r"\bmonths\b", "years"), (r"\byears\b", "months"),
    (r"\bhours\b", "days"), (r"\bminutes\b", "hours"), (r"\bdaily\b", "weekly"), (r"\bweekly\b", "daily"),
    (r"\bmg/kg\b", "mg"), (r"\bunits\b", "mg"), (r"%", " mg"),
]
QUALIFIER_DROPS: list[str] = [
    r",? (?:only )?(?:in|for|among) (?:patients|adults|children|women|men|people|those|persons|individuals)"
    r"(?: [\w-]+){0,6}(?= [a-z]+ |[,.;])",
    r",? (?:aged|ages) \d+(?: to | through |-|–)\d+(?: years)?",
    r",? who (?:are|have|do) [^,.;]{3,60}",
    r",? (?:unless|except|if|when) [^,.;]{3,80}",
    r"\bselectively\b ?", r"\bonly\b ?", r"\bgenerally\b ?", r"\busually\b ?",
]


def _replace_once(text: str, pattern: str, replacement: str) -> str | None:
    new, n = re.subn(pattern, replacement, text, count=1, flags=re.I)
    return new if n and new != text else None


# ----------------------------------------------------------------------------- question variants
def lay_variant(question: str, rng: random.Random) -> str | None:
    """Clinical terms replaced by everyday words (needs at least one replaceable term)."""
    out, changed = question, 0
    for term in sorted(LAY_TERMS, key=len, reverse=True):
        if re.search(rf"\b{re.escape(term)}\b", out, re.I):
            out = re.sub(rf"\b{re.escape(term)}\b", rng.choice(LAY_TERMS[term]), out, count=1, flags=re.I)
            changed += 1
    if not changed:
        return None
    opener = rng.choice(LAY_OPENERS)
    return (opener + out[0].lower() + out[1:]) if opener else out


def misspell(question: str, rng: random.Random, n_words: int = 2) -> str | None:
    """One to ``n_words`` words of five or more letters get a typo (dropped, doubled, swapped or wrong letter)."""
    words = list(re.finditer(r"[A-Za-z]{5,}", question))
    if not words:
        return None
    out = question
    for match in sorted(rng.sample(words, min(len(words), rng.randint(1, n_words))), key=lambda m: -m.start()):
        w = match.group()
        i = rng.randrange(1, len(w) - 1)
        op = rng.randrange(4)
        if op == 0:
            typo = w[:i] + w[i + 1 :]
        elif op == 1:
            typo = w[:i] + w[i] + w[i:]
        elif op == 2:
            typo = w[: i - 1] + w[i] + w[i - 1] + w[i + 1 :]
        else:
            typo = w[:i] + rng.choice("aeiou") + w[i + 1 :]
        out = out[: match.start()] + typo + out[match.end() :]
    return out if out != question else None


def shorthand(question: str, rng: random.Random) -> str | None:
    """Clinician shorthand: phrases abbreviated, articles dropped."""
    out, changed = question, 0
    for phrase in sorted(SHORTHAND, key=len, reverse=True):
        if re.search(rf"\b{re.escape(phrase)}\b", out, re.I) and rng.random() < 0.8:
            out = re.sub(rf"\b{re.escape(phrase)}\b", SHORTHAND[phrase], out, flags=re.I)
            changed += 1
    if not changed:
        return None
    out = re.sub(r"\b(?:the|a|an) ", "", out, flags=re.I)
    return out[0].upper() + out[1:] if out else None


def with_patient_details(question: str, rng: random.Random) -> str:
    """Irrelevant patient attributes or a greeting around the question; the answer does not change."""
    detail = rng.choice(PATIENT_DETAILS).format(
        age=rng.randint(19, 88), who=rng.choice(_WHO), relative=rng.choice(_RELATIVE), job=rng.choice(_JOB),
        sex=rng.choice(["F", "M"]),
    )
    q = question[0].lower() + question[1:] if detail.endswith(", ") else question
    return (detail + q + rng.choice(CLOSERS)).strip()


QUESTION_VARIANTS: dict[str, Callable[[str, random.Random], str | None]] = {
    "lay": lay_variant,
    "misspelled": misspell,
    "shorthand": shorthand,
    "patient_details": with_patient_details,
}


# ----------------------------------------------------------------------------- claim perturbations
def change_number(sentence: str, rng: random.Random) -> str | None:
    numbers = list(re.finditer(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.]*\d)", sentence))
    if not numbers:
        return None
    m = rng.choice(numbers)
    value = float(m.group())
    candidates = {value * 2, value + 1, value * 10, max(0.0, value - 1), value / 2, value + 5}
    candidates.discard(value)
    new = rng.choice(sorted(candidates))
    text = str(int(new)) if new == int(new) and "." not in m.group() else f"{new:g}"
    if text == m.group():
        return None
    return sentence[: m.start()] + text + sentence[m.end() :]


def swap_unit(sentence: str, rng: random.Random) -> str | None:
    options = [(p, r) for p, r in UNIT_SWAPS if re.search(p, sentence)]
    if not options:
        return None
    p, r = rng.choice(options)
    return _replace_once(sentence, p, r)


def flip_negation(sentence: str, rng: random.Random) -> str | None:
    for pattern, replacement in NEGATION_FLIPS:
        if re.search(pattern, sentence, re.I):
            return _replace_once(sentence, pattern, replacement)
    return None


def flip_recommendation(sentence: str, rng: random.Random) -> str | None:
    """Negate the recommendation verb only (should / is recommended / recommends / suggests / do not)."""
    for pattern, replacement in NEGATION_FLIPS[:14]:
        if re.search(pattern, sentence, re.I):
            return _replace_once(sentence, pattern, replacement)
    return None


def swap_population(sentence: str, rng: random.Random) -> str | None:
    options = [(a, b) for a, b in POPULATION_SWAPS if re.search(rf"\b{re.escape(a)}\b", sentence, re.I)]
    if not options:
        return None
    a, b = rng.choice(options)
    return _replace_once(sentence, rf"\b{re.escape(a)}\b", b)


def swap_term(sentence: str, vocabulary: Sequence[str], rng: random.Random) -> str | None:
    """Replace a drug or condition named in the sentence by another one from ``vocabulary``."""
    present = [t for t in vocabulary if re.search(rf"\b{re.escape(t)}\b", sentence, re.I)]
    if not present:
        return None
    term = rng.choice(present)
    others = [t for t in vocabulary if t.lower() != term.lower() and t.lower() not in sentence.lower()]
    if not others:
        return None
    return _replace_once(sentence, rf"\b{re.escape(term)}\b", rng.choice(others))


def drop_qualifier(sentence: str, rng: random.Random) -> str | None:
    """Remove a restriction (population, age range, condition, 'only'): the claim becomes broader than the text."""
    for pattern in rng.sample(QUALIFIER_DROPS, len(QUALIFIER_DROPS)):
        new = _replace_once(sentence, pattern, "")
        if new and len(new) < len(sentence) - 3:
            return re.sub(r"\s{2,}", " ", new).strip()
    return None
