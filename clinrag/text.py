"""Pure text helpers shared by chunking, lexical retrieval, verification and scoring."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having
    he her here hers herself him himself his how i if in into is it its itself just me more most my myself no
    nor not of off on once only or other our ours ourselves out over own same she should so some such than that
    the their theirs them themselves then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours yourself yourselves may might
    must shall per vs via e g eg ie etc according guideline guidelines recommend recommends recommended
    recommendation patient patients people person adult adults""".split()
)
# Words that carry meaning for verification even though retrieval treats them as noise.
NEGATIONS = frozenset({"no", "not", "never", "none", "nor", "without", "avoid", "against", "neither", "cannot"})

_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "approx.", "dr.", "fig.", "no.", "st.", "et al.", "min.", "max.")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
# A block is a heading line on its own, or lines joined until a blank line, a bullet or a heading starts.
# Bullet characters as PDF text extraction leaves them ("●\t", "▪ ", "◦ ") count like "-" and "*".
BULLETS = "-*•●▪◦■○‣"
_BLOCK = re.compile(rf"[ \t]*#[^\n]*|[^\n]+(?:\n(?![ \t]*(?:[{re.escape(BULLETS)}]|\d+[.)])\s)(?![ \t]*(?:\n|#))[^\n]+)*")
_TOKEN = re.compile(r"[a-z0-9]+(?:[.,/][0-9]+)*")
_stemmer = snowballstemmer.stemmer("english")


def normalize(text: str) -> str:
    """NFKC, lower case, unified dashes and spaces: the form every comparison uses."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    text = text.replace("≥", ">=").replace("≤", "<=").replace("µ", "u").replace("μ", "u")
    return re.sub(r"\s+", " ", text).strip()


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` over ``text``; bullet lines and blank lines also end a sentence.

    Spans cover every non-space character exactly once, in order.
    """
    spans: list[tuple[int, int]] = []
    for block in _BLOCK.finditer(text):
        start = block.start()
        chunk = block.group()
        cursor = 0
        for match in _SENTENCE_END.finditer(chunk):
            candidate = chunk[cursor : match.start()]
            if _ends_with_abbreviation(candidate):
                continue
            spans.append((start + cursor, start + match.start()))
            cursor = match.end()
        spans.append((start + cursor, start + len(chunk)))
    return [_strip_span(text, s, e) for s, e in spans if text[s:e].strip()]


def _ends_with_abbreviation(candidate: str) -> bool:
    """Whether the candidate sentence ends in an abbreviation or an initial. Only its last 40 characters are read,
    so a run of initials ("x. A x. A ...") stays linear."""
    whole = len(candidate) <= 40
    tail = candidate[-40:].rstrip("\"')] ").lower()
    return tail.endswith(_ABBREVIATIONS) or bool(re.search(r"(?:^|\s)[a-z]\.$" if whole else r"\s[a-z]\.$", tail))


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def tokens(text: str) -> list[str]:
    """Lower-case word and number tokens, unstemmed, stopwords kept."""
    return _TOKEN.findall(normalize(text))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def content_terms(text: str) -> list[str]:
    """Stemmed tokens without stopwords: the terms BM25 indexes and coverage measures count."""
    return [stem(t) for t in tokens(text) if t not in STOPWORDS and (len(t) > 1 or t.isdigit())]


def issuer_key(issuer: str) -> str:
    """The form issuers are matched in (the librarian's trust marks, conflicting sources): case folded, spacing
    collapsed, so "WHO " and "who" are one issuer."""
    return re.sub(r"\s+", " ", (issuer or "").strip()).casefold()
