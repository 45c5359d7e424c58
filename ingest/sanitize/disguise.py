"""The folded view of a text, in which instructions disguised from a pattern are plain again: look-alike letters of
other scripts (Cyrillic "Іgnоrе", fullwidth, mathematical or circled letters) folded to their Latin letters, and
letters spaced out one by one ("I g n o r e") joined into words; offsets map back to the text as written."""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

# ----------------------------------------------------------------------------- disguised instructions
# Instruction text written so that a pattern on the raw text misses it while a reader (or a model) still reads it:
# look-alike letters from other scripts ("Іgnоrе" with Cyrillic І, о, е) and letters spaced out one by one
# ("I g n o r e   p r e v i o u s"). ``instruction_spans`` also matches a folded view of the text, in which
# look-alikes are their Latin letters and spaced-out runs are joined into words, and maps what it finds back to the
# text as written. Folding only ever adds spans of the same patterns, so clinical prose is flagged no more often
# than before (``bench/disguise_bench.py`` counts the flags it adds on the bundled and shared corpora).
#
# The look-alike table is ours, drawn from the Unicode confusables data (UTS #39) for the letters English is written
# in: Cyrillic and Greek letters that render like Latin ones, Armenian and Latin-extension look-alikes, fullwidth
# forms, and the mathematical and circled letters that NFKC maps to one ASCII letter or digit. Every entry maps
# one character to one, so offsets in the folded text are offsets in the text.
_LOOKALIKES = {
    # Cyrillic capitals and small letters
    "А": "A", "В": "B", "С": "C", "Е": "E", "Н": "H", "І": "I", "Ј": "J", "К": "K", "М": "M", "О": "O", "Р": "P",
    "Ѕ": "S", "Т": "T", "Х": "X", "У": "Y", "Ү": "Y", "Ԛ": "Q", "Ԝ": "W", "Ӏ": "I", "Ꙇ": "I",
    "а": "a", "с": "c", "ԁ": "d", "е": "e", "һ": "h", "і": "i", "ј": "j", "ӏ": "l", "о": "o", "р": "p", "ԛ": "q",
    "ѕ": "s", "у": "y", "ү": "y", "х": "x", "ԝ": "w", "ѵ": "v", "г": "r", "п": "n", "к": "k", "ь": "b",
    # Greek
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P",
    "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C", "Ϳ": "J",
    "α": "a", "ο": "o", "ι": "i", "κ": "k", "ν": "v", "ρ": "p", "υ": "u", "χ": "x", "γ": "y", "ϲ": "c", "ϳ": "j",
    # Armenian, Latin extensions, small capitals and letter-like symbols
    "օ": "o", "ս": "u", "հ": "h", "ո": "n", "զ": "q", "ց": "g", "ւ": "l",
    "ı": "i", "ȷ": "j", "ɑ": "a", "ɡ": "g", "ɩ": "i", "ɪ": "i", "ʀ": "r", "ʏ": "y", "ɴ": "n", "ᴀ": "a", "ᴄ": "c",
    "ᴅ": "d", "ᴇ": "e", "ᴍ": "m", "ᴏ": "o", "ᴘ": "p", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ᴢ": "z", "ℓ": "l",
    "\u3000": " ",  # ideographic (fullwidth) space
}
_LOOKALIKE_RANGES = ((0xFF01, 0xFF5E), (0x1D400, 0x1D7FF), (0x24B6, 0x24E9), (0x2070, 0x209C))


def _lookalike_table() -> dict[int, str]:
    table = {ord(k): v for k, v in _LOOKALIKES.items()}
    for low, high in _LOOKALIKE_RANGES:
        for code in range(low, high + 1):
            folded = unicodedata.normalize("NFKC", chr(code))
            if len(folded) == 1 and folded.isascii() and folded.isprintable() and code not in table:
                table[code] = folded
    return table


_FOLD = _lookalike_table()
_FOLD_CHARS = frozenset(chr(c) for c in _FOLD)
_NON_ASCII = re.compile("[^\x00-\x7f]")  # (a character class of all of _FOLD scans its members: 2 s/MB)

# Six or more one-character tokens separated by blanks on one line: "I g n o r e". Each repetition is one blank
# run then one character that a blank or the end follows, so a failed attempt backs off in constant time.
_GAP = "[ \t\u00a0\u2000-\u200a\u202f\u205f]"
_SPACED_RUN = re.compile(rf"(?<!\S)\S(?:{_GAP}{{1,8}}\S(?!\S)){{5,}}")
_GAP_RUN = re.compile(f"{_GAP}+")
@dataclass(frozen=True)
class FoldedText:
    """``text`` with look-alike letters folded and spaced-out runs joined; ``source_span`` maps a span of it back
    to the original. ``pieces`` are ``(folded start, original start)`` of stretches copied one to one; the
    characters between two stretches (blanks of a spaced-out run) were dropped."""

    text: str
    pieces: tuple[tuple[int, int], ...]
    runs: tuple[tuple[int, int], ...]  # spaced-out runs, original offsets

    def source(self, pos: int) -> int:
        i = bisect.bisect_right(self.pieces, (pos, 1 << 62)) - 1
        folded_start, original_start = self.pieces[i]
        return original_start + (pos - folded_start)

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        first = self.source(start)
        return (first, self.source(end - 1) + 1) if end > start else (first, first)


def fold_disguises(text: str) -> FoldedText | None:
    """The folded view of ``text``, or None when it has no look-alike letter and no spaced-out run (the common
    case, decided at C speed)."""
    folded = text
    if not text.isascii() and not _FOLD_CHARS.isdisjoint(_NON_ASCII.findall(text)):
        folded = text.translate(_FOLD)
    runs = [(m.start(), m.end()) for m in _SPACED_RUN.finditer(folded)]
    if folded is text and not runs:
        return None
    parts: list[str] = []
    pieces: list[tuple[int, int]] = []
    length = cursor = 0

    def copy(start: int, end: int) -> None:
        nonlocal length
        if end > start:
            if not pieces or pieces[-1][1] + (length - pieces[-1][0]) != start:
                pieces.append((length, start))
            parts.append(folded[start:end])
            length += end - start

    for start, end in runs:
        copy(cursor, start)
        gaps = list(_GAP_RUN.finditer(folded, start, end))
        letter_gap = Counter(g.group() for g in gaps).most_common(1)[0][0]
        previous = start
        for gap in gaps:
            copy(previous, gap.start())
            if gap.group() != letter_gap:  # a wider (or other) blank between words: one space
                copy(gap.start(), gap.start() + 1)
            previous = gap.end()
        copy(previous, end)
        cursor = end
    copy(cursor, len(folded))
    if not pieces:
        pieces.append((0, 0))
    return FoldedText("".join(parts), tuple(pieces), tuple(runs))


def fold_lookalikes(text: str) -> str:
    """``text`` with every look-alike letter of the table folded to its Latin letter (one character to one)."""
    return text.translate(_FOLD)
