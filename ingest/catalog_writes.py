"""Writing the catalog: ``apply`` (documents added, replaced and removed, all or nothing) and ``restamp``.

A part of ``ingest.index.IndexStore`` (a mixin: it uses the store's lock, ``_connect``, ``vectors``,
``check_compatible`` and the generation and library parts). The write protocol is in ``ingest.index``'s docstring.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from clinrag.errors import DocIdConflictError
from clinrag.records import Chunk, Document
from ingest import ingest_log
from ingest.catalog_schema import SCHEMA_VERSION
from ingest.lexical import term_counts
from ingest.ownership import claim_conflict, conflict_fix, source_key
from ingest.sanitize import display


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


class CatalogWrites:
    index_fingerprint: str
    embedder_name: str
    embedding_fingerprint: str | None
    lock: Any

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
        """The write of ``apply``, under the writer lock the caller holds: the new vectors, then one transaction for
        documents, chunks, postings, both logs and the state; stale vectors go only after the commit, and a failure
        before it takes the new vectors out again."""
        replaced = {p.document.doc_id for p in prepared} | set(remove_doc_ids)
        conn = self._connect()
        vectors = self.vectors
        new_ids = [c.chunk_id for p in prepared for c in p.chunks]
        added_vectors: list[str] = []
        try:
            owners = self._owners(conn, replaced)
            _refuse_conflicts(prepared, owners, replace, released)
            revision = _state_int(conn, "generation")
            vectors.sync(revision)
            before = self._chunk_ids_by_doc(conn, replaced)
            live_before = set().union(*before.values()) if before else set()
            fresh_ids, fresh_vectors, fresh_metas = _fresh_vectors(prepared, new_ids, live_before)
            if fresh_ids:
                added_vectors = fresh_ids
                vectors.add(added_vectors, fresh_vectors, fresh_metas)
            conn.execute("BEGIN IMMEDIATE")
            self._forget_files(conn, [o.get("source_key") or "" for o in owners.values()])
            n_delta, len_delta = self._delete_documents(conn, replaced)
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            n_added, len_added, log = _insert_documents(conn, prepared, owners, before, now, self.index_fingerprint, user)
            log += _remove_documents_logged(conn, remove_doc_ids, owners, before, audit, now, user)
            ingest_log.append(conn, log)
            generation = self._write_state(conn, n_delta + n_added, len_delta + len_added, now)
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
        result = ApplyResult()
        for p in prepared:
            (result.updated if p.document.doc_id in owners else result.added).append(p.document.doc_id)
        result.removed = sorted(d for d in remove_doc_ids if d in owners)
        return result

    def _write_state(self, conn: sqlite3.Connection, n_delta: int, len_delta: int, now: str) -> int:
        """The state counters after a write (the next write generation, the BM25 totals) and the settings the index
        was written with; returns the new generation."""
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
        return generation

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


def _refuse_conflicts(prepared: Sequence[PreparedDocument], owners: dict[str, dict[str, Any]], replace: bool,
                      released: frozenset[str]) -> None:
    """Raise ``DocIdConflictError`` for the first prepared document whose doc_id another source file holds."""
    for p in prepared:
        problem = claim_conflict(owners.get(p.document.doc_id), p.document, replace or p.document.doc_id in released)
        if problem:
            raise DocIdConflictError(display(p.document.source_path, 1000), problem, conflict_fix(p.document.doc_id))


def _fresh_vectors(prepared: Sequence[PreparedDocument], new_ids: list[str], live_before: set[str]
                   ) -> tuple[list[str], np.ndarray | None, list[dict[str, Any]]]:
    """The chunk ids, vectors and metadata of the chunks the vector store does not hold yet (chunk ids are
    content-derived: a chunk that is live already keeps its vector)."""
    fresh_ids = {cid for cid in new_ids if cid not in live_before}
    if not fresh_ids:
        return [], None, []
    stacked = np.concatenate([p.vectors for p in prepared])
    metas = [
        {"doc_id": c.doc_id, "page_start": c.page_start or 0, "section": c.section[:500]}
        for p in prepared
        for c in p.chunks
    ]
    keep = [i for i, cid in enumerate(new_ids) if cid in fresh_ids]
    return [new_ids[i] for i in keep], stacked[keep], [metas[i] for i in keep]


def _insert_documents(conn: sqlite3.Connection, prepared: Sequence[PreparedDocument], owners: dict[str, dict[str, Any]],
                      before: dict[str, set[str]], now: str, fingerprint: str, user: str
                      ) -> tuple[int, int, list[dict[str, Any]]]:
    """Insert the prepared documents; returns their (chunk count, term total) and their ingest log entries."""
    n_delta = len_delta = 0
    log = []
    for p in prepared:
        n, length = _insert_document(conn, p, now, fingerprint)
        n_delta += n
        len_delta += length
        d, old = p.document, before.get(p.document.doc_id, set())
        ids = {c.chunk_id for c in p.chunks}
        log.append(ingest_log.entry(
            "update" if d.doc_id in owners else "ingest", d.doc_id, user=user, file=d.source_path, sha256=d.sha256,
            chunks_added=len(ids - old), chunks_removed=len(old - ids), at=now,
            detail=f"{len(ids)} chunks" + ("" if d.doc_id not in owners or owners[d.doc_id]["sha256"] != d.sha256
                                           else "; same file, re-processed with other settings")))
    return n_delta, len_delta, log


def _remove_documents_logged(conn: sqlite3.Connection, remove_doc_ids: Sequence[str], owners: dict[str, dict[str, Any]],
                             before: dict[str, set[str]], audit: tuple[str, str] | None, now: str, user: str
                             ) -> list[dict[str, Any]]:
    """The ingest log entries of the removed documents; with ``audit`` (action, detail) their library decisions are
    forgotten and the removal is written to the library log too."""
    log = []
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
    return log
