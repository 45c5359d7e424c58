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

import sqlite3
from pathlib import Path

from clinrag.errors import IndexStateError
from ingest.catalog_reads import CatalogReads
from ingest.catalog_schema import (CATALOG, CURRENT, GENERATION, SCHEMA_VERSION, columns, create_schema, migrate_v1,
                                   migrate_v2)
from ingest.catalog_writes import CatalogWrites
from ingest.chroma_store import ChromaServer, ChromaVectors
from ingest.generations import Generations
from ingest.lexical import PostingsCache
from ingest.library_records import LibraryRecords
from ingest.locking import IndexLock
from ingest.sanitize import display
from ingest.verification import IndexVerification


class IndexStore(CatalogReads, CatalogWrites, Generations, IndexVerification, LibraryRecords):
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
        if not GENERATION.fullmatch(name):
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
                    if "chunks" in tables and "ck" not in columns(conn, "chunks"):
                        migrate_v1(conn)
                    else:
                        create_schema(conn)
                    migrate_v2(conn)
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        for old in folder.glob("bm25-*.pkl*"):  # the former pickled BM25: never loaded again
            old.unlink(missing_ok=True)

    # ---------------------------------------------------------------- settings the index was built with
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
