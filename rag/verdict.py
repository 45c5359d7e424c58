"""Pure yes/no verdict decision from the reader's verdict probabilities over the answer's evidence sentences.

A verdict is stated only for a yes/no question, only when one piece of evidence gives yes (or no) a probability
of at least the threshold, and never when another piece of evidence says the opposite with that confidence.
Otherwise the answer quotes the evidence without a verdict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from clinrag.text import content_terms
from rag.asked_constraints import affirms_what_question_rules_out, negated_terms, unmet_constraint
from rag.clinical_question import is_personal, lay_groups
from rag.dose_fit import dose_fit
from rag.population import Population, population_fit
from rag.question_kind import asked_part
from rag.recommendation import AGAINST, FOR, INDIVIDUAL, INSUFFICIENT, VERDICT_OF, Recommendation

YES, NO, NOT_STATED = 0, 1, 2


@dataclass(frozen=True)
class VerdictDecision:
    verdict: str | None  # "yes", "no" or None
    confidence: float  # the larger of P(yes), P(no) on the deciding evidence
    evidence: int | None  # index of the deciding evidence
    reason: str


# Wording that makes a recommendation conditional or individual (USPSTF grade C "selectively offer", "the decision
# should be an individual one", "may be considered", "insufficient evidence"): a plain yes or no would overstate it.
CONDITIONAL = re.compile(
    r"\b(individual(?:ly|i[sz]ed)?|selective(?:ly)?|shared decision|may (?:be )?(?:considered|consider|offer|reasonable)|"
    r"can be considered|is reasonable|insufficient (?:evidence|to assess)|depending on|case[- ]by[- ]case|"
    r"taking into account|weigh(?:ing)? the (?:benefits|risks|harms))\b",
    re.IGNORECASE,
)


def conditional_wording(sentence: str) -> str | None:
    """The words that make ``sentence`` a conditional or individual recommendation (None when there are none)."""
    found = CONDITIONAL.search(sentence or "")
    return found.group(0) if found else None


_NO_FINDING = re.compile(
    r"^(?:(?:background|objectives?|purpose|aims?|introduction|methods?|design|setting|participants|context|hypothes[ie]s|"
    r"study design|materials? and methods)\s*[:.]"
    r"|(?:the\s+)?(?:primary\s+|main\s+)?(?:aim|purpose|objective|goal)s?\s+of\s+(?:this|the|our|the present)\s+"
    r"(?:study|trial|review|analysis|work)\b"
    r"|to\s+(?:determine|explore|test|investigate|evaluate|assess|examine|compare|describe|report|identify|study|analy[sz]e)\b"
    r"|we\s+(?:hypothesi[sz]ed|aimed|sought|set\s+out)\b"
    r"|(?:this|the present|our)\s+study\s+(?:aimed|aims|sought|investigated|examined|evaluated|explored|was designed)\b)"
    r"|\bit\s+(?:is|was|remains)\s+(?:not\s+known|unknown|unclear)(?:,\s*however,)?\s+(?:whether|if)\b",
    re.I,
)


def states_no_finding(sentence: str) -> bool:
    """Whether a sentence states a study's aim, background, hypothesis or methods rather than a finding ("OBJECTIVE:
    To test if secular growth acceleration occurs during fetal life."): never the evidence for a yes or a no."""
    return bool(_NO_FINDING.search(sentence.strip()))


def decide_verdict(
    probabilities: Sequence[Sequence[float]], threshold: float, sentences: Sequence[str] | None = None
) -> VerdictDecision:
    """``sentences`` (the evidence texts, in the order of ``probabilities``), when given, let a conditional
    recommendation withhold the verdict even when the reader is confident."""
    if not len(probabilities):
        return VerdictDecision(None, 0.0, None, "no evidence to judge")
    # a sentence that says what a study set out to do, or its background, states no finding to decide on
    findings = [i for i in range(len(probabilities)) if sentences is None or i >= len(sentences) or not states_no_finding(sentences[i])]
    if not findings:
        return VerdictDecision(None, 0.0, None, "the evidence states what a study set out to do, not what it found")
    best_i, best_label, best_p = None, None, -1.0
    for i in findings:
        row = probabilities[i]
        label = YES if row[YES] >= row[NO] else NO
        p = float(row[label])
        if p > best_p:
            best_i, best_label, best_p = i, label, p
    opposite = NO if best_label == YES else YES
    if any(float(probabilities[i][opposite]) >= max(threshold, 0.5) for i in findings):
        return VerdictDecision(None, best_p, None, "the evidence points both ways")
    if best_p < threshold:
        return VerdictDecision(None, best_p, best_i, "the evidence does not state yes or no with confidence")
    if sentences is not None and best_i is not None and best_i < len(sentences):
        hedge = conditional_wording(sentences[best_i])
        if hedge:
            return VerdictDecision(None, best_p, best_i, f"the evidence makes it a conditional or individual decision ({hedge!r})")
    return VerdictDecision("yes" if best_label == YES else "no", best_p, best_i, "stated by the evidence")


# ----------------------------------------------------------------------------------------------- recommendations
# words of a question that say it is a question, or name the asker or the guideline, not what is recommended
_GENERIC = frozenset(content_terms(
    "does do is are should would could can recommend recommended recommendation grade give gives say says uspstf task "
    "force usptf guideline statement statements support supported suggest advise clinician clinicians doctor provider "
    "need needs still get getting take taking use start offer routine routinely year years old aged age adult adults "
    "man men woman women mom mum dad father mother son daughter grandpa grandma child children my he she his her "
    "i im me anyway yet now time actually supposed worthwhile okay ok safe someone whether patient patients person "
    "people screen screening test tested testing checked check checks yo pt pts sx hx fu visit visits current guidance"
))
_NEGATIVE_ASK = re.compile(r"\b(?:avoid\w*|not|n't|stop\w*|discontinu\w*|withh[oe]ld\w*|held back|contraindicat\w*|harm\w*|unsafe|"
                           r"dangerous|skip\w*|against|no longer|without)\b", re.I)
# "men who do not express a preference": a negation inside a relative clause names the group, it does not put
# the question in the negative
_RELATIVE_NEGATION = re.compile(r"\b(?:who|that|which)\s+(?:do|does|did|are|is|have|has|had|were|was|can|could)\s*(?:not|n't)\b", re.I)
# "once a person has not smoked for 15 years": a negation inside the clause that sets the condition is not the ask
_CONDITION_CLAUSE = re.compile(r"\b(?:once|if|when|whenever|after|until|unless|since|because)\b[^,;?]*", re.I)
_AGAINST_ASK = re.compile(r"\b(?:recommend\w*|advis\w*|suggest\w*)\s+against\b", re.I)
_COMPARATIVE = re.compile(r"\b(?:over|rather than|instead of|in preference to|versus|vs\.?|compared with|more than|better than)\b|,\s*not\b", re.I)
# everyday words of a lay or personal question that never name what is asked about ("my friend says", "I feel fine")
_FILLER = frozenset(content_terms(
    "friend friends says said told tell telling feel feels feeling felt fine great good well totally really quite "
    "just small tiny went go goes gone don doesn didn live lives living home day days iu mg mcg ml pretty very fairly seem seems seemed turned turns nobody anybody somebody anyone everyone since ago want "
    "wants wanted wondering wonder worried worry think thought know knew heard hear keep keeps kept going trying "
    "try lately recently sure thing things okay fine anything something everything whatever maybe probably "
    "already also even though still much many lot lots bit little big every last next first best wife husband "
    "partner grandson granddaughter sister brother aunt uncle family kid kids baby teen teenager boyfriend "
    "girlfriend midwife nurse pediatrician physician gp send sent sends wants asks asked ask help helps helpful work works "
    "least most more less other another some each chance chances odds worked figured calculated"
))
MIN_TOPIC_OVERLAP = 0.5
_NEAR = 4  # terms on each side of a comparison that name what is compared
# a question about whom a statement applies to is not a question about doing something
_APPLICABILITY_ASK = re.compile(r"\b(?:apply|applies|cover (?:a|an)\b|covers (?:a|an)\b)", re.I)
# "who are not on dialysis", "without calculating risk": the sentence excludes what the question names
_EXCLUSION = re.compile(r"\b(?:not on|not receiving|not taking|without|who do not have|who does not have|who are not|who have not|except)\s+((?:\S+\s+){0,2}\S+)", re.I)
_STOP = re.compile(r"\b(?:should|must|can|may)\s+(?:then\s+)?(?:be\s+)?(?:discontinued|stopped|ceased)\b|^\s*(?:discontinue|stop)\b", re.I)
# "Should screening be stopped once ...?": the question asks whether to stop, which a stop recommendation answers
_STOP_ASK = re.compile(r"^\s*(?:should|must|can|may|is it (?:ok|okay|safe|reasonable) to)\b[^?]*?\b(?:be\s+)?(?:stopped|discontinued|ceased|stop|discontinue)\b", re.I)
# "Should imaging be held back unless there are red flags?" asks whether X is to be kept for some cases, which "X should be
# reserved for patients with red flags" answers; a plain recommendation for X does not
_RESERVE_ASK = re.compile(r"\b(?:held back|withheld|reserved|saved|kept)\s+(?:unless|until|except|for|only)\b|"
                          r"\bonly\s+(?:be\s+)?(?:used|given|done|performed|ordered|offered)\s+(?:if|when|for|in)\b", re.I)
_RESERVE_STATED = re.compile(r"\b(?:should|must|is|are)\s+(?:be\s+)?(?:reserved|limited|restricted)\s+(?:for|to)\b|"
                             r"\bshould\s+only\s+be\b|\bonly\s+(?:be\s+)?(?:used|given|performed|considered)\s+(?:if|when|in|for)\b", re.I)
_RECOMMEND_ASK = re.compile(r"^\s*(?:does|do|did|would)\b.*\brecommend\b|^\s*(?:is|are)\b.*\b(?:recommended|advised|suggested)\b", re.I)


def excludes_asked(question: str, sentence: str) -> bool:
    """Whether the sentence excludes something the question names ("not on dialysis" for a question on dialysis)."""
    asked = set(content_terms(question)) - _GENERIC - negated_terms(question)  # "with no other cause" is not excluded by "without other cause"
    return any(set(content_terms(m.group(1))) & asked for m in _EXCLUSION.finditer(sentence))


@dataclass(frozen=True)
class RecommendationVerdict:
    """What the recommendation sentences say to a yes/no question. ``verdict`` is None when no recommendation
    addresses the question's intervention and population; ``other_groups`` then lists the groups the guideline
    does address, as (population, what it says) pairs."""

    verdict: str | None
    index: int | None
    recommendation: Recommendation | None
    reason: str
    other_groups: tuple[tuple[str, str], ...] = ()
    unmet: str | None = None  # the question's condition or intervention no recommendation found speaks of


def topic_units(question: str) -> tuple[set[str], list]:
    """The question's topic: single terms (less generic question words, and in a personal question everyday filler)
    and lay phrases."""
    groups = lay_groups(question)
    covered = set().union(*(g.lay | g.clinical for g in groups)) if groups else set()
    filler = _FILLER if is_personal(question) else frozenset()
    singles = {t for t in content_terms(question) if t not in _GENERIC and t not in filler and not t.isdigit()} - covered
    return singles, groups


def unmentioned_terms(question: str, passages: Sequence[str]) -> list[str]:
    """Topic terms of at least five letters that no passage mentions, even inside a longer word: the question asks about something the
    evidence does not discuss ("acupuncture" above passages on exercise), so no recommendation answers it."""
    singles, _ = topic_units(question)
    have = set(content_terms(" ".join(passages)))

    def mentioned(term: str) -> bool:  # "symptom" is mentioned by "asymptomatic"
        return term in have or any(term in h or (len(h) >= 5 and h in term) for h in have)

    return sorted(t for t in singles if len(t) >= 5 and t.isalpha() and t not in _FILLER and not mentioned(t))


def topic_overlap(question: str, sentence: str, context: str = "") -> float:
    """The share of the question's topic (what it asks about, not how it asks) that the sentence, or the title and
    section it stands under, contains. The topic is its terms less generic question words and everyday filler, with
    each lay phrase ("Pap smears") one unit, met by any specific clinical term it stands for ("cervical")."""
    singles, groups = topic_units(question)
    units = len(singles) + sum(1 for g in groups if g.specific)
    if not units:
        return 0.0
    have = set(content_terms(f"{sentence} {context}"))
    return (len(singles & have) + sum(1 for g in groups if g.specific & have)) / units


def addresses_topic(question: str, sentences: Sequence[str], contexts: Sequence[str]) -> bool:
    """Whether any sentence (with the title and section it stands under) holds ``MIN_TOPIC_OVERLAP`` of the question's
    topic."""
    return any(topic_overlap(asked_part(question), s, c) >= MIN_TOPIC_OVERLAP for s, c in zip(sentences, contexts))


_PREFERENCE = re.compile(r"\b(?:rather than|instead of|in preference to)\b", re.I)


def asks_dispreferred(question: str, sentence: str) -> bool | None:
    """For a sentence that prefers one course to another ("selectively offer screening ... rather than routinely
    screening all men in this group") and a question that compares nothing: True when the question asks about the
    course the sentence puts second ("routinely screening all men ..."), False when it asks about the one it
    prefers, None when it cannot be told (or the sentence prefers nothing)."""
    s = _PREFERENCE.search(sentence)
    if not s or _COMPARATIVE.search(question):
        return None
    asked = set(content_terms(question))
    preferred, second = set(content_terms(sentence[: s.start()])), set(content_terms(sentence[s.end():]))
    only_second = {t for t in (second - preferred) & asked if len(t) >= 4 and t.isalpha()}
    only_preferred = (preferred - second) & asked
    if only_second:  # the question's own words for the course ("routinely") are the ones the sentence puts second
        return True
    if only_preferred - _GENERIC and not only_second:
        return False
    return None


def _comparison_agrees(question: str, sentence: str) -> bool:
    """A sentence that prefers one thing over another answers only a question that compares the same way round
    (or, with ``asks_dispreferred``, one that asks about either course on its own)."""
    s = _COMPARATIVE.search(sentence)
    if not s:
        return True
    if asks_dispreferred(question, sentence) is not None:
        return True
    q = _COMPARATIVE.search(question)
    if not q:
        return False
    # only the words next to the comparison say what is preferred to what ("When starting opioids for chronic pain,
    # does it recommend X rather than Y": the opening clause stands on the left in both, whichever way round)
    q_left = {t for t in content_terms(question[: q.start()])[-_NEAR:] if t not in _GENERIC}
    q_right = {t for t in content_terms(question[q.end():])[:_NEAR] if t not in _GENERIC}
    s_left, s_right = set(content_terms(sentence[: s.start()])[-_NEAR:]), set(content_terms(sentence[s.end():])[:_NEAR])
    same = len(q_left & s_left) + len(q_right & s_right)
    swapped = len(q_left & s_right) + len(q_right & s_left)
    return same > swapped


_PREGNANCY_INCLUDED = re.compile(r"\b(?:including|and|or|as well as|whether or not they are)\s+(?:in\s+)?pregnan|"
                                 r"\bpregnant (?:and|or) (?:nonpregnant|non-pregnant)\b", re.I)


# the sentence is about pregnant persons ("clients who might want to get pregnant in the future" is not)
_PREGNANT_GROUP = re.compile(r"\bpregnant (?:persons?|women|woman|people|individuals|adolescents|patients|clients|girls)\b|"
                             r"\b(?:in|during) pregnancy\b|\bprenatal\b|\bantenatal\b|\bgestation", re.I)


def _pregnancy_only(asked: Population, rec: Recommendation, sentence: str) -> bool:
    """A recommendation for pregnant persons only does not answer a question that does not say the person is pregnant
    (a plain "yes" to "Is behavioural counselling recommended to help me quit?" from the one on pregnancy); one for
    "adults, including pregnant persons" does."""
    pop = rec.population_record
    return (pop is not None and pop.pregnant is True and asked.pregnant is None and not asked.postpartum
            and bool(_PREGNANT_GROUP.search(sentence)) and not _PREGNANCY_INCLUDED.search(sentence))


def what_it_says(rec: Recommendation) -> str:
    words = {"for": "recommended", "against": "recommended against", "individual": "an individual decision",
             "insufficient": "insufficient evidence"}[rec.direction]
    return f"{words} ({rec.grade})" if rec.grade else words


def recommendation_verdict(
    question: str,
    asked: Population,
    sentences: Sequence[str],
    recommendations: Sequence[Recommendation | None],
    contexts: Sequence[str] = (),
    passages: Sequence[str] | None = None,
) -> RecommendationVerdict | None:
    """The verdict the recommendation sentences give a yes/no question about doing, offering, screening or
    recommending something, or None when the question is not of that kind or no sentence is a recommendation.

    A sentence counts only when it addresses the question's intervention (at least ``MIN_TOPIC_OVERLAP`` of its topic
    terms, in the sentence or its title and section) and population (no mismatch of age band, sex, pregnancy or
    smoking history). For -> "yes", against -> "no", individual -> "it depends", insufficient -> "insufficient
    evidence"; a question that asks whether something is recommended *against* reads the other way round, and a
    question put in the negative ("should X be avoided?") is left to the reader. With ``passages`` (the shown
    evidence), a topic term of a personal question that none of them mentions means no recommendation answers it."""
    flip = bool(_AGAINST_ASK.search(question))
    asked_text = asked_part(question)
    stop_ask = bool(_STOP_ASK.search(_CONDITION_CLAUSE.sub(" ", asked_text)))
    reserve_ask = bool(_RESERVE_ASK.search(asked_text))
    if not flip and not stop_ask and not reserve_ask and _NEGATIVE_ASK.search(_CONDITION_CLAUSE.sub(" ", _RELATIVE_NEGATION.sub("who", asked_text))) or _APPLICABILITY_ASK.search(asked_text):
        return None
    contexts = list(contexts) + [""] * (len(sentences) - len(contexts))
    # a personal question's topic drops everyday filler, so a term no passage mentions must not be the one it asks about
    if passages is not None and is_personal(question) and unmentioned_terms(question, list(passages) + list(contexts)):
        return None
    eligible: list[tuple[float, float, int]] = []
    mismatched: list[int] = []
    unmet: list[str] = []
    for i, (sentence, rec) in enumerate(zip(sentences, recommendations)):
        if rec is None:
            continue
        overlap = topic_overlap(question, sentence, contexts[i])
        if (overlap < MIN_TOPIC_OVERLAP or not _comparison_agrees(question, sentence) or excludes_asked(asked_text, sentence)
                or affirms_what_question_rules_out(asked_text, sentence)):  # "adults who are obese" for "without obesity"
            continue
        fit = population_fit(asked, rec.population_record) if rec.population_record is not None else 0.0
        if fit <= -1.0 or _pregnancy_only(asked, rec, sentence) or dose_fit(asked_text, sentence) < 0:
            mismatched.append(i)  # another group, or a dose range that leaves out the question's dose
            continue
        missing = unmet_constraint(asked_text, sentence, contexts[i])
        if missing:  # "for patients with AF" does not answer a question on AF with a mechanical heart valve
            unmet.append(missing)
            continue
        eligible.append((fit, overlap, i))
    if not eligible:
        if mismatched:
            groups = tuple((recommendations[i].population or "another group", what_it_says(recommendations[i])) for i in mismatched)
            return RecommendationVerdict(None, None, None, "the guideline addresses other groups than the one asked about", groups)
        if unmet:
            return RecommendationVerdict(None, None, None, f"no recommendation found speaks of {unmet[0]!r}", unmet=unmet[0])
        return None
    fit, overlap, i = max(eligible, key=lambda t: (t[1] + 0.25 * t[0], -t[2]))
    rec = recommendations[i]
    direction = rec.direction
    if direction in (FOR, INDIVIDUAL) and asks_dispreferred(asked_text, sentences[i]):
        return RecommendationVerdict("no", i, rec, "the guideline prefers another course to the one asked about: "
                                     f"{_PREFERENCE.search(sentences[i]).group(0)!r}")
    if reserve_ask:  # only a recommendation to keep it for some cases answers whether to keep it for them: yes
        return (RecommendationVerdict("yes", i, rec, f"the recommendation keeps it for some cases: {_RESERVE_STATED.search(sentences[i]).group(0)!r}")
                if direction == FOR and _RESERVE_STATED.search(sentences[i]) else None)
    if stop_ask:  # only a recommendation to stop answers whether to stop: yes
        return (RecommendationVerdict("yes", i, rec, f"the recommendation is to stop: {_STOP.search(sentences[i]).group(0)!r}")
                if direction == FOR and _STOP.search(sentences[i]) else None)
    if direction == FOR and _STOP.search(sentences[i]) and not flip:
        # "Screening should be discontinued once ..." answers "Should screening continue once ...?": no
        return RecommendationVerdict("no", i, rec, f"the recommendation is to stop: {_STOP.search(sentences[i]).group(0)!r}")
    if flip and direction in (FOR, AGAINST):
        direction = AGAINST if direction == FOR else FOR
    elif flip:
        return RecommendationVerdict(VERDICT_OF[direction], i, rec, f"the recommendation is {what_it_says(rec)}")
    if direction == INSUFFICIENT and _RECOMMEND_ASK.search(asked_text):
        # "Does the USPSTF recommend X?" / "Is X recommended?" when it finds the evidence insufficient: it does not
        return RecommendationVerdict("no", i, rec, "the guideline makes no recommendation: the evidence is insufficient")
    return RecommendationVerdict(VERDICT_OF[direction], i, rec, f"the recommendation states it: {rec.cue!r}"
                                 + (f" ({rec.grade})" if rec.grade else ""))


# ------------------------------------------------------------------------------------- comparative findings
_ASKED_BETTER = re.compile(r"\b(?:do|does|did|is|are|was|were|would)\b\s+(?P<x>.+?)\s+(?:do|work|perform|fare)?\s*"
                           r"(?:better|more effective|superior|work better)\s+(?:than|to)\s+(?P<y>.+?)(?:\s+(?:at|for|in|after|over|when)\b|[?,]|$)", re.I)
_STATED_BETTER = re.compile(r"(?P<x>.+?)\b(?:results? in|resulted in|gives?|gave|produces?|produced|provides?|provided|leads? to|led to|"
                            r"is|are|was|were)\s+(?:\w+\s+){0,4}?(?:better|more effective|superior|greater improvements?)\b"
                            r"(?P<mid>.*?)\b(?:than|to|compared with)\s+(?P<y>.+)", re.I)
# guideline evidence statements ("There is good evidence that ..."), not a trial's result in an abstract
_EVIDENCE_STATEMENT = re.compile(r"\b(?:good|strong|some|fair|moderate)\s+evidence\b", re.I)
_HEDGED = re.compile(r"\b(?:no|not|insufficient|lack\w*|conflicting|unclear|inconclusive|neither|nor|equivalent|similar)\b", re.I)


_SHOT_WORDS = frozenset(content_terms("shot shots jab jabs injection injections pill pills treatment"))


def comparison_verdict(question: str, sentence: str) -> str | None:
    """"yes" when a guideline's evidence statement says what the question asks is better than what it compares it
    with, the same way round ("There is good evidence that ... platelet-rich plasma injections result in better pain
    and functional outcomes after 1 year than steroid injections" for "do platelet rich plasma shots do better than
    steroid shots at 1 year?"); None otherwise (a negated, hedged or reversed comparison is left to the reader)."""
    q = _ASKED_BETTER.search(question)
    s = _STATED_BETTER.search(sentence)
    if not q or not s or not _EVIDENCE_STATEMENT.search(sentence) or _HEDGED.search(sentence):
        return None

    def said(phrase: str, text: str) -> bool:  # half the phrase's terms ("shots" says nothing of what is injected)
        terms = {t for t in content_terms(phrase) if t not in _GENERIC} - _SHOT_WORDS
        return bool(terms) and len(terms & set(content_terms(text))) >= max(1, (len(terms) + 1) // 2)

    x, y = q.group("x"), q.group("y")
    left, right = s.group("x"), s.group("y")
    if said(x, left) and said(y, right) and not said(y, left.split(",")[-1]):
        return "yes"
    return None
