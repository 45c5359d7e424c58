"""Pure functions that turn records and reports into display strings / Markdown for the Streamlit UI.

No Streamlit import here, so everything is unit-testable. Document text is untrusted: every string that can
come from a document (passage text, titles, sections, warnings naming titles) goes through ``escape_md``,
which backslash-escapes Markdown/HTML punctuation so it renders literally (no links, images, HTML, colour
directives or LaTeX). Only our own fixed strings and numbers are left as Markdown.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from clinrag.records import AnswerRecord, SearchResult
from rag.render import (
    cited_numbers,
    closest_passages,
    addresses_question_note,
    groundedness_band,
    highlight_spans,
    is_superseded,
    pages_label,
    percent,
    snippet,
    source_fields,
    support_level,
    verdict_label,
)

NOTICE = "Demonstration corpus — not clinical advice."
LIBRARY_NOTICE = (
    "The bundled corpus is a **demonstration corpus**: summaries written for software testing, not clinical advice. "
    "Load your institution's official guideline documents before any real use."
)
EVAL_COMMAND = "clinrag eval --suite eval/suites/clinrag-demo"
UPLOAD_TYPES = ("pdf", "md", "txt", "jsonl")

# every ASCII punctuation character CommonMark lets us backslash-escape, plus ':' (Streamlit colour
# directives and emoji shortcodes) and '$' (LaTeX); '<' and '>' so no HTML-looking text survives
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&\"'=^])")
_SUPPORT_COLOURS = {"high": "green", "medium": "orange", "low": "red"}


# ----------------------------------------------------------------------------- escaping
def escape_md(text: Any) -> str:
    """Text rendered literally by Markdown: punctuation escaped, newlines kept as hard line breaks."""
    value = "" if text is None else str(text)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    escaped = _MD_SPECIAL.sub(r"\\\1", value)
    return "  \n".join(escaped.split("\n"))


def escape_inline(text: Any) -> str:
    """Escaped and flattened to one line (labels, table cells, expander titles)."""
    return escape_md(" ".join(("" if text is None else str(text)).split()))


# ----------------------------------------------------------------------------- badges
def badge(label: str, colour: str) -> str:
    """A Streamlit Markdown badge; ``label`` must be our own text (it is escaped anyway)."""
    return f":{colour}-badge[{escape_inline(label)}]"


def support_badge(support: float) -> str:
    level = support_level(support)
    return badge(f"support {percent(support)}", _SUPPORT_COLOURS[level])


def status_badge(result: SearchResult) -> str:
    if is_superseded(result):
        return badge("SUPERSEDED", "red")
    return badge((result.status or "current").upper(), "green" if (result.status or "current") == "current" else "gray")


_BAND_COLOURS = {"high": "green", "moderate": "orange", "low": "red", "none": "gray"}


def groundedness_colour(value: float) -> str:
    return _BAND_COLOURS[groundedness_band(value).level]


# ----------------------------------------------------------------------------- answer
def markers_md(markers: Iterable[int]) -> str:
    return "".join(f"\\[{int(m)}\\]" for m in markers)


def answer_markdown(record: AnswerRecord, turn: int | str | None = None) -> str:
    """Each kept sentence (escaped) with its [n] markers and a coloured support badge, one per line; with ``turn``,
    each marker links to its source card of that conversation turn."""
    def marks(markers: Iterable[int]) -> str:
        if turn is None:
            return markers_md(markers)
        return "".join(f"[\\[{int(m)}\\]](#{source_anchor(turn, int(m))})" for m in markers)

    lines = [f"{escape_md(s.text)} {marks(s.markers)} {support_badge(s.support)}".strip() for s in record.sentences]
    if not lines and record.answer:
        lines = [escape_md(record.answer)]
    return "\n\n".join(lines)


def verdict_markdown(record: AnswerRecord) -> str:
    """'Verdict: YES' badge for yes/no questions; '' otherwise."""
    label = verdict_label(record)
    if not label:
        return ""
    colour = {"YES": "green", "NO": "red"}.get(label, "blue")
    return f"**Verdict:** {badge(label, colour)}"


def groundedness_markdown(record: AnswerRecord) -> str:
    g = float(record.groundedness or 0.0)
    band = groundedness_band(g)
    text = (
        f"**Groundedness:** {badge(f'{band.level} · {percent(g)}', groundedness_colour(g))} — "
        f"{escape_inline(band.advice[0].upper() + band.advice[1:])}.  \n"
        "*The estimated chance that every statement shown is supported by the passage it cites.*"
    )
    note = addresses_question_note(getattr(record, "answers_question", None))
    return f"{text}  \n⚠️ {escape_inline(note)}" if note else text


REFUSAL_TITLES = {
    "no_relevant_evidence": ("Not covered by the loaded guidelines",
                             "No loaded guideline addresses this question. Check the Library for the guideline you expect, "
                             "or rephrase with the condition and the treatment or test you mean."),
    "topic_not_in_library": ("Not covered by the loaded guidelines",
                             "No loaded guideline uses the word the question turns on, so the passages found are about "
                             "something else. Check the Library for the guideline you expect, or use the guideline's term."),
    "evidence_does_not_answer": ("The guidelines found do not state this",
                                 "The passages below are on the topic but none of them states the answer. Read them: the "
                                 "point may be outside the guideline's scope."),
    "evidence_does_not_support": ("The draft answer failed verification",
                                  "A draft was written, but none of its sentences was supported by the passage it cited, "
                                  "so nothing is shown. Read the passages below."),
    "low_groundedness": ("The evidence is too weak to answer",
                         "Something related was found, but not strongly enough to answer reliably. Read the passages below."),
    "premise_contradicted": ("The question's premise conflicts with the guideline",
                             "The question assumes something the guideline contradicts; the passage that says otherwise "
                             "is quoted below."),
}


def refusal_title(record: AnswerRecord) -> tuple[str, str]:
    """(title, what to do) for a refusal card, in the terms of its refusal code."""
    return REFUSAL_TITLES.get(str(record.refusal_code), ("No answer given", "Read the closest passages below."))


def refusal_markdown(record: AnswerRecord) -> str:
    reason = record.refusal_reason or "No answer could be given from the loaded guidelines."
    code = f" (`{str(record.refusal_code).replace('`', '')}`)" if record.refusal_code else ""  # our own constant
    return f"**No answer given.** {escape_md(reason)}{code}"


def warning_texts(record: AnswerRecord) -> list[str]:
    """Warnings as escaped Markdown (they quote document titles)."""
    return [escape_md(w) for w in record.warnings]


# ----------------------------------------------------------------------------- sources
def source_title(n: int, result: SearchResult) -> str:
    """Expander label: '[n] Title · version · date · pp. — SUPERSEDED' (escaped)."""
    parts = [result.title or result.doc_id]
    if result.version:
        parts.append(f"version {result.version}")
    if result.date:
        parts.append(result.date)
    if pages_label(result):
        parts.append(pages_label(result))
    label = f"\\[{n}\\] " + escape_inline(" · ".join(parts))
    if is_superseded(result):
        label += " — " + badge("SUPERSEDED", "red")
    return label


def source_meta_markdown(result: SearchResult) -> str:
    """The citation data of one passage as a Markdown list (values escaped), status as a badge."""
    lines = [f"**Document:** {escape_inline(result.title or result.doc_id)}"]
    for label, value in source_fields(result):
        if label == "Status":
            extra = f" (replaced by {escape_inline(result.superseded_by)})" if result.superseded_by else ""
            lines.append(f"**Status:** {status_badge(result)}{extra}")
        else:
            lines.append(f"**{label}:** {escape_inline(value)}")
    return "  \n".join(lines)


def passage_markdown(result: SearchResult, claims: Sequence[str] = ()) -> str:
    """The exact passage text, escaped so it renders literally, with the sentences the answer cites highlighted."""
    text = result.text or ""
    out, last = [], 0
    for start, end in highlight_spans(text, claims):
        out.append(escape_md(text[last:start]))
        out.append(f":orange-background[{escape_md(text[start:end])}]")
        last = end
    out.append(escape_md(text[last:]))
    return "".join(out)


def source_anchor(turn: int | str, n: int) -> str:
    """The anchor of source card ``n`` of conversation turn ``turn`` (the answer's [n] markers link to it)."""
    return f"source-{turn}-{n}"


def sources_for(record: AnswerRecord) -> tuple[list[tuple[int, SearchResult]], list[tuple[int, SearchResult]]]:
    """(cited, other) evidence as (number, result); numbers match the [n] markers in the answer.

    For a refusal, ``cited`` is empty and ``other`` holds the closest passages searched.
    """
    if record.decision == "refuse":
        return [], closest_passages(record)
    cited = cited_numbers(record)
    numbered = list(enumerate(record.evidence, start=1))
    return [(n, r) for n, r in numbered if n in cited], [(n, r) for n, r in numbered if n not in cited]


def passage_preview(result: SearchResult, limit: int = 160) -> str:
    return escape_inline(snippet(result.text, limit))


def details(record: AnswerRecord) -> dict[str, Any]:
    """What the 'details' expander shows (rendered with st.json, never as HTML)."""
    return {
        "settings_fingerprint": record.settings_fingerprint,
        "generator": record.generator,
        "models": dict(record.models),
        "timings_s": dict(record.timings_s),
        "answerability": record.answerability,
        "groundedness": record.groundedness,
        "decision": record.decision,
        "refusal_code": record.refusal_code,
        "dropped_sentences": len(record.dropped_sentences),
    }


# ----------------------------------------------------------------------------- library
DOCUMENT_COLUMNS = ("doc_id", "title", "issuer", "version", "date", "status", "chunks", "pages", "source_path")


def document_rows(documents: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows for the Library table (plain values; st.dataframe shows them as text)."""
    rows = []
    for d in documents:
        status = str(d.get("status") or "current")
        rows.append({
            "doc_id": d.get("doc_id", ""),
            "title": d.get("title") or "",
            "issuer": d.get("issuer") or "",
            "version": d.get("version") or "",
            "date": d.get("date") or "",
            "status": "SUPERSEDED" if status == "superseded" else status,
            "chunks": int(d.get("n_chunks") or 0),
            "pages": int(d.get("n_pages") or 0) or None,
            "source_path": d.get("source_path") or "",
        })
    return rows


def ingest_summary(report: Any) -> tuple[str, list[str]]:
    """(summary line, ['name: reason', ...] for each failed file) from an ``IngestReport``."""
    failures = [f"{escape_inline(Path(path).name)}: {escape_inline(reason)}" for path, reason in report.failed]
    return escape_inline(report.summary()), failures


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_upload_name(name: str) -> str:
    """A file name safe to write under var/uploads/ (no folders, no odd characters, extension kept)."""
    base = Path(str(name).replace("\\", "/")).name
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = _SAFE_NAME.sub("_", stem).strip("._") or "upload"
    ext = _SAFE_NAME.sub("", ext).lower()
    return f"{stem[:100]}.{ext}" if ext else stem[:100]


# ----------------------------------------------------------------------------- evaluation
def find_reports(eval_root: Path) -> list[Path]:
    """report.json files under ``eval_root/*/``, newest first."""
    if not eval_root.is_dir():
        return []
    reports = [p for p in eval_root.glob("*/report.json") if p.is_file()]
    return sorted(reports, key=lambda p: (-p.stat().st_mtime, str(p)))


def load_report(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return data


def fmt_metric(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


_HEADLINE: tuple[tuple[str, str, str], ...] = (
    ("Retrieval", "retrieval", "recall@1"),
    ("Retrieval", "retrieval", "recall@5"),
    ("Retrieval", "retrieval", "recall@10"),
    ("Retrieval", "retrieval", "mrr"),
    ("Retrieval", "retrieval", "ndcg@10"),
    ("Answer", "answer", "accuracy"),
    ("Answer", "answer", "overall_accuracy"),
    ("Citations", "citations", "precision"),
    ("Citations", "citations", "recall"),
    ("Refusal", "refusal", "recall"),
    ("Refusal", "refusal", "over_refusal"),
    ("Refusal", "refusal", "coverage"),
    ("Selective", "selective", "accuracy_answered"),
    ("Selective", "selective", "ece"),
    ("Selective", "selective", "brier"),
    ("Selective", "selective", "aurc"),
    ("Latency (s)", "latency_s", "p50"),
    ("Latency (s)", "latency_s", "p95"),
    ("Latency (s)", "latency_s", "mean"),
)


def headline_rows(report: Mapping[str, Any]) -> list[dict[str, str]]:
    """[{'group', 'metric', 'value'}] for the metrics a suite report carries (missing sections skipped)."""
    rows = []
    for group, section, key in _HEADLINE:
        values = report.get(section)
        if isinstance(values, Mapping) and key in values:
            rows.append({"group": group, "metric": key, "value": fmt_metric(values.get(key))})
    return rows


def headline_metrics(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Four headline numbers for st.metric tiles."""
    def get(section: str, key: str) -> Any:
        values = report.get(section)
        return values.get(key) if isinstance(values, Mapping) else None

    return [
        ("Answer accuracy", fmt_metric(get("answer", "accuracy"))),
        ("Retrieval recall@5", fmt_metric(get("retrieval", "recall@5"))),
        ("Refusal recall", fmt_metric(get("refusal", "recall"))),
        ("ECE", fmt_metric(get("selective", "ece"))),
    ]


def report_meta(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    keys = ("suite", "n", "generator", "settings_fingerprint", "seed", "limit", "wall_s", "errors")
    return [(k, fmt_metric(report.get(k))) for k in keys if k in report]


def report_plots(path: Path, report: Mapping[str, Any]) -> list[Path]:
    """PNG plots beside ``report.json`` (the ones the report names first, then any other PNG)."""
    folder = path.parent
    named = [folder / str(f) for f in (report.get("plots") or {}).values()] if isinstance(report.get("plots"), Mapping) else []
    found = [p for p in named if p.is_file() and p.suffix.lower() == ".png" and p.parent == folder]
    extra = sorted(p for p in folder.glob("*.png") if p not in found)
    return found + extra

