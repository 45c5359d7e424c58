"""The library service: what a librarian does with documents already in the index.

* ``list``: every document with its status, flags and the library's decisions;
* ``supersede``: mark a document superseded by another (searches down-weight it and answers say what replaced it);
* ``retire``: take a document out of every search and answer, keeping it in the catalog for audit
  (``IndexStore.chunks`` leaves its chunks out, the BM25 and vector searches exclude them); ``restore`` undoes it;
* ``delete``: remove the document, its chunks, postings and vectors;
* ``trust`` / ``distrust`` / ``untrust``: mark an issuer trusted or untrusted, or forget the mark (``issuers`` lists
  every issuer with its mark). The answer path prefers a trusted issuer's side when current documents disagree and
  never answers from an untrusted issuer's document alone (``rag/conflicts.py``).

Decisions are kept in the catalog's ``library`` table, apart from the documents: they survive re-ingesting the
same file and ``--rebuild``, and every action is logged in ``library_log`` (time, action, doc_id, detail).
The service holds no state and no IO of its own beyond the store's methods.
"""

from __future__ import annotations

from typing import Any

from clinrag.errors import LibraryError
from clinrag.text import issuer_key
from ingest.index import IndexStore
from ingest.sanitize import display, inline


TRUSTED, UNTRUSTED = "trusted", "untrusted"


class Library:
    """``user``: who acts (an app account, ``cli:<login>``), named in the ingest log; empty when unknown."""

    def __init__(self, store: IndexStore, user: str = "") -> None:
        self.store = store
        self.user = user

    def list(self, include_retired: bool = True) -> list[dict[str, Any]]:
        docs = self.store.documents()
        return docs if include_retired else [d for d in docs if not d["retired"]]

    def log(self, doc_id: str | None = None) -> list[dict[str, Any]]:
        """The older log of library actions (time, action, doc_id, detail); ``history`` is the full, chained one."""
        return self.store.library_log(doc_id)

    def history(self, doc_id: str | None = None) -> list[dict[str, Any]]:
        """Every change to the library, oldest first: the hash-chained ingest log (``ingest.ingest_log``)."""
        return self.store.ingest_log(doc_id)

    def verify_history(self, expect_head: str | None = None):
        return self.store.verify_log(expect_head)

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
        self.store.set_library(doc_id, "supersede", detail, self.user, status="superseded", superseded_by=by, reason=inline(reason, 300))
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
        self.store.set_library(doc_id, "retire", inline(reason, 300) or "retired", self.user, retired=1, reason=inline(reason, 300))
        return self._get(doc_id)

    def restore(self, doc_id: str) -> dict[str, Any]:
        doc = self._get(doc_id)
        if not doc["retired"]:
            raise LibraryError(f"{display(doc_id, 120)} is not retired; nothing to restore")
        self.store.set_library(doc_id, "restore", "returned to search", self.user, retired=0, reason="")
        return self._get(doc_id)

    def delete(self, doc_id: str, reason: str = "") -> dict[str, Any]:
        """Remove ``doc_id`` with its chunks, postings and vectors (logged). Documents it superseded keep their
        mark; re-ingesting its file brings it back."""
        doc = self._get(doc_id)
        self.store.apply([], remove_doc_ids=[doc_id], audit=("delete", inline(reason, 300) or f"deleted ({doc['source_path']})"),
                         user=self.user)
        pointing = [d["doc_id"] for d in self.store.documents() if d.get("superseded_by") == doc_id]
        return {"doc_id": doc_id, "deleted": True, "superseded_documents_pointing_here": pointing}

    # ---------------------------------------------------------------- issuer trust
    def issuers(self) -> list[dict[str, Any]]:
        """Every issuer of the indexed documents, and every issuer the librarian marked, with its mark (``trusted``,
        ``untrusted`` or ``unknown``), the reason, and how many documents (current ones apart) it issued."""
        marks = self.store.issuer_trust()
        rows: dict[str, dict[str, Any]] = {}
        for d in self.store.documents():
            key = issuer_key(d.get("issuer") or "")
            row = rows.setdefault(key, {"issuer": d.get("issuer") or "", "documents": 0, "current": 0, "doc_ids": []})
            row["documents"] += 1
            row["current"] += int(not d.get("retired") and (d.get("status") or "current") == "current")
            row["doc_ids"].append(d["doc_id"])
        for key, mark in marks.items():
            rows.setdefault(key, {"issuer": mark["issuer"], "documents": 0, "current": 0, "doc_ids": []})
        out = []
        for key, row in sorted(rows.items()):
            mark = marks.get(key, {})
            out.append({**row, "trust": mark.get("trust", "unknown"), "reason": mark.get("reason", ""),
                        "updated_at": mark.get("updated_at")})
        return out

    def trust_map(self) -> dict[str, str]:
        """issuer_key -> ``trusted`` / ``untrusted``, what the answer path reads."""
        return {key: mark["trust"] for key, mark in self.store.issuer_trust().items()}

    def trust(self, issuer: str, reason: str = "") -> dict[str, Any]:
        """Mark ``issuer`` trusted: when current documents disagree, its side is preferred."""
        return self._mark(issuer, TRUSTED, reason)

    def distrust(self, issuer: str, reason: str = "") -> dict[str, Any]:
        """Mark ``issuer`` untrusted: its documents are never the sole basis of an answer."""
        return self._mark(issuer, UNTRUSTED, reason)

    def untrust(self, issuer: str) -> dict[str, Any]:
        """Forget the mark on ``issuer`` (it is unknown again)."""
        key = issuer_key(issuer)
        marks = self.store.issuer_trust()
        if key not in marks:
            raise LibraryError(f"{display(issuer, 120)} has no trust mark; `clinrag library issuers` lists the marks")
        self.store.set_issuer_trust(key, marks[key]["issuer"], None, f"trust mark removed (was {marks[key]['trust']})",
                                    user=self.user)
        return self._issuer(key)

    def _mark(self, issuer: str, trust: str, reason: str) -> dict[str, Any]:
        key = issuer_key(issuer)
        if not key:
            raise LibraryError("name the issuer (as `clinrag library issuers` lists it)")
        name = self._issuer_name(issuer)
        detail = f"{trust}" + (f": {inline(reason, 300)}" if reason else "")
        self.store.set_issuer_trust(key, name, trust, detail, inline(reason, 300), user=self.user)
        return self._issuer(key)

    def _issuer_name(self, issuer: str) -> str:
        """The issuer as the documents spell it when one does, else as given (trimmed)."""
        key = issuer_key(issuer)
        for d in self.store.documents():
            if issuer_key(d.get("issuer") or "") == key:
                return d.get("issuer") or ""
        return inline(issuer, 300)

    def _issuer(self, key: str) -> dict[str, Any]:
        return next((row for row in self.issuers() if issuer_key(row["issuer"]) == key),
                    {"issuer": key, "documents": 0, "current": 0, "doc_ids": [], "trust": "unknown", "reason": "", "updated_at": None})
