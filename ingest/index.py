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
import re
import shutil
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from clinrag.errors import DocIdConflictError, IndexStateError
from clinrag.records import Chunk, Document
from ingest.chroma_store import ChromaVectors
from ingest.lexical import CatalogLexicalIndex, PostingsCache, term_counts
from ingest.locking import IndexLock
from ingest.sanitize import display

SCHEMA_VERSION = 2
CURRENT = "CURRENT"
CATALOG = "catalog.sqlite"
_GENERATION = re.compile(r"gen-(\d{6,})")

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, title TEXT, issuer TEXT, version TEXT, date TEXT, status TEXT,
    source_path TEXT, sha256 TEXT, n_pages INTEGER, n_chars INTEGER, n_chunks INTEGER,
    metadata TEXT, ingested_at TEXT, flags TEXT NOT NULL DEFAULT '[]', source_key TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS chunks (
    ck INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, doc_id TEXT NOT NULL, ord INTEGER, text TEXT,
    char_start INTEGER, char_end INTEGER, page_start INTEGER, page_end INTEGER, section TEXT, terms TEXT,
    n_terms INTEGER NOT NULL DEFAULT 1, flags TEXT NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(doc_id, ord);
CREATE TABLE IF NOT EXISTS postings (
    term TEXT NOT NULL, ck INTEGER NOT NULL, tf INTEGER NOT NULL, dl INTEGER NOT NULL,
    PRIMARY KEY (term, ck)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS library (
    doc_id TEXT PRIMARY KEY, status TEXT, superseded_by TEXT, retired INTEGER NOT NULL DEFAULT 0,
    reason TEXT NOT NULL DEFAULT '', updated_at TEXT);
CREATE TABLE IF NOT EXISTS library_log (at TEXT, action TEXT, doc_id TEXT, detail TEXT);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT);
"""

# issuer trust (the librarian's trusted / untrusted issuers): created when first used, so catalogs written before it
# need no upgrade; keyed by issuer_key (``clinrag.text.issuer_key``: case and spacing folded)
ISSUER_TRUST = """CREATE TABLE IF NOT EXISTS issuer_trust (
    issuer_key TEXT PRIMARY KEY, issuer TEXT NOT NULL, trust TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',
    updated_at TEXT)"""

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


@dataclass
class ApplyResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


@dataclass
class Consistency:
    """What ``IndexStore.verify`` found. ``visible_ok``: every catalog chunk has its postings and its vector (what
    readers rely on). ``ok``: also no stray vector, generation folder or temporary file (what ``recover`` leaves)."""

    documents: int = 0
    chunks: int = 0
    vectors: int = 0
    problems: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)

    @property
    def visible_ok(self) -> bool:
        return not self.problems

    @property
    def ok(self) -> bool:
        return not self.problems and not self.leftovers


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


class IndexStore:
    """Reads and writes one index folder. The constructor opens nothing.

    ``pinned`` makes a store read and write one generation folder whatever ``CURRENT`` says (a rebuild writes the
    next generation through such a store before swapping it in)."""

    def __init__(
        self, root: Path, index_fingerprint: str, embedder_name: str, pinned: Path | None = None, lock_timeout_s: float | None = None
    ) -> None:
        self.root = Path(root)
        self.index_fingerprint = index_fingerprint
        self.embedder_name = embedder_name
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
        return ChromaVectors.shared(self.data_dir() / "chroma")

    def exists(self) -> bool:
        return self.catalog_path.exists()

    def _generations(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.iterdir() if p.is_dir() and _GENERATION.fullmatch(p.name))

    def _next_generation(self) -> Path:
        numbers = [int(_GENERATION.fullmatch(p.name).group(1)) for p in self._generations()]  # type: ignore[union-attr]
        return self.root / f"gen-{max(numbers, default=0) + 1:06d}"

    def _initialise(self) -> None:
        """A new index starts in the generation layout (under the writer lock)."""
        if self._pinned is not None or (self.root / CURRENT).exists() or (self.root / CATALOG).exists():
            return
        self._remove_stray_generations()  # no live index yet: left by a writer killed before its first commit
        folder = self._next_generation()
        folder.mkdir(parents=True, exist_ok=True)
        self._point_to(folder)

    def _point_to(self, folder: Path) -> None:
        """Make ``folder`` the live generation in one atomic step."""
        tmp = self.root / f"{CURRENT}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(folder.name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.root / CURRENT)
        try:
            dir_fd = os.open(self.root, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError:
            pass

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
        """doc_id -> sha256, source_path and source_key of every document."""
        if not self.exists():
            return {}
        with closing(self._connect()) as conn:
            return {
                r["doc_id"]: {"sha256": r["sha256"], "source_path": r["source_path"], "source_key": r["source_key"]}
                for r in conn.execute("SELECT doc_id, sha256, source_path, source_key FROM documents")
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
    ) -> ApplyResult:
        """Add or replace ``prepared`` documents and remove ``remove_doc_ids``, all or nothing, under the writer
        lock. A prepared document whose doc_id another source file holds raises ``DocIdConflictError`` (nothing
        is written) unless ``replace`` or its front matter supersedes that doc_id. ``audit`` (action, detail)
        also forgets the library decisions of the removed documents and logs the removal, in the same commit."""
        with self.lock.hold("ingest"):
            self._initialise()
            self.check_compatible()
            return self._apply(prepared, remove_doc_ids, replace, audit)

    def _apply(
        self,
        prepared: Sequence[PreparedDocument],
        remove_doc_ids: Sequence[str],
        replace: bool,
        audit: tuple[str, str] | None = None,
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
                problem = claim_conflict(owners.get(p.document.doc_id), p.document, replace)
                if problem:
                    raise DocIdConflictError(display(p.document.source_path, 1000), problem, conflict_fix(p.document.doc_id))
            revision = _state_int(conn, "generation")
            vectors.sync(revision)
            live_before = self._chunk_ids_of(conn, replaced)
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
            n_delta, len_delta = self._delete_documents(conn, replaced)
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            for p in prepared:
                n, length = _insert_document(conn, p, now)
                n_delta += n
                len_delta += length
            if audit is not None:
                for doc_id in remove_doc_ids:
                    conn.execute("DELETE FROM library WHERE doc_id=?", (doc_id,))
                    conn.execute("INSERT INTO library_log VALUES (?,?,?,?)", (now, audit[0], doc_id, audit[1]))
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

    def remove_orphan_vectors(self) -> int:
        """Delete vectors the catalog does not know (left by a process killed mid-write)."""
        with closing(self._connect()) as conn:
            live = {r[0] for r in conn.execute("SELECT chunk_id FROM chunks")}
        vectors = self.vectors
        if vectors.count() == len(live):
            return 0
        orphans = sorted(vectors.ids() - live)
        if orphans:
            vectors.delete(orphans)
        return len(orphans)

    def recover(self) -> dict[str, Any]:
        """Clear what an interrupted writer left (under the writer lock): generation folders that never became
        live, temporary files, vectors the catalog does not know; documents whose vectors went missing are removed
        from the catalog, so the next ingest adds them again. Returns what was done."""
        done: dict[str, Any] = {}
        with self.lock.hold("recover"):
            stray = self._remove_stray_generations()
            if stray:
                done["removed_generations"] = stray
            if self._pinned is None and (self.root / CURRENT).exists() and (self.root / CATALOG).exists():
                self._remove_old(self.root, legacy=True)  # a first rebuild was killed after its swap
                done["removed_former_layout"] = True
            (self.root / f"{CURRENT}.tmp").unlink(missing_ok=True)
            if not self.exists():
                return done
            folder = self.data_dir()
            for old in folder.glob("bm25-*.pkl*"):
                old.unlink(missing_ok=True)
            with closing(self._connect()) as conn:
                catalog = {r[0]: r[1] for r in conn.execute("SELECT chunk_id, doc_id FROM chunks")}
            vectors = self.vectors
            if vectors.count() != len(catalog):
                have = vectors.ids()
                orphans = sorted(have - set(catalog))
                if orphans:
                    vectors.delete(orphans)
                    done["removed_vectors"] = len(orphans)
                missing_docs = sorted({catalog[c] for c in set(catalog) - have})
                if missing_docs:
                    self._apply([], missing_docs, False)
                    done["removed_documents_without_vectors"] = missing_docs
        return done

    def _remove_stray_generations(self) -> list[str]:
        """Delete generation folders that are not live (under the writer lock: none is being built then)."""
        if self._pinned is not None:
            return []
        live = self.data_dir() if (self.root / CURRENT).exists() else None
        stray = [p for p in self._generations() if p != live]
        for folder in stray:
            ChromaVectors.forget(folder / "chroma")
            shutil.rmtree(folder, ignore_errors=True)
        return [p.name for p in stray]

    def verify(self) -> Consistency:
        """Check that catalog, postings and vectors agree (read only)."""
        report = Consistency()
        if self._pinned is None and (self.root / CURRENT).exists():
            live = self.data_dir()
            report.leftovers += [f"generation folder {p.name} is not live" for p in self._generations() if p != live]
            if not live.is_dir():
                report.problems.append(f"{CURRENT} names {live.name}, which does not exist")
                return report
        if (self.root / f"{CURRENT}.tmp").exists():
            report.leftovers.append(f"{CURRENT}.tmp")
        if self._pinned is None and (self.root / CURRENT).exists() and (self.root / CATALOG).exists():
            report.leftovers.append("the catalog of the former layout beside the generation folders")
        if not self.exists():
            return report
        folder = self.data_dir()
        report.leftovers += [f"pickle {p.name}" for p in folder.glob("bm25-*.pkl*")]
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT ck, chunk_id, doc_id, terms, n_terms FROM chunks").fetchall()
            docs = {r[0]: r[1] for r in conn.execute("SELECT doc_id, n_chunks FROM documents")}
            state = {r[0]: r[1] for r in conn.execute("SELECT key, value FROM state")}
            postings: dict[int, dict[str, int]] = {}
            lengths: dict[int, set[int]] = {}
            for term, ck, tf, dl in conn.execute("SELECT term, ck, tf, dl FROM postings"):
                postings.setdefault(ck, {})[term] = tf
                lengths.setdefault(ck, set()).add(dl)
        report.documents, report.chunks = len(docs), len(rows)
        per_doc: dict[str, int] = {}
        expected_len = 0
        bad_postings = 0
        for r in rows:
            per_doc[r["doc_id"]] = per_doc.get(r["doc_id"], 0) + 1
            terms = (r["terms"] or "").split()
            expected_len += max(1, len(terms))
            n_terms = max(1, len(terms))
            if r["n_terms"] != n_terms or postings.pop(r["ck"], {}) != term_counts(terms) or lengths.get(r["ck"], {n_terms}) != {n_terms}:
                bad_postings += 1
        if bad_postings:
            report.problems.append(f"{bad_postings} chunk(s) whose BM25 postings do not match their terms")
        if postings:
            report.problems.append(f"{len(postings)} chunk key(s) in the postings that the catalog does not hold")
        if int(state.get("lexical_n") or 0) != len(rows) or int(state.get("lexical_len") or 0) != expected_len:
            report.problems.append(
                f"BM25 totals say {state.get('lexical_n')} chunks / {state.get('lexical_len')} terms, "
                f"the catalog holds {len(rows)} / {expected_len}"
            )
        orphan_chunks = set(per_doc) - set(docs)
        if orphan_chunks:
            report.problems.append(f"chunks of {len(orphan_chunks)} document(s) the catalog does not list")
        wrong = [d for d, n in docs.items() if per_doc.get(d, 0) != n]
        if wrong:
            report.problems.append(f"{len(wrong)} document(s) whose chunk count is wrong (e.g. {display(wrong[0], 80)})")
        have = self.vectors.ids()
        report.vectors = len(have)
        catalog_ids = {r["chunk_id"] for r in rows}
        missing = catalog_ids - have
        if missing:
            report.problems.append(f"{len(missing)} catalog chunk(s) have no vector")
        extra = have - catalog_ids
        if extra:
            report.leftovers.append(f"{len(extra)} vector(s) the catalog does not know (ignored by searches)")
        return report

    # ---------------------------------------------------------------- rebuild
    def rebuild(self, build: Callable[["IndexStore"], Any], keep: Callable[[Any], bool]) -> Any:
        """Build a new generation with ``build(staging_store)`` and, if ``keep(result)``, make it live with one
        atomic replace of ``CURRENT``; otherwise delete it. The writer lock is held throughout, so no other
        writer's change can be lost in the swap. Library decisions (retired, superseded) carry over."""
        with self.lock.hold("rebuild"):
            if self.exists():  # upgrade a catalog of the former layout now, not while readers wait on the lock
                self._connect().close()
            self._remove_stray_generations()  # a rebuild killed earlier left its folder
            folder = self._next_generation()
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            staging = IndexStore(self.root, self.index_fingerprint, self.embedder_name, pinned=folder)
            try:
                result = build(staging)
                swap = keep(result)
                if swap and self.exists():
                    self._copy_library(staging)
            except BaseException:
                ChromaVectors.forget(folder / "chroma")
                shutil.rmtree(folder, ignore_errors=True)
                raise
            if not swap:
                ChromaVectors.forget(folder / "chroma")
                shutil.rmtree(folder, ignore_errors=True)
                return result
            old = self.data_dir()
            legacy = old == self.root
            self._point_to(folder)
            self._remove_old(old, legacy)
            return result

    def _copy_library(self, staging: "IndexStore") -> None:
        with closing(self._connect()) as source, closing(staging._connect()) as target:
            library = source.execute("SELECT * FROM library").fetchall()
            log = source.execute("SELECT * FROM library_log").fetchall()
            target.execute("BEGIN IMMEDIATE")
            target.executemany("INSERT OR REPLACE INTO library VALUES (?,?,?,?,?,?)", [tuple(r) for r in library])
            target.executemany("INSERT INTO library_log VALUES (?,?,?,?)", [tuple(r) for r in log])
            source.execute(ISSUER_TRUST)
            target.execute(ISSUER_TRUST)
            trust = source.execute("SELECT issuer_key, issuer, trust, reason, updated_at FROM issuer_trust").fetchall()
            target.executemany("INSERT OR REPLACE INTO issuer_trust VALUES (?,?,?,?,?)", [tuple(r) for r in trust])
            target.execute("COMMIT")

    def _remove_old(self, old: Path, legacy: bool) -> None:
        ChromaVectors.forget(old / "chroma")
        if legacy:  # the former layout kept the index in the folder itself
            for name in (CATALOG, f"{CATALOG}-journal", f"{CATALOG}-wal", f"{CATALOG}-shm"):
                (old / name).unlink(missing_ok=True)
            shutil.rmtree(old / "chroma", ignore_errors=True)
            for pkl in old.glob("bm25-*.pkl*"):
                pkl.unlink(missing_ok=True)
        else:
            shutil.rmtree(old, ignore_errors=True)
        self._schema_ready.discard(str(old))
        self._postings_caches.pop(str(old), None)

    # ---------------------------------------------------------------- library decisions
    def set_library(self, doc_id: str, action: str, detail: str, **values: Any) -> None:
        """Record a librarian's decision on ``doc_id`` (``status``, ``superseded_by``, ``retired``, ``reason``)
        and log it, in one transaction under the writer lock. The decision outlives re-ingestion and rebuilds."""
        with self.lock.hold(f"library {action}"):
            with closing(self._connect()) as conn:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                    row = conn.execute("SELECT * FROM library WHERE doc_id=?", (doc_id,)).fetchone()
                    current = dict(row) if row else {"doc_id": doc_id, "status": None, "superseded_by": None, "retired": 0, "reason": ""}
                    current.update(values)
                    current["updated_at"] = now
                    conn.execute(
                        "INSERT OR REPLACE INTO library VALUES (?,?,?,?,?,?)",
                        (doc_id, current["status"], current["superseded_by"], int(current["retired"]), current["reason"] or "", now),
                    )
                    conn.execute("INSERT INTO library_log VALUES (?,?,?,?)", (now, action, doc_id, detail))
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise

    def library_log(self, doc_id: str | None = None) -> list[dict[str, Any]]:
        if not self.exists():
            return []
        with closing(self._connect()) as conn:
            if doc_id is None:
                rows = conn.execute("SELECT * FROM library_log ORDER BY rowid").fetchall()
            else:
                rows = conn.execute("SELECT * FROM library_log WHERE doc_id=? ORDER BY rowid", (doc_id,)).fetchall()
        return [dict(r) for r in rows]

    # ---------------------------------------------------------------- issuer trust
    def set_issuer_trust(self, key: str, issuer: str, trust: str | None, detail: str, reason: str = "") -> None:
        """Record the librarian's trust in an issuer (``trusted``, ``untrusted``; None forgets it) and log it in
        ``library_log`` (doc_id ``issuer:<issuer>``), in one transaction under the writer lock."""
        with self.lock.hold(f"issuer trust {trust or 'cleared'}"):
            with closing(self._connect()) as conn:
                conn.execute(ISSUER_TRUST)
                conn.execute("BEGIN IMMEDIATE")
                try:
                    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                    if trust is None:
                        conn.execute("DELETE FROM issuer_trust WHERE issuer_key=?", (key,))
                    else:
                        conn.execute("INSERT OR REPLACE INTO issuer_trust VALUES (?,?,?,?,?)", (key, issuer, trust, reason, now))
                    conn.execute("INSERT INTO library_log (at, action, doc_id, detail) VALUES (?,?,?,?)",
                                 (now, "trust" if trust == "trusted" else "distrust" if trust else "untrust",
                                  f"issuer:{issuer}", detail))
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise

    def issuer_trust(self) -> dict[str, dict[str, Any]]:
        """issuer_key -> {issuer, trust, reason, updated_at}: the issuers the librarian marked (others are unknown)."""
        if not self.exists():
            return {}
        with closing(self._connect()) as conn:
            conn.execute(ISSUER_TRUST)
            rows = conn.execute("SELECT * FROM issuer_trust ORDER BY issuer_key").fetchall()
        return {r["issuer_key"]: {k: r[k] for k in ("issuer", "trust", "reason", "updated_at")} for r in rows}

    # ---------------------------------------------------------------- helpers
    @staticmethod
    def _chunk_ids_of(conn: sqlite3.Connection, doc_ids: set[str]) -> set[str]:
        out: set[str] = set()
        ids = list(doc_ids)
        for i in range(0, len(ids), 500):
            batch = ids[i : i + 500]
            marks = ",".join("?" * len(batch))
            out |= {r[0] for r in conn.execute(f"SELECT chunk_id FROM chunks WHERE doc_id IN ({marks})", batch)}
        return out

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


def _insert_document(conn: sqlite3.Connection, p: PreparedDocument, now: str) -> tuple[int, int]:
    d = p.document
    entry = d.catalog_entry()
    conn.execute(
        "INSERT INTO documents (doc_id, title, issuer, version, date, status, source_path, sha256, n_pages, n_chars,"
        " n_chunks, metadata, ingested_at, flags, source_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (d.doc_id, d.title, d.issuer, d.version, d.date, d.status, d.source_path, d.sha256, entry["n_pages"],
         entry["n_chars"], len(p.chunks), json.dumps(entry["metadata"]), now, json.dumps(list(d.flags)),
         source_key(d)),
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


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}


def _create_schema(conn: sqlite3.Connection) -> None:
    """Statement by statement: ``executescript`` would first commit the caller's transaction."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def _migrate_v1(conn: sqlite3.Connection) -> None:
    """Catalog of the former layout (pickled BM25 beside it): add flags and source keys, give chunks an integer
    key, and build the BM25 postings from the stored terms, in the caller's transaction."""
    doc_columns = _columns(conn, "documents")
    if "flags" not in doc_columns:
        conn.execute("ALTER TABLE documents ADD COLUMN flags TEXT NOT NULL DEFAULT '[]'")
    if "source_key" not in doc_columns:
        conn.execute("ALTER TABLE documents ADD COLUMN source_key TEXT NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE chunks RENAME TO chunks_v1")
    conn.execute("DROP INDEX IF EXISTS chunks_by_doc")
    _create_schema(conn)
    conn.execute(
        "INSERT INTO chunks (chunk_id, doc_id, ord, text, char_start, char_end, page_start, page_end, section, terms)"
        " SELECT chunk_id, doc_id, ord, text, char_start, char_end, page_start, page_end, section, terms"
        " FROM chunks_v1 ORDER BY doc_id, ord"
    )
    conn.execute("DROP TABLE chunks_v1")
    n = total = 0
    for ck, terms in conn.execute("SELECT ck, terms FROM chunks").fetchall():
        words = (terms or "").split()
        n_terms = max(1, len(words))
        n += 1
        total += n_terms
        conn.execute("UPDATE chunks SET n_terms=? WHERE ck=?", (n_terms, ck))
        conn.executemany("INSERT INTO postings VALUES (?,?,?,?)", [(t, ck, tf, n_terms) for t, tf in term_counts(words).items()])
    conn.executemany(
        "INSERT OR REPLACE INTO state VALUES (?, ?)",
        [("lexical_n", str(n)), ("lexical_len", str(total)), ("schema", str(SCHEMA_VERSION))],
    )
    conn.execute("DELETE FROM state WHERE key='lexical_file'")


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
