"""The catalog's library records: the librarian's decisions, issuer trust, the ingest log and the source files.

A part of ``ingest.index.IndexStore`` (a mixin: it uses the store's ``lock``, ``_connect`` and ``exists``), kept in
its own module so that the store's generations and writes stay apart from what librarians decide:

* ``library`` (per doc_id: status, superseded_by, retired, reason) and ``library_log`` (time, action, doc_id, detail;
  the older, unchained log, still written for ``clinrag library list --log``);
* ``issuer_trust`` (the librarian's trusted / untrusted issuers, created when first used);
* ``ingest_log`` (``ingest.ingest_log``: every change, hash-chained, written in the transaction of the change);
* ``source_files`` (path -> sha256 of its bytes and the index fingerprint it was processed with, written when every
  document of a file is in the index): an unchanged file is recognised by its hash without parsing it again, and
  its row goes whenever one of its documents is removed or replaced, so re-ingesting brings them back.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from typing import Any, Mapping, Sequence

from ingest import ingest_log

ISSUER_TRUST = """CREATE TABLE IF NOT EXISTS issuer_trust (
    issuer_key TEXT PRIMARY KEY, issuer TEXT NOT NULL, trust TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',
    updated_at TEXT)"""
SOURCE_FILES = """CREATE TABLE IF NOT EXISTS source_files (
    path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, fingerprint TEXT NOT NULL, documents INTEGER NOT NULL,
    recorded_at TEXT)"""


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def file_of(key: str) -> str:
    """The file of a source key (a JSONL record's key is ``<file>#<doc_id>``)."""
    at = key.lower().find(".jsonl#")
    return key[: at + len(".jsonl")] if at >= 0 else key


class LibraryRecords:
    lock: Any

    def _connect(self, folder=None) -> sqlite3.Connection:  # pragma: no cover - provided by IndexStore
        raise NotImplementedError

    def exists(self) -> bool:  # pragma: no cover - provided by IndexStore
        raise NotImplementedError

    # ---------------------------------------------------------------- library decisions
    def set_library(self, doc_id: str, action: str, detail: str, user: str = "", **values: Any) -> None:
        """Record a librarian's decision on ``doc_id`` (``status``, ``superseded_by``, ``retired``, ``reason``)
        and log it (``library_log`` and the ingest log, naming ``user``), in one transaction under the writer lock.
        The decision outlives re-ingestion and rebuilds."""
        with self.lock.hold(f"library {action}"):
            with closing(self._connect()) as conn:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    now = _now()
                    row = conn.execute("SELECT * FROM library WHERE doc_id=?", (doc_id,)).fetchone()
                    current = dict(row) if row else {"doc_id": doc_id, "status": None, "superseded_by": None, "retired": 0, "reason": ""}
                    current.update(values)
                    current["updated_at"] = now
                    conn.execute(
                        "INSERT OR REPLACE INTO library VALUES (?,?,?,?,?,?)",
                        (doc_id, current["status"], current["superseded_by"], int(current["retired"]), current["reason"] or "", now),
                    )
                    conn.execute("INSERT INTO library_log VALUES (?,?,?,?)", (now, action, doc_id, detail))
                    doc = conn.execute("SELECT source_path, sha256 FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
                    ingest_log.append(conn, [ingest_log.entry(
                        action, doc_id, user=user, file=doc["source_path"] if doc else "", sha256=doc["sha256"] if doc else "",
                        detail=detail, at=now)])
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
    def set_issuer_trust(self, key: str, issuer: str, trust: str | None, detail: str, reason: str = "", user: str = "") -> None:
        """Record the librarian's trust in an issuer (``trusted``, ``untrusted``; None forgets it) and log it in
        ``library_log`` (doc_id ``issuer:<issuer>``) and the ingest log, in one transaction under the writer lock."""
        with self.lock.hold(f"issuer trust {trust or 'cleared'}"):
            with closing(self._connect()) as conn:
                conn.execute(ISSUER_TRUST)
                conn.execute("BEGIN IMMEDIATE")
                try:
                    now = _now()
                    if trust is None:
                        conn.execute("DELETE FROM issuer_trust WHERE issuer_key=?", (key,))
                    else:
                        conn.execute("INSERT OR REPLACE INTO issuer_trust VALUES (?,?,?,?,?)", (key, issuer, trust, reason, now))
                    action = "trust" if trust == "trusted" else "distrust" if trust else "untrust"
                    conn.execute("INSERT INTO library_log (at, action, doc_id, detail) VALUES (?,?,?,?)",
                                 (now, action, f"issuer:{issuer}", detail))
                    ingest_log.append(conn, [ingest_log.entry(action, f"issuer:{issuer}", user=user, detail=detail, at=now)])
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

    # ---------------------------------------------------------------- the ingest log
    def ingest_log(self, doc_id: str | None = None) -> list[dict[str, Any]]:
        """Every change to the library, oldest first (``ingest.ingest_log``)."""
        if not self.exists():
            return []
        with closing(self._connect()) as conn:
            return ingest_log.read(conn, doc_id)

    def verify_log(self, expect_head: str | None = None) -> ingest_log.LogVerification:
        return ingest_log.verify(self.ingest_log(), expect_head)

    def log_failures(self, entries: Sequence[Mapping[str, Any]]) -> None:
        """Append failed attempts (nothing else changes) to the ingest log of an existing index."""
        if not entries or not self.exists():
            return
        with self.lock.hold("log failures"):
            with closing(self._connect()) as conn:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    ingest_log.append(conn, entries)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise

    # ---------------------------------------------------------------- source files
    def source_files(self) -> dict[str, dict[str, Any]]:
        """path -> {sha256, fingerprint, documents} of the files whose every document the index holds."""
        if not self.exists():
            return {}
        with closing(self._connect()) as conn:
            conn.execute(SOURCE_FILES)
            return {r["path"]: {"sha256": r["sha256"], "fingerprint": r["fingerprint"], "documents": r["documents"]}
                    for r in conn.execute("SELECT * FROM source_files")}

    def record_file(self, path: str, sha256: str, fingerprint: str, documents: int) -> None:
        """Remember that every document of ``path`` (at ``sha256``) is in the index, processed with ``fingerprint``."""
        with self.lock.hold("record a source file"):
            with closing(self._connect()) as conn:
                conn.execute(SOURCE_FILES)
                conn.execute("INSERT OR REPLACE INTO source_files VALUES (?,?,?,?,?)", (path, sha256, fingerprint, documents, _now()))

    @staticmethod
    def _forget_files(conn: sqlite3.Connection, keys: Sequence[str]) -> None:
        """Drop the source-file rows of these source keys' files (inside the caller's transaction)."""
        files = sorted({file_of(k) for k in keys if k})
        if files:
            conn.execute(SOURCE_FILES)
            conn.executemany("DELETE FROM source_files WHERE path=?", [(f,) for f in files])

    # ---------------------------------------------------------------- carried over by a rebuild
    def _copy_library(self, staging: Any) -> None:
        """Copy decisions, trust marks and both logs into a rebuild's new generation; the rows the rebuild logged
        there are chained after the old ones."""
        with closing(self._connect()) as source, closing(staging._connect()) as target:
            library = source.execute("SELECT * FROM library").fetchall()
            log = source.execute("SELECT * FROM library_log").fetchall()
            old_log = ingest_log.read(source)
            target.execute("BEGIN IMMEDIATE")
            target.executemany("INSERT OR REPLACE INTO library VALUES (?,?,?,?,?,?)", [tuple(r) for r in library])
            target.executemany("INSERT INTO library_log VALUES (?,?,?,?)", [tuple(r) for r in log])
            source.execute(ISSUER_TRUST)
            target.execute(ISSUER_TRUST)
            trust = source.execute("SELECT issuer_key, issuer, trust, reason, updated_at FROM issuer_trust").fetchall()
            target.executemany("INSERT OR REPLACE INTO issuer_trust VALUES (?,?,?,?,?)", [tuple(r) for r in trust])
            ingest_log.rechain(target, old_log, ingest_log.read(target))
            target.execute("COMMIT")
