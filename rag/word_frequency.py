"""How common a word is in general English: the edge to ``wordfreq`` (a well-kept table of word frequencies from
many corpora, Apache-2.0 code, data CC BY-SA; read from the installed package, offline)."""

from __future__ import annotations

from functools import lru_cache
from typing import Callable


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """Zipf frequency of an English word (log10 of its count per billion words; 0 for an unknown word)."""
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))


@lru_cache(maxsize=8)
def rare_word(max_zipf: float) -> Callable[[str], bool]:
    """A predicate: the word is rarer than ``max_zipf`` in general English."""
    return lambda word: zipf(word) < max_zipf


def unknown_word(word: str) -> bool:
    """General English has no record of the word (a misspelling, or a name too new or too rare to be listed)."""
    return zipf(word) == 0.0
