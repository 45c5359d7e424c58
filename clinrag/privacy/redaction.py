"""Finding and Redaction, the finder loop that merges overlapping candidates, and the placeholders."""

from __future__ import annotations

import re
from dataclasses import dataclass

from clinrag.privacy.dates import _dates
from clinrag.privacy.locations import _locations
from clinrag.privacy.names import _names
from clinrag.privacy.numbers import _numbers
from clinrag.privacy.structured import _labelled, _structured

# label -> HIPAA Safe Harbor category (the letter of 164.514(b)(2)(i))
KINDS: dict[str, str] = {
    "NAME": "(A) names",
    "LOCATION": "(B) geographic subdivisions smaller than a state (street address, city, county, ZIP code)",
    "DATE": "(C) elements of dates, except year, directly related to an individual",
    "AGE": "(C) ages over 89",
    "PHONE": "(D) telephone numbers",
    "FAX": "(E) fax numbers",
    "EMAIL": "(F) e-mail addresses",
    "SSN": "(G) social security numbers",
    "MRN": "(H) medical record numbers",
    "HEALTH_PLAN": "(I) health plan beneficiary numbers",
    "ACCOUNT": "(J) account numbers",
    "LICENSE": "(K) certificate and licence numbers",
    "VEHICLE": "(L) vehicle identifiers and serial numbers, including licence plates",
    "DEVICE": "(M) device identifiers and serial numbers",
    "URL": "(N) web addresses (URLs)",
    "IP": "(O) IP addresses",
    "BIOMETRIC": "(P) biometric identifiers, including finger and voice prints",
    "PHOTO": "(Q) full-face photographs and comparable images",
    "ID": "(R) any other unique identifying number, characteristic or code",
}


@dataclass(frozen=True)
class Finding:
    """One identifier: its kind (a key of ``KINDS``) and character offsets in the original text."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Redaction:
    """The redacted text and what was found. Holds no identifier text, so it can be logged or shown."""

    text: str
    findings: tuple[Finding, ...]

    @property
    def count(self) -> int:
        return len(self.findings)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(sorted({f.kind for f in self.findings}))

    def summary(self) -> dict[str, object]:
        """``{"redacted": bool, "count": n, "kinds": {kind: n}}``: what the UI shows and the audit log stores."""
        counts: dict[str, int] = {}
        for f in self.findings:
            counts[f.kind] = counts.get(f.kind, 0) + 1
        return {"redacted": bool(self.findings), "count": len(self.findings), "kinds": dict(sorted(counts.items()))}

    def describe(self) -> str:
        """A sentence for the UI: 'Redacted before sending: 1 name, 1 date.' ('' when nothing was found)."""
        if not self.findings:
            return ""
        parts = [f"{n} {kind.lower().replace('_', ' ')}" for kind, n in self.summary()["kinds"].items()]  # type: ignore[union-attr]
        return "Redacted before sending: " + ", ".join(parts) + "."


def placeholder(kind: str) -> str:
    return "[AGE 90+]" if kind == "AGE" else f"[{kind}]"


def redact_text(text: str) -> Redaction:
    """Every identifier in ``text`` replaced by its placeholder, with the findings (offsets into ``text``)."""
    findings = find_identifiers(text)
    out, last = [], 0
    for f in findings:
        out.append(text[last : f.start])
        out.append(placeholder(f.kind))
        last = f.end
    out.append(text[last:])
    return Redaction("".join(out), findings)


def redact(text: str) -> tuple[str, int]:
    """Text with identifiers replaced by ``[NAME]``, ``[MRN]`` and so on, and the number of replacements."""
    result = redact_text(text)
    return result.text, result.count


def find_identifiers(text: str) -> tuple[Finding, ...]:
    """Non-overlapping findings in text order. Overlapping candidates are merged; the merged span takes the kind
    of its highest-priority part (a labelled value beats a generic number)."""
    candidates: list[tuple[int, int, str, int]] = []  # start, end, kind, priority
    informative_case = _informative_case(text)
    for finder in _FINDERS:
        for start, end, kind, priority in finder(text, informative_case):
            start, end = _trim(text, start, end)
            if end > start:
                candidates.append((start, end, kind, priority))
    candidates.sort(key=lambda c: (c[0], -c[1]))
    merged: list[list] = []
    for start, end, kind, priority in candidates:
        if merged and start < merged[-1][1]:
            top = merged[-1]
            if priority > top[3] or (priority == top[3] and end - start > top[1] - top[0]):
                top[2], top[3] = kind, priority
            top[1] = max(top[1], end)
        else:
            merged.append([start, end, kind, priority])
    return tuple(Finding(kind, start, end) for start, end, kind, _ in merged)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop surrounding spaces and punctuation, but keep a bracket that the span closes ('(617) 555-0100')."""
    while end > start and text[end - 1] in " \t\n.,;:!?)]}'\"":
        if text[end - 1] == "." and _abbrev_dot(text, start, end):
            break
        if text[end - 1] in ")]}" and "([{"[")]}".index(text[end - 1])] in text[start : end - 1]:
            break
        end -= 1
    while start < end and text[start] in " \t\n,;:([{'\"":
        if text[start] in "([{" and ")]}"["([{".index(text[start])] in text[start + 1 : end]:
            break
        start += 1
    return start, end


def _abbrev_dot(text: str, start: int, end: int) -> bool:
    """Keep the dot of 'Jr.', 'St.' or an initial at the end of a span."""
    word = re.search(r"(\w+)\.$", text[start:end])
    return bool(word) and (len(word.group(1)) == 1 or word.group(1).lower() in {"jr", "sr", "st", "ave", "rd", "blvd", "apt"})


def _informative_case(text: str) -> bool:
    """Whether capitalisation carries information: not when the message is all lower or all upper case."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    upper = sum(c.isupper() for c in letters) / len(letters)
    return 0.02 < upper < 0.6


_FINDERS = (_structured, _labelled, _dates, _locations, _names, _numbers)
