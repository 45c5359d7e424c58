"""The narrow seams between the pipeline and its models. Implementations are injected."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence, runtime_checkable

import numpy as np


@runtime_checkable
class Embedder(Protocol):
    name: str

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        ...


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
