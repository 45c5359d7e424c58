"""BM25 over chunk terms, persisted so start-up never re-tokenises the corpus.

rank_bm25's BM25Okapi gives idf 0 to a term found in exactly half the documents and negative idf above
that (then floors it at a fraction of the mean); we use Lucene's always-positive idf instead, and never
pass ``tokenizer=`` (it starts a process pool that is never closed). An empty corpus has no BM25 at all.
"""

from __future__ import annotations

import math
import pickle
from pathlib import Path
from typing import Sequence

import numpy as np
from rank_bm25 import BM25Okapi


class _LuceneIdfBM25(BM25Okapi):
    def _calc_idf(self, nd: dict[str, int]) -> None:  # noqa: D401 - rank_bm25 hook
        self.idf = {word: math.log(1.0 + (self.corpus_size - freq + 0.5) / (freq + 0.5)) for word, freq in nd.items()}


class LexicalIndex:
    """Chunk ids in index order plus a fitted BM25 over their terms."""

    def __init__(self, chunk_ids: list[str], bm25: BM25Okapi | None) -> None:
        self.chunk_ids = chunk_ids
        self._bm25 = bm25
        self._postings: dict[str, np.ndarray] | None = None

    @classmethod
    def fit(cls, chunk_ids: list[str], terms: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> "LexicalIndex":
        if len(chunk_ids) != len(terms):
            raise ValueError(f"{len(chunk_ids)} chunk ids but {len(terms)} term lists")
        if not chunk_ids:
            return cls([], None)
        corpus = [list(t) if t else ["\x00empty"] for t in terms]
        return cls(list(chunk_ids), _LuceneIdfBM25(corpus, k1=k1, b=b))

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def top(self, query_terms: Sequence[str], k: int) -> list[tuple[str, float]]:
        """The ``k`` best chunks with a positive score, best first (ties broken by index order)."""
        if self._bm25 is None or not query_terms:
            return []
        scores = self._scores(query_terms)
        positive = np.flatnonzero(scores > 0)
        if positive.size == 0:
            return []
        order = positive[np.lexsort((positive, -scores[positive]))][:k]
        return [(self.chunk_ids[i], float(scores[i])) for i in order]

    def _scores(self, query_terms: Sequence[str]) -> np.ndarray:
        """BM25 scores for every chunk, computed through per-term postings (same formula as rank_bm25)."""
        bm25 = self._bm25
        assert bm25 is not None  # guarded by top()
        if self._postings is None:
            self._postings = _build_postings(bm25)
        doc_len = np.asarray(bm25.doc_len, dtype=np.float64)
        norm = bm25.k1 * (1 - bm25.b + bm25.b * doc_len / bm25.avgdl)
        scores = np.zeros(len(self.chunk_ids))
        for term in query_terms:
            posting = self._postings.get(term)
            if posting is None:
                continue
            rows, freqs = posting[0].astype(np.int64), posting[1]
            idf = bm25.idf.get(term, 0.0)
            scores[rows] += idf * freqs * (bm25.k1 + 1) / (freqs + norm[rows])
        return scores

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        with tmp.open("wb") as f:
            pickle.dump({"format": 1, "chunk_ids": self.chunk_ids, "bm25": self._bm25}, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "LexicalIndex":
        with path.open("rb") as f:
            data = pickle.load(f)  # our own file, written by save(); never a user-supplied path
        return cls(data["chunk_ids"], data["bm25"])


def _build_postings(bm25: BM25Okapi) -> dict[str, np.ndarray]:
    rows: dict[str, list[int]] = {}
    freqs: dict[str, list[int]] = {}
    for i, doc in enumerate(bm25.doc_freqs):
        for term, freq in doc.items():
            rows.setdefault(term, []).append(i)
            freqs.setdefault(term, []).append(freq)
    return {t: np.array([rows[t], freqs[t]], dtype=np.float64) for t in rows}
