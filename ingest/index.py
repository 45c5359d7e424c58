"""The persisted index: Chroma vectors, a BM25 lexical index and a SQLite catalog, kept consistent.

Write protocol (``apply``): new vectors are upserted into Chroma (chunk ids are content-derived, so they never
collide with live ones), the BM25 file of the next generation is written beside the current one, then one
SQLite transaction swaps documents, chunks and the generation pointer. Only after that commit are stale
vectors and the old BM25 file removed. Any failure before the commit rolls Chroma back, so a failed ingest
leaves the index as it was; searches only ever return chunks the catalog knows.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from clinrag.errors import IndexStateError
from ingest.chroma_store import ChromaVectors
from ingest.lexical import LexicalIndex
from ingest.records import Chunk, Document

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, title TEXT, issuer TEXT, version TEXT, date TEXT, status TEXT,
    source_path TEXT, sha256 TEXT, n_pages INTEGER, n_chars INTEGER, n_chunks INTEGER,
    metadata TEXT, ingested_at TEXT);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, ord INTEGER, text TEXT, char_start INTEGER,
    char_end INTEGER, page_start INTEGER, page_end INTEGER, section TEXT, terms TEXT);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT);
"""


@dataclass(frozen=True)
class PreparedDocument:
    """A parsed, chunked and embedded document, ready to be written in one step."""

    document: Document
    chunks: tuple[Chunk, ...]
    vectors: np.ndarray
    terms: tuple[tuple[str, ...], ...]


class IndexStore:
    """Reads and writes one index folder. The constructor opens nothing."""

    def __init__(self, root: Path, index_fingerprint: str, embedder_name: str) -> None:
        self.root = Path(root)
        self.index_fingerprint = index_fingerprint
        self.embedder_name = embedder_name
        self.vectors = ChromaVectors(self.root / "chroma")
        self._lexical: tuple[int, LexicalIndex] | None = None
        self._schema_ready = False
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- reading
    @property
    def catalog_path(self) -> Path:
        return self.root / "catalog.sqlite"

    def exists(self) -> bool:
        return self.catalog_path.exists()

    def _connect(self) -> sqlite3.Connection:
        self.root.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.catalog_path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        if not self._schema_ready:  # once per store, not on every search
            conn.executescript(SCHEMA)
            self._schema_ready = True
        return conn

    def state(self) -> dict[str, str]:
        if not self.exists():
            return {}
        with closing(self._connect()) as conn:
            return {row["key"]: row["value"] for row in conn.execute("SELECT key, value FROM state")}

    def check_compatible(self) -> None:
        """Refuse to mix chunks or vectors made with other settings."""
        state = self.state()
        found = state.get("index_fingerprint")
        if found and found != self.index_fingerprint:
            raise IndexStateError(
                f"index {self.root} was built with settings fingerprint {found}, current settings give "
                f"{self.index_fingerprint} (chunking or embedder changed); use another --index folder or "
                f"rebuild with `clinrag ingest --rebuild ...`"
            )

    def require_ready(self) -> None:
        if not self.exists() or not self.state().get("generation"):
            raise IndexStateError(
                f"no index at {self.root}; build one with `clinrag ingest corpora/` (or pass --index DIR / set CLINRAG_INDEX_DIR)"
            )
        self.check_compatible()

    def documents(self) -> list[dict[str, Any]]:
        if not self.exists():
            return []
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT * FROM documents ORDER BY doc_id").fetchall()
        return [_document_row(r) for r in rows]

    def document_hashes(self) -> dict[str, str]:
        if not self.exists():
            return {}
        with closing(self._connect()) as conn:
            return {r["doc_id"]: r["sha256"] for r in conn.execute("SELECT doc_id, sha256 FROM documents")}

    def chunks(self, chunk_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Chunk rows joined with their document's citation data, keyed by chunk id."""
        ids = list(dict.fromkeys(chunk_ids))
        if not ids:
            return {}
        out: dict[str, dict[str, Any]] = {}
        with closing(self._connect()) as conn:
            for i in range(0, len(ids), 500):
                batch = ids[i : i + 500]
                marks = ",".join("?" * len(batch))
                for r in conn.execute(
                    "SELECT c.chunk_id, c.doc_id, c.text, c.char_start, c.char_end, c.page_start, c.page_end, c.section,"
                    " d.title, d.issuer, d.version, d.date, d.status, d.source_path, d.metadata"
                    f" FROM chunks c JOIN documents d ON d.doc_id = c.doc_id WHERE c.chunk_id IN ({marks})",
                    batch,
                ):
                    row = dict(r)
                    row["metadata"] = json.loads(row["metadata"] or "{}")
                    out[row["chunk_id"]] = row
        return out

    def document_chunks(self, doc_id: str) -> list[dict[str, Any]]:
        with closing(self._connect()) as conn:
            ids = [r[0] for r in conn.execute("SELECT chunk_id FROM chunks WHERE doc_id=? ORDER BY ord", (doc_id,))]
        rows = self.chunks(ids)
        return [rows[i] for i in ids]

    def lexical(self) -> LexicalIndex:
        """The BM25 index of the current generation, loaded once and reloaded only after a write."""
        state = self.state()
        generation = int(state.get("generation", "0"))
        with self._lock:
            if self._lexical is None or self._lexical[0] != generation:
                name = state.get("lexical_file")
                index = LexicalIndex.load(self.root / name) if name else LexicalIndex.fit([], [])
                self._lexical = (generation, index)
            return self._lexical[1]

    def dense(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        if not self.exists():
            return []
        return self.vectors.query(vector, k)

    # ---------------------------------------------------------------- writing
    def apply(self, prepared: Sequence[PreparedDocument], remove_doc_ids: Sequence[str] = ()) -> None:
        """Add or replace ``prepared`` documents and remove ``remove_doc_ids``, all or nothing."""
        self.check_compatible()
        replaced = {p.document.doc_id for p in prepared} | set(remove_doc_ids)
        conn = self._connect()
        new_ids = [c.chunk_id for p in prepared for c in p.chunks]
        added_vectors: list[str] = []
        next_file: Path | None = None
        try:
            live_before = self._chunk_ids_of(conn, replaced)
            fresh = [cid for cid in new_ids if cid not in live_before]
            vectors = np.concatenate([p.vectors for p in prepared]) if prepared else np.zeros((0, 1))
            metas = [
                {"doc_id": c.doc_id, "page_start": c.page_start or 0, "section": c.section[:500]}
                for p in prepared
                for c in p.chunks
            ]
            fresh_ids = set(fresh)
            keep = [i for i, cid in enumerate(new_ids) if cid in fresh_ids]
            if keep:
                added_vectors = [new_ids[i] for i in keep]
                self.vectors.add(added_vectors, vectors[keep], [metas[i] for i in keep])
            conn.execute("BEGIN IMMEDIATE")
            if replaced:
                marks = ",".join("?" * len(replaced))
                conn.execute(f"DELETE FROM chunks WHERE doc_id IN ({marks})", list(replaced))
                conn.execute(f"DELETE FROM documents WHERE doc_id IN ({marks})", list(replaced))
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            for p in prepared:
                d = p.document
                entry = d.catalog_entry()
                conn.execute(
                    "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (d.doc_id, d.title, d.issuer, d.version, d.date, d.status, d.source_path, d.sha256,
                     entry["n_pages"], entry["n_chars"], len(p.chunks), json.dumps(entry["metadata"]), now),
                )
                conn.executemany(
                    "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?)",
                    [
                        (c.chunk_id, c.doc_id, i, c.text, c.char_start, c.char_end, c.page_start, c.page_end,
                         c.section, " ".join(t))
                        for i, (c, t) in enumerate(zip(p.chunks, p.terms))
                    ],
                )
            state = {r["key"]: r["value"] for r in conn.execute("SELECT key, value FROM state")}
            generation = int(state.get("generation", "0")) + 1
            rows = conn.execute("SELECT chunk_id, terms FROM chunks ORDER BY doc_id, ord").fetchall()
            lexical = LexicalIndex.fit([r[0] for r in rows], [r[1].split() for r in rows])
            next_file = self.root / f"bm25-{generation:06d}.pkl"
            lexical.save(next_file)
            for key, value in {
                "generation": str(generation),
                "lexical_file": next_file.name,
                "index_fingerprint": self.index_fingerprint,
                "embedder": self.embedder_name,
                "updated_at": now,
            }.items():
                conn.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", (key, value))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if added_vectors:
                self.vectors.delete(added_vectors)
            if next_file is not None:
                next_file.unlink(missing_ok=True)
            conn.close()
            raise
        conn.close()
        stale = live_before - set(new_ids)
        if stale:
            self.vectors.delete(sorted(stale))
        for old in self.root.glob("bm25-*.pkl"):
            if old.name != next_file.name:
                old.unlink(missing_ok=True)
        self.remove_orphan_vectors()

    def remove_orphan_vectors(self) -> int:
        """Delete vectors the catalog does not know (left by a process killed mid-write)."""
        with closing(self._connect()) as conn:
            live = {r[0] for r in conn.execute("SELECT chunk_id FROM chunks")}
        if self.vectors.count() == len(live):
            return 0
        orphans = sorted(self.vectors.ids() - live)
        if orphans:
            self.vectors.delete(orphans)
        return len(orphans)

    @staticmethod
    def _chunk_ids_of(conn: sqlite3.Connection, doc_ids: set[str]) -> set[str]:
        if not doc_ids:
            return set()
        marks = ",".join("?" * len(doc_ids))
        return {r[0] for r in conn.execute(f"SELECT chunk_id FROM chunks WHERE doc_id IN ({marks})", list(doc_ids))}

    def stats(self) -> dict[str, Any]:
        state = self.state()
        if not state:
            return {"index_dir": str(self.root), "documents": 0, "chunks": 0}
        with closing(self._connect()) as conn:
            n_docs = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
            n_chunks = conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return {"index_dir": str(self.root), "documents": n_docs, "chunks": n_chunks, "vectors": self.vectors.count(), **state}


def _document_row(row: sqlite3.Row) -> dict[str, Any]:
    data = dict(row)
    data["metadata"] = json.loads(data.get("metadata") or "{}")
    return data
