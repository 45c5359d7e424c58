"""Hybrid retrieval: BM25 and dense rankings fused by weighted RRF, with citation data attached."""

from __future__ import annotations

import re
from typing import Any

from clinrag.errors import QuestionError
from clinrag.protocols import ChunkStore, Embedder
from clinrag.records import SearchResponse, SearchResult
from clinrag.settings import RetrievalSettings
from clinrag.text import content_terms
from rag.fusion import weighted_rrf

MAX_QUESTION_CHARS = 2000
# control characters (NUL, escapes, C1) become spaces; format characters (bidi marks and overrides, zero-width
# characters, soft hyphens, tag characters) are dropped: neither is part of what the question asks
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_FORMAT = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
                     "\U000e0000-\U000e007f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_question(question: str) -> str:
    """The question as the pipeline reads it: one line, control and format characters removed, at most
    ``MAX_QUESTION_CHARS`` characters. Raises ``QuestionError`` when nothing is left, when it is too long, and when
    it holds a lone surrogate: a byte that was not UTF-8 (a shell argument with a stray byte reaches Python as one)
    or a broken escape, which no tokenizer, log or JSON reader takes."""
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, found {type(question).__name__}; type a clinical question")
    bad = _SURROGATE.search(question)
    if bad:
        code = ord(bad.group())
        what = (f"the byte \\x{code - 0xDC00:02x} (not UTF-8)" if 0xDC80 <= code <= 0xDCFF
                else f"a lone surrogate (\\u{code:04x})")
        raise QuestionError(f"the question holds {what} at character {bad.start() + 1}; retype the question as "
                            "UTF-8 text (check the terminal's encoding, for example LANG=C.UTF-8)")
    text = _FORMAT.sub("", _CONTROL.sub(" ", question))
    text = " ".join(text.split())
    if not text:
        raise QuestionError("the question is empty; type a clinical question, for example 'What is the target blood pressure?'")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question has {len(text)} characters, above the {MAX_QUESTION_CHARS} limit; shorten it")
    if not content_terms(text):
        raise QuestionError(f"the question {text!r} has no searchable words; ask with clinical terms")
    return text


class HybridRetriever:
    """Implements the ``Retriever`` seam: ``search(query, k)``. Cheap to construct."""

    def __init__(self, store: ChunkStore, embedder: Embedder, settings: RetrievalSettings) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings

    def knows_term(self, term: str) -> bool:
        return bool(self.store.lexical().top([term], 1))

    def search(self, query: str, k: int | None = None, mode: str = "fused") -> SearchResponse:
        """``mode`` is ``fused`` (default), ``bm25`` or ``dense`` (the single-retriever baselines)."""
        query = clean_question(query)
        k = k or self.settings.k
        s = self.settings
        lexical = self.store.lexical().top(content_terms(query), s.k_lexical) if mode != "dense" else []
        dense = self.store.dense(self.embedder.embed_query(query), s.k_dense) if mode != "bm25" else []
        rows = self.store.chunks([cid for cid, _ in lexical] + [cid for cid, _ in dense])
        lexical = [(cid, sc) for cid, sc in lexical if cid in rows]
        dense = [(cid, sc) for cid, sc in dense if cid in rows]  # vectors the catalog does not know are ignored
        fused = weighted_rrf(
            {"bm25": [c for c, _ in lexical], "dense": [c for c, _ in dense]},
            {"bm25": s.weight_lexical, "dense": s.weight_dense},
            s.rrf_k,
        )
        bm25_rank = {cid: i for i, (cid, _) in enumerate(lexical, start=1)}
        dense_rank = {cid: i for i, (cid, _) in enumerate(dense, start=1)}
        bm25_score = dict(lexical)
        dense_score = dict(dense)
        scored = []
        for cid, score in fused:
            row = rows[cid]
            if row["status"] == "superseded":
                score *= s.superseded_weight
            scored.append((score, cid))
        scored.sort(key=lambda t: (-t[0], min(bm25_rank.get(t[1], 10**6), dense_rank.get(t[1], 10**6)), t[1]))
        results = [
            _result(rows[cid], score, bm25_rank.get(cid), dense_rank.get(cid), bm25_score.get(cid), dense_score.get(cid))
            for score, cid in scored[:k]
        ]
        return SearchResponse(
            query=query,
            results=results,
            top_bm25=lexical[0][1] if lexical else 0.0,
            top_dense=dense[0][1] if dense else 0.0,
        )


def _result(row: dict[str, Any], score: float, b_rank, d_rank, b_score, d_score) -> SearchResult:
    return SearchResult(
        chunk_id=row["chunk_id"],
        doc_id=row["doc_id"],
        title=row["title"],
        section=row["section"],
        page_start=row["page_start"],
        page_end=row["page_end"],
        char_start=row["char_start"],
        char_end=row["char_end"],
        text=row["text"],
        score=round(float(score), 6),
        bm25_rank=b_rank,
        dense_rank=d_rank,
        bm25_score=None if b_score is None else round(float(b_score), 4),
        dense_score=None if d_score is None else round(float(d_score), 4),
        version=row.get("version") or "",
        date=row.get("date") or "",
        status=row.get("status") or "current",
        issuer=row.get("issuer") or "",
        source_path=row.get("source_path") or "",
        superseded_by=str((row.get("metadata") or {}).get("superseded_by") or ""),
        flags=tuple(row.get("flags") or ()),
    )
