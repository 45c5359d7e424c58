"""Adapter around an embedded, persisted Chroma collection. chromadb types stay inside this module.

We always pass our own embeddings: chromadb's default embedding function downloads a model and fails offline.

One handle per folder per process (``ChromaVectors.shared``). Chroma keeps its HNSW index in memory and does not
see what another process wrote to the same folder (measured with chromadb 1.5: a UI process kept answering from
the vectors it loaded while a CLI ingest added more). The catalog's write counter (its ``generation``) says when
that happened; ``sync`` then closes the client and opens a fresh one. All calls on a handle hold its lock, so a
refresh never pulls the client from under a running query.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np

COLLECTION = "clinrag_chunks"
# chromadb caches clients per path process-wide; creating two at once from two threads corrupts that cache.
_CLIENT_LOCK = threading.Lock()
_HANDLES: dict[str, "ChromaVectors"] = {}


class ChromaVectors:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._client: Any = None
        self._collection: Any = None
        self._max_batch = 1000
        self._lock = threading.RLock()
        self.seen_revision: int | None = None  # the catalog write counter this handle's view is known to match

    @classmethod
    def shared(cls, path: Path) -> "ChromaVectors":
        key = os.path.abspath(path)
        with _CLIENT_LOCK:
            handle = _HANDLES.get(key)
            if handle is None:
                handle = _HANDLES[key] = cls(Path(path))
            return handle

    @classmethod
    def forget(cls, path: Path) -> None:
        """Close and drop the handle of a folder that is about to be deleted."""
        with _CLIENT_LOCK:
            handle = _HANDLES.pop(os.path.abspath(path), None)
        if handle is not None:
            handle.close()

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
            self._client = client
        return self._collection

    def close(self) -> None:
        with self._lock:
            client, self._client, self._collection = self._client, None, None
            self.seen_revision = None
            if client is not None:
                try:
                    client.close()
                except Exception:  # noqa: BLE001 - closing must never fail a caller
                    pass

    def sync(self, revision: int | None) -> None:
        """Make this handle's view match the catalog at ``revision``: reopen if another process wrote since."""
        if revision is None:
            return
        with self._lock:
            if self.seen_revision is not None and self.seen_revision != revision and self._collection is not None:
                self.close()
            self.seen_revision = revision

    def count(self) -> int:
        with self._lock:
            return int(self._get().count())

    def ids(self) -> set[str]:
        with self._lock:
            return set(self._get().get(include=[])["ids"])

    def add(self, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict[str, Any]]) -> None:
        with self._lock:
            collection = self._get()
            step = max(1, min(self._max_batch, 4000))
            for i in range(0, len(ids), step):
                collection.upsert(
                    ids=list(ids[i : i + step]),
                    embeddings=vectors[i : i + step].tolist(),
                    metadatas=list(metadatas[i : i + step]),
                )

    def delete(self, ids: Sequence[str]) -> None:
        with self._lock:
            collection = self._get()
            ids = list(ids)
            step = max(1, min(self._max_batch, 4000))
            for i in range(0, len(ids), step):
                collection.delete(ids=ids[i : i + step])

    def query(
        self, vector: np.ndarray, k: int, revision: int | None = None, exclude_doc_ids: Sequence[str] = ()
    ) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity), best first; chunks of ``exclude_doc_ids`` are never returned."""
        with self._lock:
            self.sync(revision)
            collection = self._get()
            n = min(k, collection.count())
            if n <= 0:
                return []
            where = {"doc_id": {"$nin": list(exclude_doc_ids)}} if exclude_doc_ids else None
            result = collection.query(query_embeddings=[vector.tolist()], n_results=n, include=["distances"], where=where)
            return [(cid, 1.0 - float(dist)) for cid, dist in zip(result["ids"][0], result["distances"][0])]
