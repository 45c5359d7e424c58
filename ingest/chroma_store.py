"""Adapter around an embedded, persisted Chroma collection. chromadb types stay inside this module.

We always pass our own embeddings: chromadb's default embedding function downloads a model and fails offline.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np

COLLECTION = "clinrag_chunks"
# chromadb caches clients per path process-wide; creating two at once from two threads corrupts that cache.
_CLIENT_LOCK = threading.Lock()


class ChromaVectors:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._collection: Any = None

    def _get(self) -> Any:
        if self._collection is not None:
            return self._collection
        with _CLIENT_LOCK:
            return self._open()

    def _open(self) -> Any:
        if self._collection is None:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            self.path.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(
                path=str(self.path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
            )
            self._max_batch = int(getattr(client, "get_max_batch_size", lambda: 1000)())
            self._collection = client.get_or_create_collection(
                COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
        return self._collection

    def count(self) -> int:
        return int(self._get().count())

    def ids(self) -> set[str]:
        return set(self._get().get(include=[])["ids"])

    def add(self, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict[str, Any]]) -> None:
        collection = self._get()
        step = max(1, min(self._max_batch, 4000))
        for i in range(0, len(ids), step):
            collection.upsert(
                ids=list(ids[i : i + step]),
                embeddings=vectors[i : i + step].tolist(),
                metadatas=list(metadatas[i : i + step]),
            )

    def delete(self, ids: Sequence[str]) -> None:
        collection = self._get()
        ids = list(ids)
        step = max(1, min(self._max_batch, 4000))
        for i in range(0, len(ids), step):
            collection.delete(ids=ids[i : i + step])

    def query(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity), best first."""
        collection = self._get()
        n = min(k, collection.count())
        if n <= 0:
            return []
        result = collection.query(query_embeddings=[vector.tolist()], n_results=n, include=["distances"])
        return [(cid, 1.0 - float(dist)) for cid, dist in zip(result["ids"][0], result["distances"][0])]
