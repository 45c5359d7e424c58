"""Misspelled question words corrected against the words of the retrieved passages (pure functions).

"Is screeening for hypertenshun recomended for adults 18 and oldr?" finds the hypertension guideline (the dense
retriever reads through misspellings), but the reader and the BM25 side see words no guideline contains, and the
gate refuses. A word is corrected only when

- its stemmed term occurs nowhere in the index (``known(term)`` is false: a real word of the library is never
  touched, however close it is to another one),
- it has at least five letters and is not an abbreviation in capitals,
- a word of the first-pass passages lies within a small edit distance (optimal string alignment, so a swapped pair
  of letters counts once): 1 for words up to seven letters, 2 for longer ones, with the same first letter,
- and the two words do not differ in a prefix that flips clinical meaning (hypo/hyper, pre/post, ante/post, ...).

Among several candidates the nearest wins, then the most frequent in the passages, then the alphabetically first.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable

from clinrag.text import STOPWORDS, content_terms
from rag.retrieval import MAX_QUESTION_CHARS

MIN_LETTERS = 5
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]")
# prefixes whose swap changes the clinical meaning: never corrected into each other
_OPPOSED_PREFIXES = (
    ("hypo", "hyper"), ("pre", "post"), ("ante", "post"), ("intra", "extra"), ("sub", "supra"), ("brady", "tachy"),
    ("micro", "macro"), ("in", "un"), ("anti", "ante"), ("inter", "intra"), ("hetero", "homo"), ("uni", "bi"),
    ("mono", "poly"), ("endo", "exo"),
)


# words questions use that a passage may not (it says "recommends", "asymptomatic"): part of every vocabulary
QUESTION_WORDS = (
    "recommend recommended recommends recommendation recommendations should screening screened screen tested testing "
    "treatment treated treating therapy prevent prevention preventive symptoms symptom without adults children "
    "adolescents infants women pregnant pregnancy postpartum older younger patients people guideline guidelines "
    "clinicians doctor counseling counselling offered offer supplements supplementation medication medicine "
    "vaccine vaccination diagnosis diagnosed management evidence years months weeks daily"
).split()


@dataclass(frozen=True)
class SpellingCorrection:
    text: str  # the question with misspelled words replaced (unchanged when none was found)
    changes: tuple[tuple[str, str], ...] = ()  # (as written, as corrected)


def osa_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment edit distance (insert, delete, substitute, swap two neighbours), or ``limit + 1``
    as soon as it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


def max_distance(word: str) -> int:
    return 1 if len(word) <= 7 else 2


def _opposed(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` start with prefixes of opposite meaning (hypotension / hypertension)."""
    return any((a.startswith(p) and b.startswith(q)) or (a.startswith(q) and b.startswith(p)) for p, q in _OPPOSED_PREFIXES)


def passage_vocabulary(texts: Iterable[str]) -> Counter:
    """Lower-cased words of the passages with their counts."""
    counts: Counter = Counter()
    for text in texts:
        counts.update(w.lower() for w in _WORD.findall(text or ""))
    return counts


def nearest_word(word: str, vocabulary: Counter) -> str | None:
    """The passage word ``word`` most likely misspells, or None."""
    low = word.lower()
    limit = max_distance(low)
    best: tuple[int, int, str] | None = None
    for candidate, count in vocabulary.items():
        if candidate[0] != low[0] or candidate == low or len(candidate) < MIN_LETTERS - 1:
            continue
        d = osa_distance(low, candidate, limit)
        if d > limit or _opposed(low, candidate):
            continue
        key = (d, -count, candidate)
        if best is None or key < best:
            best = key
    return best[2] if best else None


def correct_spelling(question: str, known: Callable[[str], bool], vocabulary: Counter) -> SpellingCorrection:
    """``question`` with each word that the index does not know and that is near a passage word replaced by it.
    ``known(term)`` says whether a stemmed term occurs anywhere in the index."""
    changes: list[tuple[str, str]] = []
    pieces: list[str] = []
    last = 0
    for m in _WORD.finditer(question):
        word = m.group(0)
        low = word.lower()
        if len(low) < MIN_LETTERS or word.isupper() or low in STOPWORDS or low in vocabulary:
            continue
        terms = content_terms(low)
        if not terms or all(known(t) for t in terms):
            continue
        fixed = nearest_word(low, vocabulary)
        if fixed is None:
            continue
        if word[0].isupper():
            fixed = fixed[0].upper() + fixed[1:]
        pieces.append(question[last: m.start()])
        pieces.append(fixed)
        last = m.end()
        changes.append((word, fixed))
    if not changes:
        return SpellingCorrection(question)
    pieces.append(question[last:])
    return SpellingCorrection("".join(pieces), tuple(changes))


def unknown_words(question: str, known: Callable[[str], bool]) -> list[str]:
    """The question's words of at least ``MIN_LETTERS`` letters whose stemmed term the index does not hold."""
    out = []
    for word in _WORD.findall(question):
        low = word.lower()
        if len(low) < MIN_LETTERS or word.isupper() or low in STOPWORDS:
            continue
        terms = content_terms(low)
        if terms and not all(known(t) for t in terms):
            out.append(word)
    return out


def spell_checked(question: str, retriever, k: int) -> SpellingCorrection:
    """The edge that feeds ``correct_spelling``: when the question has words the index does not know, the words of
    a first-pass search (``retriever``: the ``Retriever`` protocol, ``k`` candidates) are the vocabulary."""
    if not unknown_words(question, retriever.knows_term):
        return SpellingCorrection(question)
    first = retriever.search(question, k=k)
    vocabulary = passage_vocabulary(f"{r.title} {r.section} {r.text}" for r in first.results)
    vocabulary.update(QUESTION_WORDS)
    fixed = correct_spelling(question, retriever.knows_term, vocabulary)
    # a correction never makes an acceptable question too long to search
    return fixed if len(fixed.text) <= max(len(question), MAX_QUESTION_CHARS) else SpellingCorrection(question)
