"""Plain-text rendering of an ``AnswerRecord`` (what ``clinrag ask`` prints without ``--json``).

The pieces (``pages_label``, ``source_label``, ``groundedness_meaning``, ``cited_numbers``...) are reused by
the Streamlit UI (``ui/render.py``), which adds Markdown escaping on top. Nothing here prints or opens files.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from typing import Sequence

from clinrag.records import AnswerRecord, SearchResult
from clinrag.text import content_terms, split_sentences

DISCLAIMER = "Demonstration corpus - not clinical advice."
REFUSAL_PASSAGES = 5  # closest passages shown with a refusal
SNIPPET_CHARS = 300


def percent(value: float | None) -> str:
    """0.873 -> '87%'; None -> 'n/a'."""
    if value is None:
        return "n/a"
    return f"{100.0 * float(value):.0f}%"


@dataclass(frozen=True)
class GroundednessBand:
    """How to read a groundedness score: the estimated chance that every statement shown is supported by the passage it
    cites (whether the answer addresses the question is ``answers_question``, read with ``addresses_question_note``).

    ``level`` names the band (``high``/``moderate``/``low``/``none``), ``advice`` says what a clinician should do."""

    floor: float
    level: str
    advice: str


# The one place the bands live (the CLI's text, the UI's badge and colour all read it). The score is built from
# calibrated parts (rag/groundedness.py), so 0.85 means about 85 of 100 such answers have every statement supported.
GROUNDEDNESS_BANDS: tuple[GroundednessBand, ...] = (
    GroundednessBand(0.85, "high", "well supported: the cited passages state this; check the highlighted text before acting"),
    GroundednessBand(0.65, "moderate", "supported with some uncertainty: read the cited passages before relying on it"),
    GroundednessBand(1e-9, "low", "weakly supported: the passages may not say exactly this; read them in full and do not act on this answer alone"),
    GroundednessBand(float("-inf"), "none", "no supported answer"),
)


def groundedness_band(value: float | None) -> GroundednessBand:
    v = float(value or 0.0)
    return next(band for band in GROUNDEDNESS_BANDS if v >= band.floor)


def groundedness_meaning(value: float) -> str:
    """A short plain-language reading of the calibrated groundedness score: 'high: well supported: ...'."""
    band = groundedness_band(value)
    return f"{band.level}: {band.advice}"


ANSWERS_QUESTION_FLOOR = 0.5


def addresses_question_note(answers_question: float | None) -> str | None:
    """Words for the reader when the calibrated P(the answer addresses the question) is low; None otherwise."""
    if answers_question is None or answers_question >= ANSWERS_QUESTION_FLOOR:
        return None
    return (f"The quoted passages may not answer exactly what was asked (estimated {percent(answers_question)} chance "
            "that they do): check that they speak to your question and patient.")


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
        note = addresses_question_note(record.answers_question)
        if note:
            lines.append(f"Note: {note}")
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


# ----------------------------------------------------------------------------- cited words
HIGHLIGHT_MIN_OVERLAP = 0.5  # share of a claim's content words a passage sentence must hold to be highlighted


def highlight_spans(passage: str, claims: Sequence[str]) -> list[tuple[int, int]]:
    """Character spans of ``passage`` that the ``claims`` quote or paraphrase, sorted and merged.

    A claim found verbatim (ignoring spacing) marks its own span; otherwise the passage sentence holding the largest
    share of the claim's content words is marked when that share is at least ``HIGHLIGHT_MIN_OVERLAP``."""
    spans: list[tuple[int, int]] = []
    sentences = split_sentences(passage)
    sentence_terms = [set(content_terms(passage[a:b])) for a, b in sentences]
    for claim in claims:
        claim = re.sub(r"\s*\[\d+\]", "", claim or "").strip()
        if not claim:
            continue
        pattern = r"\s+".join(re.escape(word) for word in claim.rstrip(".").split())
        found = re.search(pattern, passage, flags=re.IGNORECASE) if pattern else None
        if found:
            spans.append(found.span())
            continue
        terms = set(content_terms(claim))
        if not terms or not sentences:
            continue
        shares = [len(terms & t) / len(terms) for t in sentence_terms]
        best = max(range(len(sentences)), key=lambda i: shares[i])
        if shares[best] >= HIGHLIGHT_MIN_OVERLAP:
            spans.append(sentences[best])
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def claims_citing(record: AnswerRecord, n: int) -> list[str]:
    """The answer sentences that cite evidence number ``n``."""
    chunk_id = record.evidence[n - 1].chunk_id if 1 <= n <= len(record.evidence) else None
    return [s.text for s in record.sentences if n in s.markers or (not s.markers and chunk_id in s.citations)]


# ----------------------------------------------------------------------------- Markdown export
def _md(text: str) -> str:
    """Document text made inert in a Markdown file: no links, images, HTML or emphasis."""
    return re.sub(r"([\\`*_{}\[\]()<>#!|~])", r"\\\1", " ".join((text or "").split()))


def render_markdown(record: AnswerRecord) -> str:
    """The record as a Markdown document to copy or download: answer with [n] markers, groundedness, each cited
    source with document, version, date, section, page and the passage quoted; refusals with their reason."""
    lines = [f"**Question:** {_md(record.question)}", ""]
    for w in record.warnings:
        lines += [f"> **Warning:** {_md(w)}", ""]
    if record.decision == "refuse":
        lines += [f"**No answer given** ({record.refusal_code or 'refused'}): {_md(record.refusal_reason or '')}", ""]
        sources = closest_passages(record)
        heading = "Closest passages searched"
    else:
        if record.verdict:
            lines += [f"**Verdict:** {verdict_label(record)}", ""]
        for s in record.sentences:
            lines.append(f"{_md(s.text)} " + "".join(f"\\[{m}\\]" for m in s.markers))
        band = groundedness_band(record.groundedness)
        lines += ["", f"**Groundedness:** {percent(record.groundedness)} ({band.level}: {band.advice})", ""]
        note = addresses_question_note(record.answers_question)
        if note:
            lines += [f"*{note}*", ""]
        sources = [(n, record.evidence[n - 1]) for n in cited_numbers(record)]
        heading = "Sources"
    lines += [f"### {heading}", ""]
    for n, r in sources:
        lines.append(f"\\[{n}\\] {_md(source_label(n, r).split('] ', 1)[-1])}")
        lines.append("")
        lines.append("> " + _md(r.text))
        lines.append("")
    lines += [f"*{record.generator or 'clinrag'} · settings {record.settings_fingerprint} · {DISCLAIMER}*"]
    return "\n".join(lines) + "\n"
