"""Deterministic fakes for fast unit tests. Never used outside tests."""

from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np

from clinrag.text import content_terms
from rag.protocols import GenerationRequest


class HashEmbedder:
    """Bag-of-stemmed-terms hashed into 256 dimensions, L2-normalised: similar texts get similar vectors."""

    name = "hash-embedder"
    dim = 256

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in content_terms(text):
                h = int.from_bytes(hashlib.blake2b(term.encode(), digest_size=4).digest(), "little")
                out[row, h % self.dim] += 1.0 if (h >> 31) & 1 else -1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


class ScriptedGenerator:
    """Returns scripted replies in order (the last one repeats) and records the requests it saw."""

    def __init__(self, replies: Sequence[str], name: str = "scripted") -> None:
        self.replies = list(replies)
        self.name = name
        self.requests: list[GenerationRequest] = []

    def complete(self, request: GenerationRequest) -> str:
        self.requests.append(request)
        return self.replies[min(len(self.requests) - 1, len(self.replies) - 1)]


class FixedJudge:
    """Support probability from a fixed table keyed by (claim, passage) substrings; default otherwise."""

    name = "fixed-judge"

    def __init__(self, table: dict[tuple[str, str], float] | None = None, default: float = 0.9) -> None:
        self.table = table or {}
        self.default = default

    def support_probability(self, claim: str, passage: str) -> float:
        for (c, p), value in self.table.items():
            if c in claim and p in passage:
                return value
        return self.default
