"""Patient-identifier redaction for anything that leaves the process (API calls) or reaches a log.

Pattern-based and conservative: it removes what looks like an identifier (record numbers, phone numbers,
e-mail addresses, dates of birth, names after a title or 'patient'); clinical numbers such as doses,
ages and thresholds are kept.
"""

from __future__ import annotations

import re

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("EMAIL", re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")),
    ("MRN", re.compile(r"\b(?:MRN|NHS|SSN|medical record|record|patient id|id)\s*(?:no\.?|number|#|:)?\s*[:#]?\s*[A-Z0-9-]{5,}\b", re.I)),
    ("SSN", re.compile(r"\b\d{3}-\d{2}-\d{4}\b")),
    ("PHONE", re.compile(r"(?<![\d/])(?:\+?\d{1,2}[ .-]?)?\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b")),
    ("DOB", re.compile(r"\b(?:DOB|date of birth|born)\s*[:\-]?\s*\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b", re.I)),
    ("DATE", re.compile(r"\b\d{1,2}[/.]\d{1,2}[/.](?:19|20)\d{2}\b")),
    ("NAME", re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?")),
    ("NAME", re.compile(r"\b(?:patient|pt)\s+(?:named\s+)?[A-Z][a-z]+\s+[A-Z][a-z]+\b")),
]


def redact(text: str) -> tuple[str, int]:
    """Text with identifiers replaced by ``[NAME]``, ``[MRN]`` and so on, and the number of replacements."""
    count = 0
    for label, pattern in _PATTERNS:
        text, n = pattern.subn(f"[{label}]", text)
        count += n
    return text, count
