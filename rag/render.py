"""Plain-text rendering of an ``AnswerRecord`` (what ``clinrag ask`` prints without ``--json``).

The pieces (``pages_label``, ``source_label``, ``groundedness_meaning``, ``cited_numbers``...) are reused by
the Streamlit UI (``ui/render.py``), which adds Markdown escaping on top. Nothing here prints or opens files.
"""

from __future__ import annotations

import textwrap
from typing import Sequence

from clinrag.records import AnswerRecord, SearchResult

DISCLAIMER = "Demonstration corpus - not clinical advice."
REFUSAL_PASSAGES = 5  # closest passages shown with a refusal
SNIPPET_CHARS = 300


def percent(value: float | None) -> str:
    """0.873 -> '87%'; None -> 'n/a'."""
    if value is None:
        return "n/a"
    return f"{100.0 * float(value):.0f}%"


def groundedness_meaning(value: float) -> str:
    """A short plain-language reading of the calibrated groundedness score."""
    if value >= 0.9:
        return "high: the cited passages clearly support this answer"
    if value >= 0.75:
        return "good: the cited passages support this answer; skim the sources"
    if value >= 0.5:
        return "moderate: partly supported; check the sources before relying on it"
    if value > 0.0:
        return "low: the evidence is weak; do not rely on this without reading the sources"
    return "none: no supported answer"


def support_level(support: float) -> str:
    """'high' / 'medium' / 'low' for a sentence's support score (used for badges and text tags)."""
    if support >= 0.8:
        return "high"
    if support >= 0.5:
        return "medium"
    return "low"


def pages_label(result: SearchResult) -> str:
    """'p. 3', 'pp. 3-5' or '' when the source has no pages (Markdown, text)."""
    if result.page_start is None:
        return ""
    if result.page_end is None or result.page_end == result.page_start:
        return f"p. {result.page_start}"
    return f"pp. {result.page_start}-{result.page_end}"


def is_superseded(result: SearchResult) -> bool:
    return (result.status or "").lower() == "superseded"


def source_fields(result: SearchResult) -> list[tuple[str, str]]:
    """(label, value) pairs describing where a passage comes from; empty values are left out."""
    fields = [
        ("Issuer", result.issuer),
        ("Version", result.version),
        ("Effective date", result.date),
        ("Status", (result.status or "current") + (f" (replaced by {result.superseded_by})" if result.superseded_by else "")),
        ("Section", result.section),
        ("Pages", pages_label(result)),
        ("Document id", result.doc_id),
        ("Chunk id", result.chunk_id),
    ]
    return [(label, str(value)) for label, value in fields if value]


def source_label(n: int, result: SearchResult) -> str:
    """One line: '[n] Title - Issuer; version 2023; 2023-11-30; Section; pp. 3-4 [SUPERSEDED]'."""
    parts = [p for p in (
        result.issuer,
        f"version {result.version}" if result.version else "",
        result.date,
        result.section,
        pages_label(result),
    ) if p]
    line = f"[{n}] {result.title or result.doc_id}"
    if parts:
        line += " - " + "; ".join(parts)
    if is_superseded(result):
        line += " [SUPERSEDED" + (f", replaced by {result.superseded_by}" if result.superseded_by else "") + "]"
    return line


def cited_numbers(record: AnswerRecord) -> list[int]:
    """Evidence numbers (1-based positions in ``record.evidence``) that the answer's sentences cite."""
    numbers: set[int] = set()
    by_chunk = {e.chunk_id: i for i, e in enumerate(record.evidence, start=1)}
    for sentence in record.sentences:
        numbers.update(m for m in sentence.markers if 1 <= m <= len(record.evidence))
        if not sentence.markers:
            numbers.update(by_chunk[c] for c in sentence.citations if c in by_chunk)
    return sorted(numbers)


def closest_passages(record: AnswerRecord, limit: int = REFUSAL_PASSAGES) -> list[tuple[int, SearchResult]]:
    """The top ``limit`` passages searched, plus any later superseded one (the warnings refer to it by number)."""
    return [(n, r) for n, r in enumerate(record.evidence, start=1) if n <= limit or is_superseded(r)]


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


def verdict_label(record: AnswerRecord) -> str:
    return (record.verdict or "").strip().upper()


def _wrap(text: str, indent: str = "    ") -> list[str]:
    return textwrap.wrap(text, width=100, initial_indent=indent, subsequent_indent=indent) or [indent.rstrip()]


def _warning_lines(warnings: Sequence[str]) -> list[str]:
    lines: list[str] = []
    for w in warnings:
        lines += textwrap.wrap(f"WARNING: {w}", width=100, subsequent_indent="  ")
    return lines


def render_text(record: AnswerRecord) -> str:
    """The record as plain text: answer (with [n] markers) or refusal, groundedness, sources, warnings."""
    lines: list[str] = [f"Question: {record.question}", ""]
    if record.warnings:
        lines += _warning_lines(record.warnings) + [""]
    if record.decision == "refuse":
        lines.append("REFUSED: " + (record.refusal_reason or "no answer could be given"))
        passages = closest_passages(record)
        lines.append("")
        if passages:
            lines.append("Closest passages searched:")
            for n, r in passages:
                lines += _wrap(source_label(n, r), "  ")
                lines += _wrap(snippet(r.text))
        else:
            lines.append("No passages were found in the index.")
    else:
        if record.verdict:
            lines.append(f"Verdict: {verdict_label(record)}")
        lines += textwrap.wrap(record.answer, width=100) or [""]
        lines.append("")
        lines.append(f"Groundedness: {percent(record.groundedness)} ({groundedness_meaning(record.groundedness)})")
        for i, s in enumerate(record.sentences, start=1):
            marks = "".join(f"[{m}]" for m in s.markers)
            lines += _wrap(f"sentence {i}: support {percent(s.support)} ({support_level(s.support)}) {marks}".rstrip(), "  ")
        numbers = cited_numbers(record)
        lines.append("")
        lines.append("Sources:")
        for n in numbers:
            lines += _wrap(source_label(n, record.evidence[n - 1]), "  ")
            lines += _wrap(snippet(record.evidence[n - 1].text))
        if not numbers:
            lines.append("  (none cited)")
    lines += ["", DISCLAIMER]
    return "\n".join(lines)
