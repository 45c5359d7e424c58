"""The stack a user would write instead, for ``clinrag bench``: LangChain's ``EnsembleRetriever`` (weighted RRF)
over ``BM25Retriever`` (rank_bm25, whitespace tokens) and the LangChain ``Chroma`` vector store, k = 10, built
from the same chunk texts and the same vectors as the clinrag index, the query encoded by the same embedder.

Needs ``langchain-community``, ``langchain-classic`` and ``langchain-chroma`` (requirements.txt); ``available()``
says whether they are installed, so the bench can report the comparison as skipped instead of failing.
"""

from __future__ import annotations

import importlib.util
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

COLLECTION = "naive"
BM25_FILE = "bm25.pkl"
PACKAGES = ("langchain_community", "langchain_classic", "langchain_chroma")


def available() -> str | None:
    """None when the naive stack can be built, else what is missing."""
    missing = [p for p in PACKAGES if importlib.util.find_spec(p) is None]
    return None if not missing else "not installed: " + ", ".join(m.replace("_", "-") for m in missing)


def _embeddings(embedder: Any) -> Any:
    """A LangChain ``Embeddings`` whose queries go through ``embedder`` and whose documents take the vectors handed
    to it beforehand (``pending``): the same vectors as the clinrag index, not a second encode."""
    from langchain_core.embeddings import Embeddings

    class Precomputed(Embeddings):
        def __init__(self) -> None:
            self.pending: np.ndarray | None = None

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            if self.pending is None or len(self.pending) != len(texts):
                raise ValueError("vectors for these texts were not handed over")
            out, self.pending = self.pending.tolist(), None
            return out

        def embed_query(self, text: str) -> list[float]:
            return np.asarray(embedder.embed_query(text), dtype=np.float32).tolist()

    return Precomputed()


def _store(folder: Path, embeddings: Any) -> Any:
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma

    return Chroma(collection_name=COLLECTION, embedding_function=embeddings, persist_directory=str(folder / "chroma"),
                  client_settings=ChromaSettings(anonymized_telemetry=False, is_persistent=True,
                                                 persist_directory=str(folder / "chroma")))


def build(folder: Path, ids: Sequence[str], texts: Sequence[str], vectors: np.ndarray, embedder: Any,
          batch: int = 4096) -> None:
    """Write the naive stack's vector store and pickled BM25 retriever into ``folder``."""
    from langchain_community.retrievers import BM25Retriever

    folder.mkdir(parents=True, exist_ok=True)
    embeddings = _embeddings(embedder)
    store = _store(folder, embeddings)
    for i in range(0, len(ids), batch):
        embeddings.pending = np.asarray(vectors[i : i + batch], dtype=np.float32)
        store.add_texts(list(texts[i : i + batch]), metadatas=[{"chunk_id": c} for c in ids[i : i + batch]],
                        ids=list(ids[i : i + batch]))
    bm25 = BM25Retriever.from_texts(list(texts), metadatas=[{"chunk_id": c} for c in ids])
    with (folder / BM25_FILE).open("wb") as f:
        pickle.dump(bm25, f, protocol=pickle.HIGHEST_PROTOCOL)


class NaiveRetriever:
    """The naive stack reopened from ``folder``: ``search(query, k)`` returns chunk ids, best first."""

    def __init__(self, folder: Path, embedder: Any, k: int = 10) -> None:
        from langchain_classic.retrievers import EnsembleRetriever

        with (folder / BM25_FILE).open("rb") as f:
            self.bm25 = pickle.load(f)  # noqa: S301 - written by build() in this run
        self.bm25.k = k
        self.store = _store(folder, _embeddings(embedder))
        self.k = k
        self.ensemble = EnsembleRetriever(retrievers=[self.bm25, self.store.as_retriever(search_kwargs={"k": k})],
                                          weights=[0.5, 0.5])

    def search(self, query: str, k: int | None = None) -> list[str]:
        documents = self.ensemble.invoke(query)
        return [d.metadata["chunk_id"] for d in documents][: k or self.k]
