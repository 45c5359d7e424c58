"""Pure text hygiene for ingestion: document text is data, and names reach terminals and logs.

``neutralise(text)`` removes what a human reader cannot see or what only a language model would act on, and
reports where it was, so the document and the affected chunks can be flagged:

* hidden HTML (elements styled ``display:none``, ``visibility:hidden``, ``font-size:0``, ``opacity:0``, or with
  the ``hidden`` attribute) is removed with its content; HTML comments are removed, and flagged when what they
  hid looks like an instruction or a chat marker;
* invisible Unicode (zero-width characters, tag characters U+E0000-U+E007F, bidi embedding/override/isolate
  controls) is removed. Zero-width (non-)joiners are kept between non-ASCII letters, where scripts such as
  Persian or Devanagari and emoji sequences need them;
* forged chat-template and fence markers (``<|im_start|>``, ``[INST]``, ``<<SYS>>``, ``</passage>``, ...) are
  removed: a tokenizer could read them as special tokens, and a fence could close the prompt's own;
* instruction-like prose aimed at AI models ("ignore previous instructions", "you are now an unrestricted AI",
  "system prompt", chat role lines) is kept word for word, because it is the document's content and a
  librarian must be able to audit it, and flagged, so the answer pipeline can leave those passages out. The
  patterns also run on a folded view of the text, so that instructions disguised with look-alike letters
  ("Іgnоrе" in Cyrillic, fullwidth or mathematical letters) or spaced out letter by letter ("I g n o r e   a l l")
  are flagged where they are written (``fold_disguises``; ``bench/disguise_bench.py`` counts the flags this adds
  on the bundled and shared corpora: none).

Every pattern here runs in time linear in the text (no nested unbounded quantifiers); ``bench/parse_bench.py``
checks that with adversarial inputs.

``display(text)`` and ``inline(text)`` make file names, titles and reasons safe to print: no newline, escape
code, bidi control or lone surrogate reaches a terminal, a log line or a JSON report.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

FLAG_INSTRUCTION = "instruction_like"
FLAG_MARKER = "forged_marker"
FLAG_INVISIBLE = "invisible_unicode"
FLAG_HIDDEN_HTML = "hidden_html"
ALL_FLAGS = (FLAG_INSTRUCTION, FLAG_MARKER, FLAG_INVISIBLE, FLAG_HIDDEN_HTML)


@dataclass(frozen=True)
class Finding:
    """Something neutralised or flagged at ``text[start:end]`` of the cleaned text (``start == end`` where the
    offending characters were removed)."""

    start: int
    end: int
    flag: str


# ----------------------------------------------------------------------------- invisible characters
_ZERO_WIDTH = (
    "\u200b"  # zero width space
    "\u2060\u2061\u2062\u2063\u2064"  # word joiner, invisible operators
    "\ufeff"  # BOM inside text
    "\u180e"  # Mongolian vowel separator
)
_SMUGGLING = (
    "\u202a-\u202e"  # bidi embeddings and overrides (text displayed in another order than it is read)
    "\u2066-\u2069"  # bidi isolates
    "\u206a-\u206f"  # deprecated format characters
    "\U000e0000-\U000e007f"  # tag characters: invisible copies of ASCII ("ASCII smuggling")
)
_INVISIBLE = re.compile(f"[{_ZERO_WIDTH}{_SMUGGLING}]+")
_SMUGGLING_CHAR = re.compile(f"[{_SMUGGLING}]")
_JOINER = re.compile("[\u200c\u200d]+")


# ----------------------------------------------------------------------------- forged markers
_MARKER = re.compile(
    r"<\|[^|<>\n]{1,40}\|>"  # <|im_start|>, <|eot_id|>, <|start_header_id|>, <|endoftext|> ...
    r"|\[/?INST\]|<</?SYS>>"  # Llama 2 chat
    r"|</?\s*(?:passage|context|document|documents|evidence|instructions?|system|user|assistant|tool|human)"
    r"(?:\s[^<>\n]{0,200})?\s*/?>"  # XML-ish fences a prompt might use
    r"|^#{2,4}[ \t]*(?:instruction|system|response|assistant)[ \t]*:[ \t]*$",  # Alpaca-style turn headers
    re.IGNORECASE | re.MULTILINE,
)

# ----------------------------------------------------------------------------- instruction-like prose
_AI = r"(?:ai|a\.i\.|assistants?|chatbots?|chatgpt|gpt|llms?|language\s+models?|dan)"
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\b"
    r"(?:\W{1,5}(?:all|any|the|your|my|its|these|those|previous|prior|above|earlier|preceding|system|initial"
    r"|original|other|safety|of|and|every)){0,4}\W{1,5}(?:instructions?|prompts?|rules|directives|guardrails|messages)\b"
    r"|\b(?:ignore|disregard|forget)\s+(?:everything|all)\s+(?:above|before|previously|so\s+far)\b"
    r"|\byou\s+are\s+now\s+(?:an?\s+|the\s+|in\s+)?(?:[\w-]{1,20}\s+){0,2}?"
    rf"(?:{_AI}|mode|persona|unrestricted|unfiltered|jailbroken)\b"
    r"|\bfrom\s+now\s+on,?\s+(?:you|the\s+" + _AI + r")\b"
    r"|\b(?:system|developer|hidden|initial)\s+(?:prompt|message|instructions)\b"
    r"|\bnew\s+instructions?\s*:"
    r"|\b(?:jailbreak|jailbroken|do\s+anything\s+now)\b"
    r"|\bpretend\s+(?:to\s+be|you\s+are)\b"
    rf"|\b(?:act|behave|respond)\s+as\s+(?:an?\s+|the\s+)?(?:unrestricted\s+|unfiltered\s+)?{_AI}\b"
    rf"|\bas\s+an?\s+{_AI}\s*,"
    rf"|\b(?:note\s+to|attention|dear)\s+(?:the\s+)?(?:ai|{_AI})s?\b"
    r"|\b(?:reveal|print|repeat|output|show)\s+(?:\w{1,20}\s+){0,3}?(?:system\s+prompt|instructions|prompt)\b"
    r"|^[ \t]*(?:system|assistant|user|human)[ \t]*:[ \t]*(?:you|ignore|disregard|forget|from\s+now|always|never"
    r"|do\s+not|don't|answer|respond|reply|tell|say|output)\b",
    re.IGNORECASE | re.MULTILINE,
)

# ----------------------------------------------------------------------------- hidden HTML
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]{0,20})\b([^<>]{0,2000})>")
_HIDDEN_STYLE = re.compile(
    r"""(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d]*[1-9])|opacity\s*:\s*0(?![.\d]*[1-9])"""
    r"""|(?:^|[\s"'])hidden(?:\s*=|\s|$|/))""",
    re.IGNORECASE,
)
_VOID = {"br", "img", "hr", "input", "meta", "link", "wbr", "col", "area", "base", "source", "track", "embed"}


def neutralise(text: str) -> tuple[str, tuple[Finding, ...]]:
    """``(clean text, findings)``: hidden text and forged markers removed, instruction-like prose flagged."""
    findings: list[Finding] = []
    text, mapper, removed = _splice(text, _hidden_html_edits(text))
    findings.extend(removed)
    text, mapper, removed = _splice(text, _invisible_edits(text))
    findings = [_remap(f, mapper) for f in findings] + removed
    text, mapper, removed = _splice(text, _marker_edits(text))
    findings = [_remap(f, mapper) for f in findings] + removed
    findings.extend(Finding(start, end, FLAG_INSTRUCTION) for start, end in instruction_spans(text))
    findings.sort(key=lambda f: (f.start, f.end, f.flag))
    return text, tuple(findings)


# Every alternative of _INSTRUCTION contains one of these keywords (lower case; the short ones as whole words).
# Python's regex engine tries the 14-way alternation at every word start (0.4 us a character, 1 s for the NGC
# corpus); str.find on the keywords runs at C speed and the pattern then runs only in windows around the hits
# (a match spans under 200 characters). Role lines ("System: ignore ...") have their own line-anchored scan.
_KEYWORDS = (  # found at the start of a word
    "ignor", "disregard", "forget", "overrid", "bypass", "prompt", "instruction", "message", "rules",
    "direction", "directive", "guardrail", "jailbr", "pretend", "assistant", "chatbot", "chatgpt", "gpt",
    "language", "a.i.", "persona", "unrestricted", "unfiltered",
)
_WORD_KEYWORDS = ("ai", "dan", "llm", "llms", "now", "mode")  # found as whole words
_ROLE_LINE = re.compile(r"^[ \t]*(?:system|assistant|user|human)[ \t]*:", re.MULTILINE)
_WINDOW = 300


def instruction_spans(text: str) -> list[tuple[int, int]]:
    """Spans of instruction-like prose aimed at AI models (``_INSTRUCTION``), found in linear time, also where it is
    disguised with look-alike letters or spaced out letter by letter (``disguised_instruction_spans``)."""
    spans = _plain_instruction_spans(text)
    disguised = disguised_instruction_spans(text)
    if not disguised:
        return spans
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans + disguised):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _plain_instruction_spans(text: str) -> list[tuple[int, int]]:
    """``_INSTRUCTION`` on the text as written."""
    low = text.lower()
    if len(low) != len(text):  # a few characters lower-case to two; offsets would not line up
        return [(m.start(), m.end()) for m in _INSTRUCTION.finditer(text)]
    hits: list[int] = []
    for keyword in _KEYWORDS:
        pos = low.find(keyword)
        while pos != -1:
            if pos == 0 or not low[pos - 1].isalnum():
                hits.append(pos)
            pos = low.find(keyword, pos + 1)
    for keyword in _WORD_KEYWORDS:
        pos = low.find(keyword)
        while pos != -1:
            end = pos + len(keyword)
            if (pos == 0 or not low[pos - 1].isalnum()) and (end == len(low) or not low[end].isalnum()):
                hits.append(pos)
            pos = low.find(keyword, pos + 1)
    hits.extend(m.start() for m in _ROLE_LINE.finditer(low))
    if not hits:
        return []
    hits.sort()
    windows: list[list[int]] = []
    for pos in hits:
        start, end = max(0, pos - _WINDOW), min(len(text), pos + _WINDOW)
        if windows and start <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], end)
        else:
            windows.append([start, end])
    spans: list[tuple[int, int]] = []
    for start, end in windows:
        for m in _INSTRUCTION.finditer(text, start, end):  # pos/endpos keep ^ and \b true to the whole text
            if not spans or m.start() >= spans[-1][1]:
                spans.append((m.start(), m.end()))
    return spans


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
# The same instructions with no spaces at all, for a run whose letters and words are spaced alike ("i g n o r e a l l").
_COMPACT_INSTRUCTION = re.compile(
    r"(?:ignore|disregard|forget|override|bypass)(?:all|any|the|your|my|its|these|those|previous|prior|above|earlier"
    r"|preceding|system|initial|original|other|safety|of|and|every){0,4}(?:instructions?|prompts?|rules|directives"
    r"|guardrails|messages)"
    r"|(?:ignore|disregard|forget)(?:everything|all)(?:above|before|previously|sofar)"
    r"|youarenow(?:an?|the|in)?(?:unrestricted|unfiltered|jailbroken|developer)?(?:ai|mode|persona"
    r"|unrestricted|unfiltered|jailbroken|assistant|chatbot|dan)"
    r"|fromnowon,?(?:you|theai)"
    r"|(?:system|developer|hidden|initial)(?:prompt|message|instructions)"
    r"|newinstructions?:|jailbr(?:eak|oken)|doanythingnow|pretend(?:tobe|youare)",
    re.IGNORECASE,
)


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


def disguised_instruction_spans(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` (as written) whose folded view is instruction-like prose that the text itself does not
    show as such: look-alike letters or spaced-out words."""
    folded = fold_disguises(text)
    if folded is None:
        return []
    spans = [folded.source_span(s, e) for s, e in _plain_instruction_spans(folded.text)]
    for start, end in folded.runs:
        letters = [(i, ch) for i, ch in enumerate(text[start:end], start) if not ch.isspace()]
        compact = "".join(ch for _, ch in letters).translate(_FOLD)
        for m in _COMPACT_INSTRUCTION.finditer(compact):
            spans.append((letters[m.start()][0], letters[m.end() - 1][0] + 1))
    return spans


def neutralise_inline(value: str) -> tuple[str, set[str]]:
    """A title or metadata value: neutralised like text, then flattened to one printable line."""
    clean, findings = neutralise(value)
    return inline(clean), {f.flag for f in findings}


def flags_of(findings: tuple[Finding, ...] | list[Finding]) -> list[str]:
    return sorted({f.flag for f in findings})


def flags_in_span(findings: tuple[Finding, ...], starts: list[int], reach: int, start: int, end: int) -> tuple[str, ...]:
    """Flags of the findings that overlap ``text[start:end]``, or were removed at a point inside it (boundaries
    included). ``starts`` is ``[f.start for f in findings]`` (sorted); ``reach`` the longest finding."""
    out: set[str] = set()
    lo = bisect.bisect_left(starts, start - reach)
    hi = bisect.bisect_right(starts, end)
    for f in findings[lo:hi]:
        if (f.start < end and f.end > start) or (f.start == f.end and start <= f.start <= end):
            out.add(f.flag)
    return tuple(sorted(out))


# ----------------------------------------------------------------------------- edits
_Edit = tuple[int, int, str, str]  # (start, end, replacement, flag or "")


def _invisible_edits(text: str) -> list[_Edit]:
    """Remove invisible characters. Flag tag and bidi characters always; flag zero-width characters only where
    they split an ASCII word ("ig\u200bnore" slips past a filter), not a stray one pasted from the web."""
    edits: list[_Edit] = []
    for m in _INVISIBLE.finditer(text):
        smuggling = _SMUGGLING_CHAR.search(m.group()) is not None
        edits.append((m.start(), m.end(), "", FLAG_INVISIBLE if smuggling or _splits_word(text, m) else ""))
    for m in _JOINER.finditer(text):
        before = text[m.start() - 1] if m.start() else " "
        after = text[m.end()] if m.end() < len(text) else " "
        if before.isascii() or after.isascii():  # joiners belong between non-ASCII letters and in emoji
            edits.append((m.start(), m.end(), "", FLAG_INVISIBLE if _splits_word(text, m) else ""))
    edits.sort()
    return edits


def _splits_word(text: str, m: re.Match) -> bool:
    before = text[m.start() - 1] if m.start() else " "
    after = text[m.end()] if m.end() < len(text) else " "
    return before.isascii() and after.isascii() and before.isalnum() and after.isalnum()


def _marker_edits(text: str) -> list[_Edit]:
    edits: list[_Edit] = []
    for m in _MARKER.finditer(text):
        before = text[m.start() - 1] if m.start() else " "
        after = text[m.end()] if m.end() < len(text) else " "
        glue = " " if not before.isspace() and not after.isspace() else ""
        edits.append((m.start(), m.end(), glue, FLAG_MARKER))
    return edits


def _hidden_html_edits(text: str) -> list[_Edit]:
    if "<" not in text:
        return []
    edits: list[_Edit] = []
    for start, end in _comments(text):
        inner = text[start + 4 : max(start + 4, end - 3)]
        suspicious = instruction_spans(inner) or _MARKER.search(inner) or _INVISIBLE.search(inner)
        edits.append((start, end, "", FLAG_HIDDEN_HTML if suspicious else ""))
    comment_starts = [s for s, _, _, _ in edits]
    comment_ends = [e for _, e, _, _ in edits]
    hiding: tuple[str, int, int] | None = None  # (tag name, start offset, nesting depth)
    for m in _TAG.finditer(text):
        i = bisect.bisect_right(comment_starts, m.start()) - 1
        if i >= 0 and m.start() < comment_ends[i]:
            continue
        closing, name, attrs = m.group(1) == "/", m.group(2).lower(), m.group(3)
        if hiding is None:
            if not closing and name not in _VOID and not attrs.rstrip().endswith("/") and _HIDDEN_STYLE.search(attrs):
                hiding = (name, m.start(), 1)
            continue
        tag, start, depth = hiding
        if name != tag:
            continue
        if closing:
            depth -= 1
            if depth == 0:
                edits.append((start, m.end(), "", FLAG_HIDDEN_HTML))
                hiding = None
                continue
        elif not attrs.rstrip().endswith("/"):
            depth += 1
        hiding = (tag, start, depth)
    if hiding is not None:  # never closed: a browser hides everything after it
        edits.append((hiding[1], len(text), "", FLAG_HIDDEN_HTML))
    edits.sort()
    merged: list[_Edit] = []
    for edit in edits:  # a comment inside a hidden element goes with the element
        if merged and edit[0] < merged[-1][1]:
            s, e, r, f = merged[-1]
            merged[-1] = (s, max(e, edit[1]), r, f or edit[3])
        else:
            merged.append(edit)
    return merged


def _comments(text: str) -> list[tuple[int, int]]:
    """Spans of ``<!-- ... -->`` comments; an unclosed one runs to the end (as in a browser). Linear: a regex
    ``<!--.*?-->`` rescans the rest of the text for every unclosed opener."""
    spans: list[tuple[int, int]] = []
    pos = text.find("<!--")
    while pos != -1:
        close = text.find("-->", pos + 4)
        end = len(text) if close == -1 else close + 3
        spans.append((pos, end))
        if close == -1:
            break
        pos = text.find("<!--", end)
    return spans


def _splice(text: str, edits: list[_Edit]):
    """Apply sorted, non-overlapping edits; returns (new text, old->new offset mapper, findings of the edits)."""
    if not edits:
        return text, (lambda pos: pos), []
    parts: list[str] = []
    old_marks: list[int] = []
    shifts: list[int] = []
    findings: list[Finding] = []
    cursor = shift = 0
    for start, end, replacement, flag in edits:
        if start < cursor:
            continue
        parts.append(text[cursor:start])
        new_pos = start + shift
        parts.append(replacement)
        if flag:
            findings.append(Finding(new_pos, new_pos + len(replacement), flag))
        shift += len(replacement) - (end - start)
        old_marks.append(end)
        shifts.append(shift)
        cursor = end
    parts.append(text[cursor:])

    def mapper(pos: int) -> int:
        i = bisect.bisect_right(old_marks, pos) - 1
        return pos + (shifts[i] if i >= 0 else 0)

    return "".join(parts), mapper, findings


def _remap(finding: Finding, mapper) -> Finding:
    start, end = mapper(finding.start), mapper(finding.end)
    return Finding(start, max(start, end), finding.flag)


# ----------------------------------------------------------------------------- display
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(value: str) -> int:
    """Offset of the first lone surrogate in ``value`` (it cannot be stored or printed as UTF-8), or -1."""
    m = _SURROGATE.search(value)
    return m.start() if m else -1


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte of an invalid UTF-8 file name (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if ch == "\n":
        return "\\n"
    if ch == "\t":
        return "\\t"
    if ch == "\r":
        return "\\r"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _unsafe(ch: str) -> bool:
    return unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def display(value: object, limit: int = 500) -> str:
    """A string safe to print on one terminal line: control, format (bidi, zero-width), private-use and lone
    surrogate characters are shown as escapes (``\\x1b``, ``\\u202e``, ``\\xff`` for a non-UTF-8 byte)."""
    text = str(value)
    if text.isascii() and text.isprintable():
        out = text
    else:
        out = "".join(_escape_char(ch) if _unsafe(ch) else ch for ch in text)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def display_path(path: Path | str) -> str:
    return display(str(path), limit=1000)


def inline(value: str, limit: int = 500) -> str:
    """Stored titles, headings and metadata: one line, whitespace collapsed, invisible/control characters
    dropped (not escaped: this is the value itself, not a rendering of it)."""
    text = "".join(" " if ch in "\n\r\t\x0b\x0c\u2028\u2029\x85" else ch for ch in value)
    text = "".join(ch for ch in text if not _unsafe(ch))
    return " ".join(text.split())[:limit]
