"""The narrow seams between the pipeline and its parts. Implementations are injected by the composition root
(``composition/app.py``); tests inject deterministic fakes (``tests/fakes.py``). Imports only the records."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Protocol, Sequence, runtime_checkable

import numpy as np

from clinrag.records import Draft, GenerationRequest, SearchResponse, SearchResult


@runtime_checkable
class Embedder(Protocol):
    name: str

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        ...




@runtime_checkable
class Generator(Protocol):
    """Turns a prompt into text. ``name`` identifies the model in answer records."""

    name: str

    def complete(self, request: GenerationRequest) -> str:
        ...


@runtime_checkable
class Judge(Protocol):
    """Scores whether a passage supports a claim: P(yes) in [0, 1]."""

    name: str

    def support_probability(self, claim: str, passage: str) -> float:
        ...


@runtime_checkable
class Reader(Protocol):
    """Reads a question (or a claim) together with passages. Implemented by ``rag.reader.CrossEncoderReader``."""

    name: str

    def relevance(self, question: str, passages: Sequence[str]) -> np.ndarray:
        """P(the passage or sentence answers the question), one per passage."""
        ...

    def support(self, claim: str, passages: Sequence[str]) -> np.ndarray:
        """Rows of P(entailed), P(contradicted), P(not stated), one per passage."""
        ...

    def support_pairs(self, claims: Sequence[str], passages: Sequence[str]) -> np.ndarray:
        """Rows of P(entailed), P(contradicted), P(not stated), one per (claim, passage) pair."""
        ...

    def verdict(self, question: str, evidence: Sequence[str]) -> np.ndarray:
        """Rows of P(yes), P(no), P(not stated), one per piece of evidence."""
        ...


class LexicalRanking(Protocol):
    def top(self, query_terms: Sequence[str], k: int) -> list[tuple[str, float]]:
        ...


@runtime_checkable
class ChunkStore(Protocol):
    """What retrieval needs from an index (``ingest.index.IndexStore`` implements it)."""

    def lexical(self) -> LexicalRanking:
        ...

    def dense(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        ...

    def chunks(self, chunk_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        ...


@runtime_checkable
class Retriever(Protocol):
    def search(self, query: str, k: int | None = None, mode: str = "fused") -> SearchResponse:
        ...

    def knows_term(self, term: str) -> bool:
        """Whether a stemmed term (``clinrag.text.content_terms``) occurs anywhere in the index."""
        ...


@runtime_checkable
class Drafter(Protocol):
    name: str

    def draft(self, question: str, evidence: Sequence[SearchResult], on_token: Callable[[str], None] | None = None) -> Draft:
        """``on_token``, when given, receives drafted text as it is written (LLM drafters stream it)."""
        ...


@runtime_checkable
class Verifier(Protocol):
    def check_many(self, pairs: Sequence[tuple[str, str]]) -> list[Any]:
        """One support check (``rag.verify.SupportCheck``) per (claim, passage) pair."""
        ...

    def support(self, claim: str, passage: str) -> float:
        ...
