"""The persisted index: Chroma vectors, BM25 postings and a SQLite catalog, kept consistent.

Layout. The index folder holds ``.lock`` (the writer lock, ``ingest.locking``), ``CURRENT`` (the name of the
live generation folder) and that folder, ``gen-NNNNNN/`` with ``catalog.sqlite`` (documents, chunks, BM25
postings, library decisions, state) and ``chroma/``. ``--rebuild`` builds a new generation folder beside the
live one and swaps it in with one ``os.replace`` of ``CURRENT``: a reader resolves ``CURRENT`` on every call and
sees the old index or the new one, never a mix of two folders. An index written before generations existed
(catalog in the folder itself) is still read and written in place; its first rebuild moves it to the layout.

Write protocol (``apply``, under the writer lock): new vectors are upserted into Chroma (chunk ids are
content-derived, so they never collide with live ones), then one SQLite transaction swaps documents, chunks, their
BM25 postings and the state counters. Only after that commit are stale vectors removed. A failure before the
commit rolls Chroma back; a process killed at any point leaves the catalog and postings as they were (SQLite's
journal) and, at worst, vectors the catalog does not know, which searches ignore and the next write removes
(``recover``). ``verify`` checks that the three parts agree.

The catalog's ``generation`` state counts writes (it names no folder): readers compare it to notice another
process's write (see ``ChromaVectors.sync``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from clinrag.errors import DocIdConflictError, IndexStateError
from clinrag.records import Chunk, Document
from ingest import ingest_log
from ingest.chroma_store import ChromaServer, ChromaVectors
from ingest.library_records import ISSUER_TRUST, LibraryRecords  # noqa: F401 - ISSUER_TRUST importable from here
from ingest.lexical import CatalogLexicalIndex, PostingsCache, term_counts
from ingest.catalog_schema import (  # noqa: F401 - the layout's names, importable from here as before
    CATALOG, CURRENT, GENERATION as _GENERATION, SCHEMA, SCHEMA_VERSION, columns as _columns,
    create_schema as _create_schema, migrate_v1 as _migrate_v1, migrate_v2 as _migrate_v2,
)
from ingest.generations import Generations
from ingest.locking import IndexLock
from ingest.sanitize import display
from ingest.verification import Consistency, IndexVerification  # noqa: F401 - Consistency importable from here

_CHUNK_COLUMNS = (
    "c.chunk_id, c.doc_id, c.text, c.char_start, c.char_end, c.page_start, c.page_end, c.section, c.flags AS chunk_flags,"
    " d.title, d.issuer, d.version, COALESCE(l.status, d.status) AS status, d.date, d.source_path, d.metadata,"
    " l.superseded_by AS library_superseded_by, COALESCE(l.retired, 0) AS retired"
)


@dataclass(frozen=True)
class PreparedDocument:
    """A parsed, chunked and embedded document, ready to be written in one step."""

    document: Document
    chunks: tuple[Chunk, ...]
    vectors: np.ndarray
    terms: tuple[tuple[str, ...], ...]
    reused: int = 0  # chunks whose vector came from the index (same chunk, same embedded text), not the embedder


@dataclass
class ApplyResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)



def source_key(document: Document) -> str:
    """Where a document came from, as an absolute path (``#doc_id`` added for a JSONL record)."""
    return document.origin or os.path.abspath(document.source_path)


def supersedes_ids(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value.strip()} if value.strip() else set()
    if isinstance(value, (list, tuple)):
        return {str(v).strip() for v in value if str(v).strip()}
    return set()


def claim_conflict(existing: Mapping[str, Any] | None, document: Document, replace: bool) -> str | None:
    """Why ``document`` may not take its doc_id from the document the index holds under it, or None.

    The same source file re-ingested is an update; another file may take the doc_id only with ``replace`` or
    when its front matter says ``supersedes: <that doc_id>``."""
    if existing is None or replace:
        return None
    stored_key, stored_path = str(existing.get("source_key") or ""), str(existing.get("source_path") or "")
    if stored_key:
        if stored_key == source_key(document):
            return None
    elif _legacy_same_source(stored_path, document):
        return None
    if document.doc_id in supersedes_ids(document.metadata.get("supersedes")):
        return None
    return f"doc_id {display(document.doc_id, 120)} is already held by {display(stored_path, 300)}"


def conflict_fix(doc_id: str) -> str:
    return (
        f"give this document another doc_id, add 'supersedes: {display(doc_id, 120)}' to its front matter, "
        "or ingest it with --replace"
    )


def _legacy_same_source(stored: str, document: Document) -> bool:
    """Rows written before source keys were stored: the same file name (and JSONL record) counts as the same."""
    suffix = f"#{document.doc_id}"
    if document.origin.endswith(suffix):  # a JSONL record: the stored path must name the same record
        return stored.endswith(suffix) and Path(stored[: -len(suffix)]).name == Path(document.origin[: -len(suffix)]).name
    return Path(stored).name == Path(document.origin or document.source_path).name


class IndexStore(Generations, IndexVerification, LibraryRecords):
    """Reads and writes one index folder. The constructor opens nothing.

    ``pinned`` makes a store read and write one generation folder whatever ``CURRENT`` says (a rebuild writes the
    next generation through such a store before swapping it in)."""

    def __init__(
        self, root: Path, index_fingerprint: str, embedder_name: str, pinned: Path | None = None, lock_timeout_s: float | None = None,
        *, embedding_fingerprint: str | None = None, server: ChromaServer | None = None,
    ) -> None:
        self.root = Path(root)
        self.index_fingerprint = index_fingerprint
        self.embedder_name = embedder_name
        # what the vectors depend on (embedder and embedded text); None: only the whole index fingerprint is compared
        self.embedding_fingerprint = embedding_fingerprint
        self.server = server  # None: embedded Chroma in <generation>/chroma; else a Chroma server (ingest.chroma_store)
        self.lock = IndexLock(self.root) if lock_timeout_s is None else IndexLock(self.root, lock_timeout_s)
        self._pinned = Path(pinned) if pinned is not None else None
        self._schema_ready: set[str] = set()
        self._postings_caches: dict[str, PostingsCache] = {}

    # ---------------------------------------------------------------- layout
    def data_dir(self) -> Path:
        """The folder of the live generation (the index folder itself for an index of the former layout)."""
        if self._pinned is not None:
            return self._pinned
        try:
            name = (self.root / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return self.root
        except OSError as exc:
            raise IndexStateError(f"{self.root / CURRENT} could not be read ({exc.strerror}); check the folder's permissions") from exc
        if not _GENERATION.fullmatch(name):
            raise IndexStateError(
                f"{self.root / CURRENT} names {display(name, 80)!r}, expected a generation folder like gen-000001; "
                f"restore it or rebuild with `clinrag ingest --rebuild ...`"
            )
        return self.root / name

    @property
    def catalog_path(self) -> Path:
        return self.data_dir() / CATALOG

    @property
    def vectors(self) -> ChromaVectors:
        return ChromaVectors.shared(self.data_dir() / "chroma", self.server)

    def _staging(self, folder: Path) -> "IndexStore":
        return IndexStore(self.root, self.index_fingerprint, self.embedder_name, pinned=folder,
                          embedding_fingerprint=self.embedding_fingerprint, server=self.server)

    def exists(self) -> bool:
        return self.catalog_path.exists()


    # ---------------------------------------------------------------- connections and schema
    def _connect(self, folder: Path | None = None) -> sqlite3.Connection:
        folder = folder or self.data_dir()
        folder.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(folder / CATALOG, timeout=60, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        key = str(folder)
        if key not in self._schema_ready:  # once per store and folder, not on every search
            self._ensure_schema(conn, folder)
            self._schema_ready.add(key)
        return conn

    def _ensure_schema(self, conn: sqlite3.Connection, folder: Path) -> None:
        if conn.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
            return
        with self.lock.hold("upgrade the catalog"):
            conn.execute("BEGIN IMMEDIATE")
            try:
                if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
                    if "chunks" in tables and "ck" not in _columns(conn, "chunks"):
                        _migrate_v1(conn)
                    else:
                        _create_schema(conn)
                    _migrate_v2(conn)
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        for old in folder.glob("bm25-*.pkl*"):  # the former pickled BM25: never loaded again
            old.unlink(missing_ok=True)

    # ---------------------------------------------------------------- reading
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

    def check_compatible(self, reprocess: bool = False) -> None:
        """Refuse to mix chunks or vectors made with other settings. ``reprocess`` (a sync) accepts other chunking
        settings as long as the vectors were made the same way (same embedder and embedded text): the documents
        written with the old chunking are then re-processed one by one, and searches may meet both meanwhile."""
        state = self.state()
        found = state.get("index_fingerprint")
        if not found or found == self.index_fingerprint:
            return
        same_vectors = self.embedding_fingerprint is not None and state.get("embedding_fingerprint") == self.embedding_fingerprint
        if reprocess and same_vectors:
            return
        what = "chunking changed" if same_vectors else "chunking or embedder changed"
        fix = ("re-process the affected documents with `clinrag ingest --sync DIR`, or rebuild with `clinrag ingest "
               "--rebuild ...`") if same_vectors else "rebuild with `clinrag ingest --rebuild ...`"
        raise IndexStateError(
            f"index {self.root} was built with settings fingerprint {found}, current settings give "
            f"{self.index_fingerprint} ({what}); use another --index folder or {fix}"
        )

    def require_ready(self) -> None:
        if not self.exists() or not self.state().get("generation"):
            raise IndexStateError(
                f"no index at {self.root}; build one with `clinrag ingest corpora/` (or pass --index DIR / set CLINRAG_INDEX_DIR)"
            )
        self.check_compatible()

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

    # ---------------------------------------------------------------- writing
    def apply(
        self,
        prepared: Sequence[PreparedDocument],
        remove_doc_ids: Sequence[str] = (),
        *,
        replace: bool = False,
        audit: tuple[str, str] | None = None,
        user: str = "",
        released: frozenset[str] = frozenset(),
        reprocess: bool = False,
    ) -> ApplyResult:
        """Add or replace ``prepared`` documents and remove ``remove_doc_ids``, all or nothing, under the writer
        lock. A prepared document whose doc_id another source file holds raises ``DocIdConflictError`` (nothing
        is written) unless ``replace``, its front matter supersedes that doc_id, or the doc_id is ``released`` (its
        file left a folder kept in sync). ``audit`` (action, detail) also forgets the library decisions of the
        removed documents and logs the removal, in the same commit. Every change is logged in the ingest log
        (``ingest.ingest_log``) with ``user``, in the same commit. ``reprocess``: see ``check_compatible``."""
        with self.lock.hold("ingest"):
            self._initialise()
            self.check_compatible(reprocess)
            return self._apply(prepared, remove_doc_ids, replace, audit, user, released)

    def _apply(
        self,
        prepared: Sequence[PreparedDocument],
        remove_doc_ids: Sequence[str],
        replace: bool,
        audit: tuple[str, str] | None = None,
        user: str = "",
        released: frozenset[str] = frozenset(),
    ) -> ApplyResult:
        result = ApplyResult()
        replaced = {p.document.doc_id for p in prepared} | set(remove_doc_ids)
        conn = self._connect()
        vectors = self.vectors
        new_ids = [c.chunk_id for p in prepared for c in p.chunks]
        added_vectors: list[str] = []
        try:
            owners = self._owners(conn, replaced)
            for p in prepared:
                problem = claim_conflict(owners.get(p.document.doc_id), p.document, replace or p.document.doc_id in released)
                if problem:
                    raise DocIdConflictError(display(p.document.source_path, 1000), problem, conflict_fix(p.document.doc_id))
            revision = _state_int(conn, "generation")
            vectors.sync(revision)
            before = self._chunk_ids_by_doc(conn, replaced)
            live_before = set().union(*before.values()) if before else set()
            fresh_ids = {cid for cid in new_ids if cid not in live_before}
            if fresh_ids:
                stacked = np.concatenate([p.vectors for p in prepared])
                metas = [
                    {"doc_id": c.doc_id, "page_start": c.page_start or 0, "section": c.section[:500]}
                    for p in prepared
                    for c in p.chunks
                ]
                keep = [i for i, cid in enumerate(new_ids) if cid in fresh_ids]
                added_vectors = [new_ids[i] for i in keep]
                vectors.add(added_vectors, stacked[keep], [metas[i] for i in keep])
            conn.execute("BEGIN IMMEDIATE")
            self._forget_files(conn, [o.get("source_key") or "" for o in owners.values()])
            n_delta, len_delta = self._delete_documents(conn, replaced)
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            log = []
            for p in prepared:
                n, length = _insert_document(conn, p, now, self.index_fingerprint)
                n_delta += n
                len_delta += length
                d, old = p.document, before.get(p.document.doc_id, set())
                ids = {c.chunk_id for c in p.chunks}
                log.append(ingest_log.entry(
                    "update" if d.doc_id in owners else "ingest", d.doc_id, user=user, file=d.source_path, sha256=d.sha256,
                    chunks_added=len(ids - old), chunks_removed=len(old - ids), at=now,
                    detail=f"{len(ids)} chunks" + ("" if d.doc_id not in owners or owners[d.doc_id]["sha256"] != d.sha256
                                                   else "; same file, re-processed with other settings")))
            for doc_id in remove_doc_ids:
                if audit is not None:
                    conn.execute("DELETE FROM library WHERE doc_id=?", (doc_id,))
                    conn.execute("INSERT INTO library_log VALUES (?,?,?,?)", (now, audit[0], doc_id, audit[1]))
                if doc_id in owners:
                    action, detail = audit or ("remove", "its vectors were missing after an interrupted write; ingest it again")
                    log.append(ingest_log.entry(
                        action if action in ingest_log.ACTIONS else "delete", doc_id, user=user,
                        file=owners[doc_id]["source_path"], sha256=owners[doc_id]["sha256"],
                        chunks_removed=len(before.get(doc_id, ())), detail=detail, at=now))
            ingest_log.append(conn, log)
            generation = _state_int(conn, "generation") + 1
            updates = {
                "generation": str(generation),
                "lexical_n": str(_state_int(conn, "lexical_n") + n_delta),
                "lexical_len": str(_state_int(conn, "lexical_len") + len_delta),
                "index_fingerprint": self.index_fingerprint,
                "embedder": self.embedder_name,
                "updated_at": now,
                "schema": str(SCHEMA_VERSION),
            }
            if self.embedding_fingerprint is not None:
                updates["embedding_fingerprint"] = self.embedding_fingerprint
            conn.executemany("INSERT OR REPLACE INTO state VALUES (?, ?)", list(updates.items()))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if added_vectors:
                vectors.delete(added_vectors)
            conn.close()
            raise
        conn.close()
        vectors.seen_revision = generation
        stale = live_before - set(new_ids)
        if stale:
            vectors.delete(sorted(stale))
        for p in prepared:
            (result.updated if p.document.doc_id in owners else result.added).append(p.document.doc_id)
        result.removed = sorted(d for d in remove_doc_ids if d in owners)
        return result

    def restamp(self, doc_ids: Sequence[str]) -> None:
        """Mark documents as processed with the current settings without rewriting them (re-chunking them with these
        settings gave the very chunks and embedded texts they hold). Not a library change: not logged."""
        if not doc_ids:
            return
        with self.lock.hold("restamp"):
            self.check_compatible(reprocess=True)
            with closing(self._connect()) as conn:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.executemany("UPDATE documents SET fingerprint=? WHERE doc_id=?",
                                     [(self.index_fingerprint, d) for d in doc_ids])
                    stamps = [("index_fingerprint", self.index_fingerprint)]
                    if self.embedding_fingerprint is not None:
                        stamps.append(("embedding_fingerprint", self.embedding_fingerprint))
                    conn.executemany("INSERT OR REPLACE INTO state VALUES (?, ?)", stamps)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise

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

    @staticmethod
    def _chunk_ids_by_doc(conn: sqlite3.Connection, doc_ids: set[str]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        ids = list(doc_ids)
        for i in range(0, len(ids), 500):
            batch = ids[i : i + 500]
            marks = ",".join("?" * len(batch))
            for doc_id, chunk_id in conn.execute(f"SELECT doc_id, chunk_id FROM chunks WHERE doc_id IN ({marks})", batch):
                out.setdefault(doc_id, set()).add(chunk_id)
        return out

    @staticmethod
    def _owners(conn: sqlite3.Connection, doc_ids: set[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        ids = list(doc_ids)
        for i in range(0, len(ids), 500):
            batch = ids[i : i + 500]
            marks = ",".join("?" * len(batch))
            for r in conn.execute(
                f"SELECT doc_id, sha256, source_path, source_key FROM documents WHERE doc_id IN ({marks})", batch
            ):
                out[r["doc_id"]] = dict(r)
        return out

    @staticmethod
    def _delete_documents(conn: sqlite3.Connection, doc_ids: set[str]) -> tuple[int, int]:
        """Delete documents, their chunks and postings; returns minus their (chunk count, term total)."""
        n = length = 0
        ids = list(doc_ids)
        for i in range(0, len(ids), 500):
            batch = ids[i : i + 500]
            marks = ",".join("?" * len(batch))
            rows = conn.execute(f"SELECT ck, terms, n_terms FROM chunks WHERE doc_id IN ({marks})", batch).fetchall()
            conn.executemany(
                "DELETE FROM postings WHERE term=? AND ck=?",
                [(term, r["ck"]) for r in rows for term in set((r["terms"] or "").split())],
            )
            n += len(rows)
            length += sum(int(r["n_terms"]) for r in rows)
            conn.execute(f"DELETE FROM chunks WHERE doc_id IN ({marks})", batch)
            conn.execute(f"DELETE FROM documents WHERE doc_id IN ({marks})", batch)
        return -n, -length



    # ---------------------------------------------------------------- helpers
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


def _insert_document(conn: sqlite3.Connection, p: PreparedDocument, now: str, fingerprint: str) -> tuple[int, int]:
    d = p.document
    entry = d.catalog_entry()
    conn.execute(
        "INSERT INTO documents (doc_id, title, issuer, version, date, status, source_path, sha256, n_pages, n_chars,"
        " n_chunks, metadata, ingested_at, flags, source_key, fingerprint) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (d.doc_id, d.title, d.issuer, d.version, d.date, d.status, d.source_path, d.sha256, entry["n_pages"],
         entry["n_chars"], len(p.chunks), json.dumps(entry["metadata"]), now, json.dumps(list(d.flags)),
         source_key(d), fingerprint),
    )
    total = 0
    for i, (c, terms) in enumerate(zip(p.chunks, p.terms)):
        n_terms = max(1, len(terms))
        total += n_terms
        cursor = conn.execute(
            "INSERT INTO chunks (chunk_id, doc_id, ord, text, char_start, char_end, page_start, page_end, section, terms,"
            " n_terms, flags) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (c.chunk_id, c.doc_id, i, c.text, c.char_start, c.char_end, c.page_start, c.page_end, c.section,
             " ".join(terms), n_terms, json.dumps(list(c.flags))),
        )
        ck = cursor.lastrowid
        conn.executemany(
            "INSERT INTO postings VALUES (?,?,?,?)", [(term, ck, tf, n_terms) for term, tf in term_counts(terms).items()]
        )
    return len(p.chunks), total


def _state_int(conn: sqlite3.Connection, key: str) -> int:
    row = conn.execute("SELECT value FROM state WHERE key=?", (key,)).fetchone()
    return int(row[0]) if row and row[0] not in (None, "") else 0




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
