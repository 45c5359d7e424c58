"""The records that flow through the pipeline, from ingestion to answers: small frozen dataclasses whose ids derive
from content. This module is the bottom of the import graph: it imports nothing from the project.

ingest/ makes ``Document`` and ``Chunk``; rag/ turns index rows into ``SearchResult`` and answers into
``AnswerRecord`` (what ``clinrag ask --json`` prints and what the UI and the evaluation read).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal


# ----------------------------------------------------------------------------- ingestion
@dataclass(frozen=True)
class Page:
    """A page of the extracted text: ``text[start:end]`` came from page ``number`` (1-based)."""

    number: int
    start: int
    end: int


@dataclass(frozen=True)
class Section:
    """A heading path that is in effect from character ``start`` of the extracted text onwards."""

    start: int
    path: tuple[str, ...]


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    text: str
    source_path: str
    sha256: str
    issuer: str = ""
    version: str = ""
    date: str = ""
    status: str = "current"
    pages: tuple[Page, ...] = ()
    sections: tuple[Section, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # what ingestion neutralised or flagged in ``text`` (hidden text, forged markers, instruction-like prose),
    # and the flags of the whole document (these plus any found in the title or metadata)
    findings: tuple[Any, ...] = field(default=(), compare=False, hash=False)  # ingest.sanitize.Finding records
    flags: tuple[str, ...] = ()
    # the file it came from as an absolute path (``#doc_id`` added for a JSONL record), exactly as on disk;
    # ``source_path`` is the printable form for people. Decides who owns the doc_id.
    origin: str = ""

    def catalog_entry(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "issuer": self.issuer,
            "version": self.version,
            "date": self.date,
            "status": self.status,
            "source_path": self.source_path,
            "sha256": self.sha256,
            "n_pages": len(self.pages),
            "n_chars": len(self.text),
            "metadata": self.metadata,
            "flags": list(self.flags),
        }


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    text: str
    char_start: int
    char_end: int
    page_start: int | None
    page_end: int | None
    section: str
    flags: tuple[str, ...] = ()  # sanitize flags of the findings inside this chunk; not part of the id

    @staticmethod
    def make_id(doc_id: str, char_start: int, char_end: int, text: str) -> str:
        key = f"{doc_id}\x1f{char_start}\x1f{char_end}\x1f{text}"
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()  # any str, even a lone surrogate
        return f"{doc_id[:40]}:{digest[:16]}"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in 4 MiB blocks (model weights are hundreds of MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


# ----------------------------------------------------------------------------- retrieval
@dataclass(frozen=True)
class SearchResult:
    chunk_id: str
    doc_id: str
    title: str
    section: str
    page_start: int | None
    page_end: int | None
    char_start: int
    char_end: int
    text: str
    score: float
    bm25_rank: int | None
    dense_rank: int | None
    bm25_score: float | None = None
    dense_score: float | None = None
    version: str = ""
    date: str = ""
    status: str = "current"
    issuer: str = ""
    source_path: str = ""
    superseded_by: str = ""
    reader_score: float | None = None  # P(answers the question) from the reader, when it read this passage
    flags: tuple[str, ...] = ()  # set at ingest for hidden or instruction-like text; flagged passages are not evidence

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SearchResponse:
    query: str
    results: list[SearchResult]
    top_bm25: float = 0.0
    top_dense: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "results": [r.to_dict() for r in self.results]}


# ----------------------------------------------------------------------------- generation
@dataclass(frozen=True)
class GenerationRequest:
    """A prompt for a ``Generator``. ``question`` is the clinician's text exactly as it appears inside ``user``: a
    generator that sends the prompt off the machine redacts that part only, never the guideline passages around it
    (None: the caller did not say, so the whole ``user`` text is treated as the question)."""

    system: str
    user: str
    max_tokens: int
    seed: int
    question: str | None = None


@dataclass(frozen=True)
class Draft:
    """``text`` holds the cited sentences. Verdicts are not the drafter's business (``rag/verdict.py``)."""

    text: str
    cannot_answer: bool = False
    model: str = ""
    extra: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- answers
REFUSAL_NO_EVIDENCE = "no_relevant_evidence"
REFUSAL_NOT_STATED = "evidence_does_not_answer"
REFUSAL_UNSUPPORTED = "evidence_does_not_support"
REFUSAL_LOW_GROUNDEDNESS = "low_groundedness"
REFUSAL_FALSE_PREMISE = "premise_contradicted"
REFUSAL_UNTRUSTED = "untrusted_sources_only"
REFUSAL_TOPIC_ABSENT = "topic_not_in_library"
REFUSAL_MESSAGES = {
    REFUSAL_FALSE_PREMISE: "The question assumes that {premise} The guideline says otherwise: \"{sentence}\" ({source}).",
    REFUSAL_NO_EVIDENCE: "Nothing relevant was found in the loaded guidelines for this question.",
    REFUSAL_TOPIC_ABSENT: "No loaded guideline mentions {words}, which the question asks about; the library cannot answer it.",
    REFUSAL_NOT_STATED: "The closest passages ({passages}) do not state an answer to this question.",
    REFUSAL_UNSUPPORTED: "The drafted answer was not supported by the passages it cites: no sentence passed verification.",
    REFUSAL_LOW_GROUNDEDNESS: "The evidence found is too weak to answer reliably (groundedness below the threshold).",
    REFUSAL_UNTRUSTED: ("Only documents an answer may not rest on alone state an answer ({passages}): their issuer is "
                        "marked untrusted, or they disagree with a document of a trusted issuer."),
}


@dataclass(frozen=True)
class SentenceRecord:
    text: str
    citations: list[str]
    support: float
    markers: list[int] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnswerRecord:
    question: str
    decision: Literal["answer", "refuse"]
    answer: str
    sentences: list[SentenceRecord]
    groundedness: float
    refusal_reason: str | None
    evidence: list[SearchResult]
    timings_s: dict[str, float]
    models: dict[str, str]
    settings_fingerprint: str
    # extensions beyond the contract
    refusal_code: str | None = None
    verdict: str | None = None
    answerability: float = 0.0
    dropped_sentences: list[SentenceRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    generator: str = ""
    signals: dict[str, float] = field(default_factory=dict)
    focused_question: str | None = None  # what retrieval and the reader saw, when it differs from ``question``
    verdict_confidence: float | None = None
    verdict_reason: str | None = None
    # the recommendation the deciding (or first) sentence states: {direction, strength, grade, population, intervention,
    # cue, chunk_id}; direction is for | against | individual | insufficient
    recommendation: dict[str, Any] | None = None
    # calibrated P(the answer addresses what was asked); ``groundedness`` is P(every shown statement is supported)
    answers_question: float | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["evidence"] = [e.to_dict() for e in self.evidence]
        return data
