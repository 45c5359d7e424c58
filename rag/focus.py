"""What a question asks, before retrieval: long consumer messages are reduced to the sentences that ask, and
clinician shorthand gets its expansions appended (pure functions; the small sentence model is plain numbers).

A message longer than ``min_chars`` is split into sentences; a logistic model over sentence features (fitted on
MeQSum consumer messages by ``training/focus.py``; ``rag/focus_model.json``) scores which sentences carry the
question. The best one or two are kept, with the sentence before a short question (which often names what "it"
is). The original message stays in the answer record.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from clinrag.text import content_terms, split_sentences, tokens
from rag.clinical_question import clinical_question

FOCUS_MODEL_FILE = Path(__file__).with_name("focus_model.json")

_WH = re.compile(r"^(?:what|how|why|when|where|which|who|whom|whose|is|are|can|could|should|do|does|did|will|would|"
                 r"may|might|must|shall|has|have|am)\b", re.I)
_ASK = re.compile(r"\b(?:i (?:want|would like|need|wish) to know|i(?:'m| am) (?:wondering|curious)|wonder(?:ing)? (?:if|whether)|"
                  r"please (?:tell|advise|let me know|help|explain|send)|looking for (?:information|info)|"
                  r"(?:any|need) (?:information|info|advice)|can you (?:tell|help|explain)|is there (?:a|any)|"
                  r"what (?:is|are|should|can)|how (?:do|can|long|much|many|often))\b", re.I)
_SOCIAL = re.compile(r"^(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|thanks?|thank you|regards|"
                     r"sincerely|best|cheers|sorry|god bless|appreciate)\b", re.I)
_FIRST_PERSON = {"i", "me", "my", "mine", "i'm", "myself", "we", "our", "us"}
_SUBJECT = re.compile(r"^\s*subject\s*:\s*(.*)$", re.I | re.M)

# our own list of common clinical shorthand and its expansion, appended to the query (not replacing it)
SHORTHAND = {
    "pt": "patient", "pts": "patients", "f/u": "follow-up", "d/c": "discharge", "hx": "history", "h/o": "history of",
    "dx": "diagnosis", "tx": "treatment", "rx": "prescription", "sx": "symptoms", "yo": "year old", "y/o": "year old",
    "w/": "with", "w/o": "without", "s/p": "status post", "c/o": "complains of", "bid": "twice daily",
    "tid": "three times daily", "qid": "four times daily", "qd": "once daily", "prn": "as needed", "po": "by mouth",
    "iv": "intravenous", "im": "intramuscular", "sc": "subcutaneous", "htn": "hypertension", "dm": "diabetes",
    "t2dm": "type 2 diabetes", "t1dm": "type 1 diabetes", "ckd": "chronic kidney disease", "afib": "atrial fibrillation",
    "cad": "coronary artery disease", "mi": "myocardial infarction", "hf": "heart failure", "chf": "heart failure",
    "copd": "chronic obstructive pulmonary disease", "uti": "urinary tract infection", "ed": "emergency department",
    "er": "emergency department", "cpg": "clinical practice guideline", "bp": "blood pressure", "pcp": "primary care",
    "tb": "tuberculosis", "ltot": "long-term opioid therapy", "mdv": "multi-dose vial", "sdv": "single-dose vial",
    "ppe": "personal protective equipment", "hcp": "health care personnel", "ip": "infection prevention",
    "si": "suicidal ideation", "ssri": "antidepressant", "nsaid": "anti-inflammatory", "nsaids": "anti-inflammatory drugs",
    "mfr": "manufacturer", "eval": "evaluation", "abx": "antibiotics", "vax": "vaccine", "imm": "immunization",
    "ltbi": "latent tuberculosis infection", "tst": "tuberculin skin test", "igra": "interferon gamma release assay",
    "ob": "obstetric", "gyn": "gynecology", "peds": "pediatric", "bmi": "body mass index",
    "a1c": "hemoglobin a1c", "ldl": "ldl cholesterol", "ef": "ejection fraction", "lvef": "left ventricular ejection fraction",
    "gfr": "glomerular filtration rate", "egfr": "estimated glomerular filtration rate", "mme": "morphine milligram equivalents",
    "cbt": "cognitive behavioral therapy", "ptsd": "posttraumatic stress disorder", "mdd": "major depressive disorder",
    "oud": "opioid use disorder", "aud": "alcohol use disorder", "sud": "substance use disorder", "std": "sexually transmitted",
    "sti": "sexually transmitted infection", "hpv": "human papillomavirus", "rec": "recommendation", "recs": "recommendations",
    "mo": "months", "wk": "weeks", "wks": "weeks", "hr": "hours", "hrs": "hours", "yr": "years", "yrs": "years",
    "1st": "first", "2nd": "second", "q": "every",
}


@dataclass(frozen=True)
class FocusedQuestion:
    text: str  # what retrieval, the gate and the drafter see
    original: str
    reduced: bool = False
    expansions: tuple[str, ...] = field(default_factory=tuple)
    clinical_terms: tuple[str, ...] = field(default_factory=tuple)  # added for lay words (rag/clinical_question.py)
    dropped: tuple[str, ...] = field(default_factory=tuple)  # attributes that do not change a recommendation
    restated: str | None = None  # a personal lay question as a clinical one, read when the gate refuses the text


def sentence_features(sentence: str, position: int, n_sentences: int) -> dict[str, float]:
    """Pure features of one sentence of a message (inputs of the focus model)."""
    s = sentence.strip()
    toks = tokens(s)
    first_person = sum(t in _FIRST_PERSON for t in toks)
    return {
        "question_mark": 1.0 if "?" in s else 0.0,
        "wh_start": 1.0 if _WH.match(s) else 0.0,
        "ask_phrase": 1.0 if _ASK.search(s) else 0.0,
        "social": 1.0 if _SOCIAL.match(s) else 0.0,
        "first_person": first_person / max(1, len(toks)),
        "content_terms": min(20, len(content_terms(s))) / 10.0,
        "length": min(60, len(toks)) / 30.0,
        "position": position / max(1, n_sentences - 1),
        "is_first": 1.0 if position == 0 else 0.0,
        "is_last": 1.0 if position == n_sentences - 1 else 0.0,
        "digits": 1.0 if re.search(r"\d", s) else 0.0,
    }


@lru_cache(maxsize=1)
def _focus_model(path: str = str(FOCUS_MODEL_FILE)) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def sentence_scores(sentences: list[str], model: dict | None = None) -> list[float]:
    model = model or _focus_model()
    out = []
    for i, s in enumerate(sentences):
        f = sentence_features(s, i, len(sentences))
        z = model["intercept"] + sum(model["coef"][k] * (f[k] - model["mean"][k]) / (model["scale"][k] or 1.0) for k in model["coef"])
        out.append(1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z)))))
    return out


def message_sentences(message: str) -> list[str]:
    text = _SUBJECT.sub(lambda m: m.group(1).strip().rstrip(".?!") + ".", message)
    text = re.sub(r"^\s*message\s*:\s*", "", text, flags=re.I | re.M)
    out = []
    for s, e in split_sentences(text):
        piece = " ".join(text[s:e].split())
        # split further at question marks and line-like breaks inside a run-on message
        out.extend(p.strip() for p in re.split(r"(?<=\?)\s+", piece) if p.strip())
    return out


def reduce_message(message: str, min_chars: int = 240, model: dict | None = None) -> tuple[str, bool]:
    """The sentences of a long message that ask the question (with the one before a short question)."""
    if len(message) <= min_chars:
        return message, False
    sentences = message_sentences(message)
    if len(sentences) <= 2:
        return message, False
    scores = sentence_scores(sentences, model)
    best = max(range(len(sentences)), key=lambda i: (scores[i], -i))
    keep = {best}
    second = sorted((i for i in range(len(sentences)) if i != best), key=lambda i: -scores[i])
    if second and scores[second[0]] >= 0.5:
        keep.add(second[0])
    if len(content_terms(sentences[best])) < 6 and best > 0:
        keep.add(best - 1)
    reduced = " ".join(sentences[i] for i in sorted(keep))
    return (reduced, True) if len(reduced) < len(message) else (message, False)


def expand_shorthand(question: str) -> tuple[str, tuple[str, ...]]:
    """The question with the expansions of the shorthand it uses appended: "pt f/u q3mo" -> "... (patient follow-up
    every)". Only whole tokens are matched; the original wording stays first."""
    found: list[str] = []
    for raw in re.findall(r"[A-Za-z0-9]+(?:/[A-Za-z0-9]*)?", question):
        low = raw.lower()
        if low in SHORTHAND:
            found.append(SHORTHAND[low])
        elif re.fullmatch(r"q\d+(?:h|hr|d|wk|mo|m|y)?", low):
            found.append("every")
    found = list(dict.fromkeys(f for f in found if f.lower() not in question.lower()))
    if not found:
        return question, ()
    return f"{question} ({', '.join(found)})", tuple(found)


def focus_question(message: str, min_chars: int = 240, clinical: bool = True) -> FocusedQuestion:
    """What the pipeline reads for ``message``: the asking sentences of a long message, shorthand expanded and, with
    ``clinical``, the clinical reading of a lay or personal question (religion, occupation and insurance dropped)."""
    text, reduced = reduce_message(message, min_chars)
    terms: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    restated = None
    if clinical:
        read = clinical_question(text)
        text, terms, dropped, restated = read.text, read.terms, read.dropped, read.restated
    text, expansions = expand_shorthand(text)
    return FocusedQuestion(text=text, original=message, reduced=reduced, expansions=expansions,
                           clinical_terms=terms, dropped=dropped, restated=restated)
