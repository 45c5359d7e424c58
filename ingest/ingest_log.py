"""The ingest log: an append-only, hash-chained record of every change to the library.

One row of the catalog's ``ingest_log`` table per change: ``ingest`` (a new document), ``update`` (a document
replaced by a changed file, or re-processed after a chunking setting changed), ``remove`` (its file disappeared from a
folder kept in sync), ``delete``, ``supersede``, ``retire``, ``restore``, ``trust`` / ``distrust`` / ``untrust``
(an issuer), and a failed attempt (``outcome`` ``failed``, with the reason). Each row names when (``at``, UTC), by
whom where the caller knows it (``user``: an app account, ``cli:<login>``; empty when unknown), the document, its
file and sha256, the chunks added and removed, the outcome and a detail.

Why in the catalog and not in a file beside it: a row is written in the same SQLite transaction as the change it
records, so a process killed at any moment leaves either the change and its row or neither (a JSONL file written
after the commit could lose the row, one written before could record a change that never happened). Rows are
chained like the audit log (``clinrag.chain``: ``seq``, ``prev``, ``hash`` over the row's canonical JSON); ``verify``
walks them and names the first row that was edited, inserted, deleted or moved. A rebuild copies the rows verbatim
to the new generation and chains its own after them (``IndexStore.rebuild``). As with any hash chain, dropping rows
from the end or recomputing every hash is not detected by the chain alone: record the head that ``clinrag library
log --verify`` prints and check it later with ``--expect-head``.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from clinrag.chain import GENESIS, link, link_problem

TABLE = "ingest_log"
SCHEMA = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL, action TEXT NOT NULL, user TEXT NOT NULL DEFAULT '',
    doc_id TEXT NOT NULL DEFAULT '', file TEXT NOT NULL DEFAULT '', sha256 TEXT NOT NULL DEFAULT '',
    chunks_added INTEGER NOT NULL DEFAULT 0, chunks_removed INTEGER NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL DEFAULT 'ok', detail TEXT NOT NULL DEFAULT '', prev TEXT NOT NULL, hash TEXT NOT NULL)"""
FIELDS = ("at", "action", "user", "doc_id", "file", "sha256", "chunks_added", "chunks_removed", "outcome", "detail")
COLUMNS = ("seq", *FIELDS, "prev", "hash")
ACTIONS = ("ingest", "update", "remove", "delete", "supersede", "retire", "restore", "trust", "distrust", "untrust")


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def entry(
    action: str,
    doc_id: str = "",
    *,
    user: str = "",
    file: str = "",
    sha256: str = "",
    chunks_added: int = 0,
    chunks_removed: int = 0,
    outcome: str = "ok",
    detail: str = "",
    at: str | None = None,
) -> dict[str, Any]:
    """One change, not yet chained (pure but for the clock when ``at`` is not given)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown ingest-log action {action!r}; known: {', '.join(ACTIONS)}")
    return {"at": at or utc_now(), "action": action, "user": user or "", "doc_id": doc_id or "", "file": file or "",
            "sha256": sha256 or "", "chunks_added": int(chunks_added), "chunks_removed": int(chunks_removed),
            "outcome": outcome, "detail": detail or ""}


def ensure(conn: sqlite3.Connection) -> None:
    conn.execute(SCHEMA)


def append(conn: sqlite3.Connection, entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Chain ``entries`` after the last row and insert them, inside the caller's transaction (so a row and the
    change it records commit together). Returns the rows written."""
    ensure(conn)
    row = conn.execute(f"SELECT seq, hash FROM {TABLE} ORDER BY seq DESC LIMIT 1").fetchone()
    previous: dict[str, Any] | None = {"seq": row[0], "hash": row[1]} if row else None
    written = []
    for e in entries:
        line = link({k: e[k] for k in FIELDS}, previous)
        conn.execute(f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({','.join('?' * len(COLUMNS))})",
                     [line[c] for c in COLUMNS])
        written.append(line)
        previous = line
    return written


def read(conn: sqlite3.Connection, doc_id: str | None = None) -> list[dict[str, Any]]:
    ensure(conn)
    where, args = ("WHERE doc_id=?", (doc_id,)) if doc_id is not None else ("", ())
    rows = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM {TABLE} {where} ORDER BY seq", args).fetchall()
    return [dict(zip(COLUMNS, tuple(r))) for r in rows]


@dataclass(frozen=True)
class LogVerification:
    ok: bool
    records: int
    head: str  # hash of the last good row (GENESIS for an empty log)
    bad_seq: int | None = None  # seq of the first bad row
    problem: str = ""

    def message(self) -> str:
        if self.ok:
            return f"ok: the ingest log holds {self.records} record(s); head {self.head}"
        where = f"record {self.bad_seq}: " if self.bad_seq is not None else ""
        return f"ingest log: {where}{self.problem}"

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "records": self.records, "head": self.head, "bad_seq": self.bad_seq,
                "problem": self.problem}


def verify(rows: list[Mapping[str, Any]], expect_head: str | None = None) -> LogVerification:
    """Walk the chain (pure); the first problem names its row. ``expect_head``: a head recorded earlier."""
    previous: Mapping[str, Any] | None = None
    for position, row in enumerate(rows, start=1):
        problem = link_problem(row, previous)
        if problem:
            return LogVerification(False, position - 1, previous["hash"] if previous else GENESIS,
                                   row.get("seq", position), problem)
        previous = row
    head = previous["hash"] if previous else GENESIS
    if expect_head and expect_head != head:
        return LogVerification(False, len(rows), head, None, f"the head is {head}, not the expected {expect_head}: the "
                               "log was rewritten or truncated after that head was recorded")
    return LogVerification(True, len(rows), head)


def rechain(conn: sqlite3.Connection, kept: list[Mapping[str, Any]], ahead: list[Mapping[str, Any]]) -> None:
    """Replace the table's rows with ``kept`` (verbatim, hashes and all) followed by ``ahead`` chained anew (the
    rows a rebuild wrote into its new generation before the old log was copied in), in the caller's transaction."""
    ensure(conn)
    conn.execute(f"DELETE FROM {TABLE}")
    conn.executemany(f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({','.join('?' * len(COLUMNS))})",
                     [[r[c] for c in COLUMNS] for r in kept])
    append(conn, ahead)
