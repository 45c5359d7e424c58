"""Pure chunking: sections first, then sentences packed up to a size bound.

Guarantees (property-tested): chunks do not overlap, appear in text order, together cover every
non-space character, never exceed ``max_chars``, and carry monotone page ranges and character offsets.
"""

from __future__ import annotations

import bisect

from clinrag.records import Chunk, Document, Page, Section
from clinrag.settings import ChunkingSettings
from clinrag.text import split_sentences
from ingest.sanitize import flags_in_span

SECTION_SEPARATOR = " > "


def chunk_document(document: Document, settings: ChunkingSettings) -> list[Chunk]:
    text = document.text
    chunks: list[Chunk] = []
    findings = document.findings
    starts = [f.start for f in findings]
    reach = max((f.end - f.start for f in findings), default=0)
    page_ends = [p.end for p in document.pages]
    for seg_start, seg_end, path in _segments(text, document.sections, settings.min_chars):
        for start, end in _pack(text, seg_start, seg_end, settings.max_chars):
            piece = text[start:end]
            page_start, page_end = _page_range(document.pages, page_ends, start, end)
            chunks.append(
                Chunk(
                    chunk_id=Chunk.make_id(document.doc_id, start, end, piece),
                    doc_id=document.doc_id,
                    text=piece,
                    char_start=start,
                    char_end=end,
                    page_start=page_start,
                    page_end=page_end,
                    section=SECTION_SEPARATOR.join(path),
                    flags=flags_in_span(findings, starts, reach, start, end) if findings else (),
                )
            )
    return chunks


def _segments(text: str, sections: tuple[Section, ...], min_chars: int) -> list[tuple[int, int, tuple[str, ...]]]:
    """Split the text at section starts; a segment that is only a heading joins the one after it."""
    starts = sorted({s.start: s.path for s in sections if 0 <= s.start < len(text)}.items())
    bounds: list[tuple[int, tuple[str, ...]]] = []
    if not starts or starts[0][0] > 0:
        bounds.append((0, ()))
    bounds.extend(starts)
    raw = [(start, bounds[i + 1][0] if i + 1 < len(bounds) else len(text), path) for i, (start, path) in enumerate(bounds)]
    merged: list[tuple[int, int, tuple[str, ...]]] = []
    carry: int | None = None
    lines = body = 0  # non-empty lines and non-heading lines of the carried segments plus this one
    for start, end, path in raw:
        n_lines, n_body = _line_counts(text, start, end)
        if carry is not None:
            start = carry
            carry = None
            lines, body = lines + n_lines, body + n_body
        else:
            lines, body = n_lines, n_body
        if _is_heading_only(text, start, end, lines, body, min_chars) and end < len(text):
            carry = start
            continue
        merged.append((start, end, path))
    if carry is not None:
        merged.append((carry, len(text), raw[-1][2]))
    return [(s, e, p) for s, e, p in merged if text[s:e].strip()]


def _line_counts(text: str, start: int, end: int) -> tuple[int, int]:
    lines = [line for line in text[start:end].splitlines() if line.strip()]
    return len(lines), sum(1 for line in lines if not line.lstrip().startswith("#"))


def _is_heading_only(text: str, start: int, end: int, lines: int, body: int, min_chars: int) -> bool:
    """Only headings, or one heading and one short line. Counts are carried along, not recounted: rescanning
    the merged segment made a run of 20,000 headings quadratic (39 s for 80 KB)."""
    if not body:
        return True
    return lines <= 2 and body <= 1 and lines > body and len(text[start:end].strip()) < min_chars


def _pack(text: str, seg_start: int, seg_end: int, max_chars: int) -> list[tuple[int, int]]:
    units: list[tuple[int, int]] = []
    for s, e in split_sentences(text[seg_start:seg_end]):
        units.extend(_hard_split(text, seg_start + s, seg_start + e, max_chars))
    spans: list[tuple[int, int]] = []
    current: list[int] | None = None
    for s, e in units:
        if current is not None and e - current[0] <= max_chars:
            current[1] = e
            continue
        if current is not None:
            spans.append((current[0], current[1]))
        current = [s, e]
    if current is not None:
        spans.append((current[0], current[1]))
    return spans


def _hard_split(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence at whitespace (or anywhere, for unbroken text) into pieces <= max_chars."""
    pieces: list[tuple[int, int]] = []
    while end - start > max_chars:
        cut = text.rfind(" ", start + 1, start + max_chars + 1)
        if cut <= start:
            cut = start + max_chars
        pieces.append((start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        pieces.append((start, end))
    return pieces


def _page_range(pages: tuple[Page, ...], page_ends: list[int], start: int, end: int) -> tuple[int | None, int | None]:
    """First and last page overlapping ``text[start:end]``; O(log pages) plus the pages spanned."""
    if not pages:
        return None, None
    i = bisect.bisect_right(page_ends, start)  # the first page that ends after ``start``
    first = last = None
    j = i
    while j < len(pages) and pages[j].start < end:
        first = pages[j].number if first is None else first
        last = pages[j].number
        j += 1
    if first is None:  # the span lies in a separator between pages
        first = last = pages[i - 1].number if i > 0 else pages[0].number
    return first, last
