"""Yes/no answers and questions by rule from the wording of a recommendation sentence: its polarity
(``verdict_label``) and the questions it answers (``templated_yesno``)."""

from __future__ import annotations

import re

from training.pairs.common import NO, NOT_STATED, YES

_UNSTATED = re.compile(
    r"insufficient|\bI statement|cannot (?:be )?determined?|unable to (?:recommend|determine)|no recommendation|"
    r"unclear|uncertain|selectively|individuali[sz]ed|professional judgment|shared decision", re.I)
_AGAINST = re.compile(
    r"recommends? against|suggests? against|should not|not recommended|\bdo not\b|does not recommend|not indicated|"
    r"\bavoid|contraindicated|discourage|not be (?:used|offered|performed|routinely|prescribed|given)|\bno evidence\b", re.I)
_FOR = re.compile(
    r"\brecommend(?:s|ed)?\b|\bshould\b|\bsuggest(?:s|ed)?\b|\bis indicated\b|\bconsider(?:ed)?\b|"
    r"\bmay be (?:used|offered|considered|given)\b|\bis effective\b|\bfirst-line\b|\bpreferred\b", re.I)
_QUESTION_AGAINST = re.compile(r"\bnot\b|\bavoid|\bagainst\b|\bwithhold|\bstop\b|n't\b", re.I)


def verdict_label(question: str, sentence: str) -> int | None:
    """YES, NO or NOT_STATED from the polarity of a recommendation sentence (None when it has none)."""
    if _UNSTATED.search(sentence):
        return NOT_STATED
    polarity = NO if _AGAINST.search(sentence) else (YES if _FOR.search(sentence) else None)
    if polarity is None:
        return None
    if _QUESTION_AGAINST.search(question):
        polarity = YES if polarity == NO else NO
    return polarity


_LEAD = re.compile(r"^(?:In|For|Among|When|If|After|Before|During|Once|Because|Although|While|Unless|Given)\b", re.I)
_SUBJECT_MAX_WORDS = 14


def _question_case(text: str) -> str:
    return text if re.match(r"^[A-Z]{2,}", text) else text[:1].lower() + text[1:]


def templated_yesno(sentence: str) -> list[tuple[str, int]]:
    """Yes/no questions a recommendation sentence answers, by rule: 'X recommends (against) Y' -> 'Does X recommend
    Y?'; 'X should (not) Y' -> 'Should X Y?'; 'X is (not) recommended' -> 'Is X recommended?'; an insufficient-
    evidence statement -> 'Does X recommend Y?' with the answer not stated. Returns (question, label) pairs."""
    s = " ".join(sentence.split()).rstrip(" .;:")
    if len(s) > 300 or "?" in s:
        return []
    out: list[tuple[str, int]] = []
    m = re.match(r"^(?P<subj>(?:the )?[\w/&().,' -]{2,80}?)\s+concludes that the (?:current )?evidence is insufficient to assess "
                 r"the balance of benefits and harms of (?P<obj>.+)$", s, re.I)
    if m:
        subj = m.group("subj").strip()
        return [(f"Does {_question_case(subj)} recommend {m.group('obj')}?", NOT_STATED)]
    m = re.match(r"^(?P<subj>.{2,120}?)\s+(?P<verb>recommends|suggests|recommend|suggest)\s+(?P<neg>against\s+)?(?P<obj>.{8,})$", s, re.I)
    if m and len(m.group("subj").split()) <= _SUBJECT_MAX_WORDS and not _LEAD.match(m.group("subj")):
        verb = m.group("verb").lower().rstrip("s")
        out.append((f"Does {_question_case(m.group('subj'))} {verb} {m.group('obj')}?" if not m.group("verb").lower().endswith("d")
                    else f"Do {_question_case(m.group('subj'))} {verb} {m.group('obj')}?", NO if m.group("neg") else YES))
    m = re.match(r"^(?P<subj>.{2,160}?)\s+should\s+(?P<neg>not\s+)?(?P<rest>.{6,})$", s, re.I)
    if m:
        subj = m.group("subj")
        lead, _, core = subj.rpartition(", ")
        if len(core.split()) <= _SUBJECT_MAX_WORDS and not _LEAD.match(core):
            q = f"Should {_question_case(core)} {m.group('rest')}?"
            out.append((f"{lead}, {q[0].lower() + q[1:]}" if lead else q, NO if m.group("neg") else YES))
    m = re.match(r"^(?P<subj>.{2,120}?)\s+(?P<be>is|are)\s+(?P<neg>not\s+)?(?P<adj>recommended|suggested|indicated|advised|"
                 r"effective|appropriate|contraindicated|preferred)\b(?P<rest>.*)$", s, re.I)
    if m and len(m.group("subj").split()) <= _SUBJECT_MAX_WORDS and not _LEAD.match(m.group("subj")):
        out.append((f"{m.group('be').capitalize()} {_question_case(m.group('subj'))} {m.group('adj').lower()}{m.group('rest')}?",
                    NO if m.group("neg") else YES))
    if _UNSTATED.search(s):
        out = [(q, NOT_STATED) for q, _ in out]
    return out
