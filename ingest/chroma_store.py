"""Adapter around an embedded, persisted Chroma collection. chromadb types stay inside this module.

We always pass our own embeddings: chromadb's default embedding function downloads a model and fails offline.

One handle per folder per process (``ChromaVectors.shared``). Chroma keeps its HNSW index in memory and does not
see what another process wrote to the same folder (measured with chromadb 1.5: a UI process kept answering from
the vectors it loaded while a CLI ingest added more). The catalog's write counter (its ``generation``) says when
that happened; ``sync`` then closes the client and opens a fresh one. All calls on a handle hold its lock, so a
refresh never pulls the client from under a running query.

Server mode (``ChromaServer``, the setting ``vectors.mode = "server"``): the same collection API through
``chromadb.HttpClient`` to a ``chroma run`` server. Each generation folder of each index gets its own collection,
named after the index folder's absolute path and the generation (``collection_name``), so a rebuild still swaps
whole generations and two indexes can share one server. The catalog and the BM25 postings stay in the local folder.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

COLLECTION = "clinrag_chunks"
# chromadb caches clients per path process-wide; creating two at once from two threads corrupts that cache.
_CLIENT_LOCK = threading.Lock()
_HANDLES: dict[str, "ChromaVectors"] = {}


@dataclass(frozen=True)
class ChromaServer:
    """Where a Chroma server listens, and the optional auth header it wants (the value is a secret: never printed)."""

    host: str
    port: int
    ssl: bool = False
    auth_header: str = ""
    auth_value: str = field(default="", repr=False)
    collection_prefix: str = "clinrag"

    def headers(self) -> dict[str, str]:
        return {self.auth_header: self.auth_value} if self.auth_header and self.auth_value else {}


def collection_name(path: Path, server: ChromaServer | None) -> str:
    """The collection of one generation's vectors: the fixed name in an embedded folder; on a server, the prefix, a
    hash of the index folder's absolute path and the generation folder (``<prefix>-<hash>-gen-000002``)."""
    if server is None:
        return COLLECTION
    generation = Path(os.path.abspath(path)).parent
    root = hashlib.sha256(str(generation.parent).encode("utf-8")).hexdigest()[:12]
    return f"{server.collection_prefix}-{root}-{generation.name}"


class ChromaVectors:
    def __init__(self, path: Path, server: ChromaServer | None = None) -> None:
        self.path = Path(path)
        self.server = server
        self._client: Any = None
        self._collection: Any = None
        self._max_batch = 1000
        self._lock = threading.RLock()
        self.seen_revision: int | None = None  # the catalog write counter this handle's view is known to match

    @classmethod
    def shared(cls, path: Path, server: ChromaServer | None = None) -> "ChromaVectors":
        key = os.path.abspath(path) + ("" if server is None else f"@{server.host}:{server.port}")
        with _CLIENT_LOCK:
            handle = _HANDLES.get(key)
            if handle is None:
                handle = _HANDLES[key] = cls(Path(path), server)
            return handle

    @classmethod
    def drop(cls, path: Path, server: ChromaServer | None = None) -> None:
        """Forget the handle of a generation about to be deleted; on a server, delete its collection too (an
        embedded collection goes with its folder)."""
        if server is None:
            cls.forget(path)
            return
        with _CLIENT_LOCK:
            handle = _HANDLES.pop(os.path.abspath(path) + f"@{server.host}:{server.port}", None)
        handle = handle or cls(Path(path), server)
        try:
            with handle._lock:
                handle._get()
                handle._client.delete_collection(collection_name(handle.path, server))
        except Exception:  # noqa: BLE001 - a collection that is already gone is what we wanted
            pass
        handle.close()

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

            settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
            if self.server is None:
                self.path.mkdir(parents=True, exist_ok=True)
                client = chromadb.PersistentClient(path=str(self.path), settings=settings)
            else:
                client = _http_client(self.server, settings)
            self._max_batch = int(getattr(client, "get_max_batch_size", lambda: 1000)())
            self._collection = client.get_or_create_collection(
                collection_name(self.path, self.server), embedding_function=None, metadata={"hnsw:space": "cosine"}
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
        """Make this handle's view match the catalog at ``revision``: reopen if another process wrote since (a
        server always serves what was last written, so nothing to do there)."""
        if revision is None or self.server is not None:
            self.seen_revision = revision if revision is not None else self.seen_revision
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

    def get(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of ``ids`` (those the collection holds)."""
        out: dict[str, np.ndarray] = {}
        with self._lock:
            collection = self._get()
            ids = list(ids)
            step = max(1, min(self._max_batch, 4000))
            for i in range(0, len(ids), step):
                got = collection.get(ids=ids[i : i + step], include=["embeddings"])
                for cid, vector in zip(got["ids"], got["embeddings"]):
                    out[cid] = np.asarray(vector, dtype=np.float32)
        return out

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


def _http_client(server: ChromaServer, settings: Any) -> Any:
    """A client of the Chroma server; a server that does not answer is a named error, not a stack trace."""
    import chromadb

    from clinrag.errors import IndexStateError

    try:
        return chromadb.HttpClient(host=server.host, port=server.port, ssl=server.ssl, headers=server.headers() or None,
                                   settings=settings)
    except Exception as exc:  # noqa: BLE001 - chromadb raises several kinds for an unreachable server
        raise IndexStateError(
            f"the Chroma server at {server.host}:{server.port} did not answer ({type(exc).__name__}: {str(exc)[:200]}); "
            "start it with `.venv/bin/chroma run --host HOST --port PORT --path DIR`, or set vectors.mode = \"embedded\""
        ) from exc
