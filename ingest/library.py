"""The library service: what a librarian does with documents already in the index.

* ``list``: every document with its status, flags and the library's decisions;
* ``supersede``: mark a document superseded by another (searches down-weight it and answers say what replaced it);
* ``retire``: take a document out of every search and answer, keeping it in the catalog for audit
  (``IndexStore.chunks`` leaves its chunks out, the BM25 and vector searches exclude them); ``restore`` undoes it;
* ``delete``: remove the document, its chunks, postings and vectors.

Decisions are kept in the catalog's ``library`` table, apart from the documents: they survive re-ingesting the
same file and ``--rebuild``, and every action is logged in ``library_log`` (time, action, doc_id, detail).
The service holds no state and no IO of its own beyond the store's methods.
"""

from __future__ import annotations

from typing import Any

from clinrag.errors import LibraryError
from ingest.index import IndexStore
from ingest.sanitize import display, inline


class Library:
    def __init__(self, store: IndexStore) -> None:
        self.store = store

    def list(self, include_retired: bool = True) -> list[dict[str, Any]]:
        docs = self.store.documents()
        return docs if include_retired else [d for d in docs if not d["retired"]]

    def log(self, doc_id: str | None = None) -> list[dict[str, Any]]:
        return self.store.library_log(doc_id)

    def _get(self, doc_id: str) -> dict[str, Any]:
        for d in self.store.documents():
            if d["doc_id"] == doc_id:
                return d
        raise LibraryError(
            f"no document {display(doc_id, 120)!s} in the index at {self.store.root}; "
            "`clinrag library list` shows the doc_ids it holds"
        )

    def supersede(self, doc_id: str, by: str, reason: str = "") -> dict[str, Any]:
        """Mark ``doc_id`` superseded by ``by`` (both must be in the index; no cycles)."""
        old, new = self._get(doc_id), self._get(by)
        if doc_id == by:
            raise LibraryError(f"a document cannot supersede itself ({display(doc_id, 120)}); name the newer document with --by")
        if new["retired"]:
            raise LibraryError(
                f"{display(by, 120)} is retired, so it cannot replace {display(doc_id, 120)}; "
                f"restore it first with `clinrag library restore {display(by, 120)}`"
            )
        chain = self._successors(by)
        if doc_id in chain:
            raise LibraryError(
                f"{display(by, 120)} is itself superseded (via {' -> '.join(display(c, 60) for c in chain)}) by "
                f"{display(doc_id, 120)}; marking the reverse would make a cycle. Fix the older mark first"
            )
        detail = f"superseded by {by}" + (f": {inline(reason, 300)}" if reason else "")
        self.store.set_library(doc_id, "supersede", detail, status="superseded", superseded_by=by, reason=inline(reason, 300))
        return self._get(old["doc_id"])

    def _successors(self, doc_id: str) -> list[str]:
        by_id = {d["doc_id"]: d for d in self.store.documents()}
        chain: list[str] = []
        current = by_id.get(doc_id)
        while current is not None and current.get("superseded_by") and len(chain) < 1000:
            nxt = current["superseded_by"]
            if nxt in chain:
                break
            chain.append(nxt)
            current = by_id.get(nxt)
        return chain

    def retire(self, doc_id: str, reason: str = "") -> dict[str, Any]:
        """Exclude ``doc_id`` from every search and answer; it stays in the catalog (``list`` shows it)."""
        doc = self._get(doc_id)
        if doc["retired"]:
            raise LibraryError(f"{display(doc_id, 120)} is already retired (since {doc.get('library_updated_at') or '?'})")
        self.store.set_library(doc_id, "retire", inline(reason, 300) or "retired", retired=1, reason=inline(reason, 300))
        return self._get(doc_id)

    def restore(self, doc_id: str) -> dict[str, Any]:
        doc = self._get(doc_id)
        if not doc["retired"]:
            raise LibraryError(f"{display(doc_id, 120)} is not retired; nothing to restore")
        self.store.set_library(doc_id, "restore", "returned to search", retired=0, reason="")
        return self._get(doc_id)

    def delete(self, doc_id: str, reason: str = "") -> dict[str, Any]:
        """Remove ``doc_id`` with its chunks, postings and vectors (logged). Documents it superseded keep their
        mark; re-ingesting its file brings it back."""
        doc = self._get(doc_id)
        self.store.apply([], remove_doc_ids=[doc_id], audit=("delete", inline(reason, 300) or f"deleted ({doc['source_path']})"))
        pointing = [d["doc_id"] for d in self.store.documents() if d.get("superseded_by") == doc_id]
        return {"doc_id": doc_id, "deleted": True, "superseded_documents_pointing_here": pointing}
