"""The premise a question takes for granted, so the reader can check it against the evidence (pure).

"Since the guideline recommends X, which Y ...?", "Given that X, ...?", "The guideline says X. What ...?" and
"Why does the guideline recommend X?" all assume X. When the evidence contradicts X, answering the question as
asked would repeat a false claim; the pipeline refuses and quotes the passage instead (``rag/answer.py``).
"""

from __future__ import annotations

import re

_LEADING = re.compile(r"^(?:since|given(?: that)?|because|now that)\s+(?P<premise>[^?]{12,}?),\s+\S.*\?\s*$", re.I)
_WHY = re.compile(
    r"^why (?:does|do|did|would) (?P<subject>.{3,120}?) (?P<verb>recommend|say|define|require|suggest|make|allow|"
    r"start|prefer|advise|give|list|classify|consider)(?P<rest>\b.{3,}?)\?\s*$", re.I,
)
_REPORTING = re.compile(r"\b(?:says|states|recommends|prefers|advises|allows|gives|requires|suggests|lists|reports)\b", re.I)
_SOURCE = re.compile(r"\b(?:guidelines?|guidance|recommendations?|statement|booklet|guide|schedule|update|task force|"
                     r"society|college|association|panel|[A-Z]{2,}[\w/-]*)\b")
_SAYS_THAT = re.compile(r"^(?P<source>.{3,160}?)\s+(?:says|states|tells (?:you|us|patients))\s+(?:that\s+)?(?P<claim>.+)$", re.I)


def question_premise(question: str) -> str | None:
    """The claim the question presupposes, as a sentence, or None when it asks without presupposing."""
    q = " ".join(question.split())
    m = _LEADING.match(q)
    if m:
        return _sentence(m.group("premise"))
    m = _WHY.match(q)
    if m:
        verb = m.group("verb").lower()
        verb = verb + ("es" if verb.endswith("s") else "s")
        return _sentence(f"{m.group('subject')} {verb}{m.group('rest')}")
    parts = [p.strip() for p in re.split(r"(?<=[.!])\s+(?=[A-Z])", q) if p.strip()]
    if len(parts) >= 2 and parts[-1].endswith("?"):
        for part in parts[:-1]:
            if _REPORTING.search(part) and _SOURCE.search(part) and not part.endswith("?"):
                said = _SAYS_THAT.match(part.rstrip("."))
                return _sentence(said.group("claim") if said else part)
    return None


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".,;:")
    return text[:1].upper() + text[1:] + "."
