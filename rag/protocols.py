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
    system: str
    user: str
    max_tokens: int
    seed: int


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
