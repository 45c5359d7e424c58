"""``neutralise(text)``: hidden HTML, invisible Unicode and forged chat-template or fence markers removed,
instruction-like prose flagged (``ingest/sanitize/instructions.py``), with a ``Finding`` for each place so the
document and the chunks it touches can be flagged."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from ingest.sanitize.instructions import instruction_spans
from ingest.sanitize.printable import inline

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
