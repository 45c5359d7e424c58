"""Checking that the catalog, the BM25 postings and the vectors agree: ``IndexStore.verify`` (read only).

A part of ``ingest.index.IndexStore`` (a mixin: it uses the store's layout and connections).
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from ingest.catalog_schema import CATALOG, CURRENT
from ingest.lexical import term_counts
from ingest.sanitize import display


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



class IndexVerification:
    root: Any
    _pinned: Any

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
