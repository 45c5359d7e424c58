"""File names, titles and reasons made safe to print: no newline, escape code, bidi control or lone surrogate
reaches a terminal, a log line or a JSON report (``display``), and stored values are one clean line (``inline``)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

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
