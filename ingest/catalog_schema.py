"""The catalog's layout and schema: folder and file names, the tables, and the upgrades of older catalogs.

Versions (``PRAGMA user_version``): 1 kept the BM25 index in a pickle beside the catalog; 2 holds the BM25 postings
in the catalog; 3 adds each document's index fingerprint (so a chunking change re-processes only the documents it
affects), the hash-chained ingest log (``ingest.ingest_log``) and the source files (``ingest.library_records``).
Each upgrade runs once, in one transaction, under the writer lock (``IndexStore._ensure_schema``).
"""

from __future__ import annotations

import re
import sqlite3

from ingest import ingest_log
from ingest.lexical import term_counts
from ingest.library_records import SOURCE_FILES

SCHEMA_VERSION = 3  # 3: documents.fingerprint, the ingest log, source files
CURRENT = "CURRENT"
CATALOG = "catalog.sqlite"
GENERATION = re.compile(r"gen-(\d{6,})")

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, title TEXT, issuer TEXT, version TEXT, date TEXT, status TEXT,
    source_path TEXT, sha256 TEXT, n_pages INTEGER, n_chars INTEGER, n_chunks INTEGER,
    metadata TEXT, ingested_at TEXT, flags TEXT NOT NULL DEFAULT '[]', source_key TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL DEFAULT '');
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




def columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}


def create_schema(conn: sqlite3.Connection) -> None:
    """Statement by statement: ``executescript`` would first commit the caller's transaction."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def migrate_v2(conn: sqlite3.Connection) -> None:
    """Each document's index fingerprint (the catalog's, for documents written before it was kept), the ingest
    log and the source files, in the caller's transaction."""
    if "fingerprint" not in columns(conn, "documents"):
        conn.execute("ALTER TABLE documents ADD COLUMN fingerprint TEXT NOT NULL DEFAULT ''")
        conn.execute("UPDATE documents SET fingerprint = COALESCE((SELECT value FROM state WHERE key='index_fingerprint'), '')")
    ingest_log.ensure(conn)
    conn.execute(SOURCE_FILES)


def migrate_v1(conn: sqlite3.Connection) -> None:
    """Catalog of the former layout (pickled BM25 beside it): add flags and source keys, give chunks an integer
    key, and build the BM25 postings from the stored terms, in the caller's transaction."""
    doc_columns = columns(conn, "documents")
    if "flags" not in doc_columns:
        conn.execute("ALTER TABLE documents ADD COLUMN flags TEXT NOT NULL DEFAULT '[]'")
    if "source_key" not in doc_columns:
        conn.execute("ALTER TABLE documents ADD COLUMN source_key TEXT NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE chunks RENAME TO chunks_v1")
    conn.execute("DROP INDEX IF EXISTS chunks_by_doc")
    create_schema(conn)
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
