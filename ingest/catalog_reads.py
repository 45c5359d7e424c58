"""Reading the catalog: state, documents, chunks with their citation data, BM25 and dense search, statistics.

A part of ``ingest.index.IndexStore`` (a mixin: it uses the store's layout, ``_connect`` and ``vectors``); every read
opens its own connection and sees one committed state.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from ingest.catalog_schema import CATALOG
from ingest.lexical import CatalogLexicalIndex, PostingsCache

_CHUNK_COLUMNS = (
    "c.chunk_id, c.doc_id, c.text, c.char_start, c.char_end, c.page_start, c.page_end, c.section, c.flags AS chunk_flags,"
    " d.title, d.issuer, d.version, COALESCE(l.status, d.status) AS status, d.date, d.source_path, d.metadata,"
    " l.superseded_by AS library_superseded_by, COALESCE(l.retired, 0) AS retired"
)


class CatalogReads:
    root: Path
    _postings_caches: dict[str, PostingsCache]

    def state(self) -> dict[str, str]:
        if not self.exists():
            return {}
        with closing(self._connect()) as conn:
            return {row["key"]: row["value"] for row in conn.execute("SELECT key, value FROM state")}

    def revision(self) -> int | None:
        if not self.exists():
            return None
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT value FROM state WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    def documents(self) -> list[dict[str, Any]]:
        """Every document, retired ones included, with its flags and the library's decisions."""
        if not self.exists():
            return []
        with closing(self._connect()) as conn:
            rows = conn.execute(
                "SELECT d.*, l.status AS library_status, l.superseded_by AS library_superseded_by,"
                " COALESCE(l.retired, 0) AS retired, COALESCE(l.reason, '') AS library_reason,"
                " l.updated_at AS library_updated_at"
                " FROM documents d LEFT JOIN library l ON l.doc_id = d.doc_id ORDER BY d.doc_id"
            ).fetchall()
        return [_document_row(r) for r in rows]

    def document_hashes(self) -> dict[str, str]:
        return {doc_id: row["sha256"] for doc_id, row in self.document_owners().items()}

    def document_owners(self) -> dict[str, dict[str, str]]:
        """doc_id -> sha256, source_path, source_key and fingerprint (the index fingerprint it was processed with)
        of every document."""
        if not self.exists():
            return {}
        with closing(self._connect()) as conn:
            return {
                r["doc_id"]: {"sha256": r["sha256"], "source_path": r["source_path"], "source_key": r["source_key"],
                              "fingerprint": r["fingerprint"]}
                for r in conn.execute("SELECT doc_id, sha256, source_path, source_key, fingerprint FROM documents")
            }

    def chunks(self, chunk_ids: Iterable[str], include_retired: bool = False) -> dict[str, dict[str, Any]]:
        """Chunk rows joined with their document's citation data, keyed by chunk id. Each row's ``flags`` lists
        what ingestion found in the chunk (``ingest.sanitize``: instruction-like text, forged markers, hidden
        text; empty when clean), so the answer pipeline can leave hostile passages out. ``status`` and the
        metadata's ``superseded_by`` include the library's decisions. Chunks of retired documents are left out
        unless ``include_retired`` (searches never return them)."""
        ids = list(dict.fromkeys(chunk_ids))
        if not ids or not self.exists():
            return {}
        out: dict[str, dict[str, Any]] = {}
        with closing(self._connect()) as conn:
            for i in range(0, len(ids), 500):
                batch = ids[i : i + 500]
                marks = ",".join("?" * len(batch))
                for r in conn.execute(
                    f"SELECT {_CHUNK_COLUMNS} FROM chunks c JOIN documents d ON d.doc_id = c.doc_id"
                    f" LEFT JOIN library l ON l.doc_id = c.doc_id WHERE c.chunk_id IN ({marks})",
                    batch,
                ):
                    if r["retired"] and not include_retired:
                        continue
                    out[r["chunk_id"]] = _chunk_row(r)
        return out

    def document_chunks(self, doc_id: str) -> list[dict[str, Any]]:
        """Every chunk of one document in order, retired or not, read in one statement (one snapshot)."""
        if not self.exists():
            return []
        with closing(self._connect()) as conn:
            rows = conn.execute(
                f"SELECT {_CHUNK_COLUMNS} FROM chunks c JOIN documents d ON d.doc_id = c.doc_id"
                " LEFT JOIN library l ON l.doc_id = c.doc_id WHERE c.doc_id = ? ORDER BY c.ord",
                (doc_id,),
            ).fetchall()
        return [_chunk_row(r) for r in rows]

    def chunk_sources(self, doc_ids: Iterable[str]) -> list[tuple[str, str, str, str]]:
        """(chunk_id, document title, section, text) of every chunk the catalog holds for these documents."""
        ids = list(dict.fromkeys(doc_ids))
        if not ids or not self.exists():
            return []
        out: list[tuple[str, str, str, str]] = []
        with closing(self._connect()) as conn:
            for i in range(0, len(ids), 500):
                batch = ids[i : i + 500]
                marks = ",".join("?" * len(batch))
                out += [(r[0], r[1] or "", r[2] or "", r[3] or "") for r in conn.execute(
                    f"SELECT c.chunk_id, d.title, c.section, c.text FROM chunks c JOIN documents d ON d.doc_id = c.doc_id"
                    f" WHERE c.doc_id IN ({marks})", batch)]
        return out

    def lexical(self) -> CatalogLexicalIndex:
        """BM25 over the catalog's postings of the live generation: nothing to load, always the committed state."""
        folder = self.data_dir()
        if not (folder / CATALOG).exists():
            return _EmptyLexical()  # type: ignore[return-value]
        cache = self._postings_caches.setdefault(str(folder), PostingsCache())
        return CatalogLexicalIndex(lambda: self._connect(folder), cache)

    def dense(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        if not self.exists():
            return []
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT value FROM state WHERE key='generation'").fetchone()
            retired = [r[0] for r in conn.execute("SELECT doc_id FROM library WHERE retired = 1")]
        return self.vectors.query(vector, k, revision=int(row[0]) if row else 0, exclude_doc_ids=retired)

    def stats(self) -> dict[str, Any]:
        state = self.state()
        if not state:
            return {"index_dir": str(self.root), "documents": 0, "chunks": 0}
        with closing(self._connect()) as conn:
            n_docs = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
            n_chunks = conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
            n_retired = conn.execute("SELECT COUNT(*) FROM library WHERE retired = 1").fetchone()[0]
        return {
            "index_dir": str(self.root), "documents": n_docs, "chunks": n_chunks, "vectors": self.vectors.count(),
            "retired": n_retired, "data_dir": self.data_dir().name, **state,
        }


class _EmptyLexical:
    def __len__(self) -> int:
        return 0

    def top(self, query_terms: Sequence[str], k: int) -> list[tuple[str, float]]:
        return []


def _document_row(row: sqlite3.Row) -> dict[str, Any]:
    data = dict(row)
    data["metadata"] = json.loads(data.get("metadata") or "{}")
    data["flags"] = json.loads(data.get("flags") or "[]")
    library_status = data.pop("library_status", None)
    library_superseded_by = data.pop("library_superseded_by", None)
    if library_status:
        data["status"] = library_status
    data["superseded_by"] = library_superseded_by or str(data["metadata"].get("superseded_by") or "")
    data["retired"] = bool(data.get("retired"))
    data["lifecycle"] = "retired" if data["retired"] else "active"
    data["library_reason"] = data.get("library_reason") or ""
    return data


def _chunk_row(r: sqlite3.Row) -> dict[str, Any]:
    row = dict(r)
    row["metadata"] = json.loads(row["metadata"] or "{}")
    override = row.pop("library_superseded_by", None)
    if override:
        row["metadata"] = {**row["metadata"], "superseded_by": override}
    row["flags"] = json.loads(row.pop("chunk_flags") or "[]")
    row["retired"] = bool(row["retired"])
    return row
