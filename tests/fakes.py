"""Deterministic fakes for fast unit tests. Never used outside tests."""

from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np

from clinrag.records import GenerationRequest
from clinrag.text import content_terms


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


class LexicalReader:
    """A deterministic stand-in for the trained reader: relevance and support from term overlap, verdict from
    negation cues. Good enough to exercise the pipeline's decisions in fast tests; never used outside tests."""

    name = "lexical-reader"
    _NEG = ("not", "no", "never", "against", "avoid")

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    @staticmethod
    def _coverage(first: str, second: str) -> float:
        terms = content_terms(first)
        have = set(content_terms(second))
        return sum(t in have for t in terms) / len(terms) if terms else 0.0

    def relevance(self, question: str, passages: Sequence[str]) -> np.ndarray:
        self.calls.append(("relevance", len(passages)))
        return np.array([min(0.99, max(0.01, self._coverage(question, p) ** 1.5)) for p in passages], dtype=np.float32)

    def support_pairs(self, claims: Sequence[str], passages: Sequence[str]) -> np.ndarray:
        self.calls.append(("support", len(passages)))
        rows = []
        for claim, passage in zip(claims, passages):
            c = self._coverage(claim, passage)
            claim_neg = any(w in claim.lower().split() for w in self._NEG)
            passage_neg = any(w in passage.lower().split() for w in self._NEG)
            if c >= 0.8 and claim_neg != passage_neg:
                rows.append([0.05, 0.9, 0.05])
            else:
                e = min(0.98, max(0.02, c ** 2))
                rows.append([e, 0.02, 1.0 - e - 0.02])
        return np.array(rows, dtype=np.float32).reshape(-1, 3)

    def support(self, claim: str, passages: Sequence[str]) -> np.ndarray:
        return self.support_pairs([claim] * len(passages), passages)

    def verdict(self, question: str, evidence: Sequence[str]) -> np.ndarray:
        self.calls.append(("verdict", len(evidence)))
        rows = []
        for e in evidence:
            if self._coverage(question, e) < 0.5:
                rows.append([0.1, 0.1, 0.8])
            elif any(w in e.lower().split() for w in self._NEG):
                rows.append([0.05, 0.9, 0.05])
            else:
                rows.append([0.9, 0.05, 0.05])
        return np.array(rows, dtype=np.float32).reshape(-1, 3)
