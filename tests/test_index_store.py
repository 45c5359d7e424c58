"""The index store: generation folders swapped atomically, BM25 postings in the catalog that rank exactly as the
in-memory BM25, migration of indexes of the former layout, the writer lock, and repair after a killed writer."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from clinrag.errors import IndexBusyError
from clinrag.text import content_terms
from ingest.catalog_schema import CURRENT
from ingest.index import IndexStore
from ingest.lexical import LexicalIndex
from ingest.locking import IndexLock

QUERIES = [
    "blood pressure target for adults",
    "How soon should antimicrobials be given in septic shock?",
    "crystalloid fluid 30 mL/kg",
    "first-line drug classes for hypertension",
    "inhaled corticosteroid formoterol asthma asthma",  # a repeated term counts twice, as before
    "stage 2 hypertension 140/90",
    "normal saline balanced crystalloids",
    "hypertension",
    "zzz unknown words only",
]


def _reference(store: IndexStore) -> LexicalIndex:
    """The in-memory BM25 (rank_bm25 with Lucene idf) fitted on the catalog's chunks in index order: what the
    pickled index used to hold."""
    with sqlite3.connect(store.catalog_path) as conn:
        rows = conn.execute("SELECT chunk_id, terms FROM chunks ORDER BY doc_id, ord").fetchall()
    return LexicalIndex.fit([r[0] for r in rows], [r[1].split() for r in rows])


def _assert_same_rankings(store: IndexStore, queries=QUERIES, k: int = 50) -> None:
    reference = _reference(store)
    lexical = store.lexical()
    assert len(lexical) == len(reference)
    for query in queries:
        terms = content_terms(query)
        got, want = lexical.top(terms, k), reference.top(terms, k)
        assert [c for c, _ in got] == [c for c, _ in want], query
        assert np.allclose([s for _, s in got], [s for _, s in want], rtol=0, atol=1e-6), query


def test_catalog_bm25_ranks_exactly_as_the_in_memory_bm25_through_updates_and_removals(tiny_app, tiny_corpus):
    store = tiny_app.store
    _assert_same_rankings(store)
    sepsis = tiny_corpus / "sepsis.md"
    sepsis.write_text(sepsis.read_text().replace("1 hour", "one hour").replace("Balanced", "Balanced balanced"))
    assert tiny_app.ingest([tiny_corpus]).updated == ["sepsis-demo-2021"]
    _assert_same_rankings(store)
    store.apply([], remove_doc_ids=["asthma"])
    _assert_same_rankings(store)
    assert store.verify().ok


def test_a_new_index_lives_in_a_generation_folder_named_by_current(tiny_app):
    root = tiny_app.settings.index_dir
    assert (root / CURRENT).read_text().strip() == "gen-000001"
    assert (root / "gen-000001" / "catalog.sqlite").exists() and (root / ".lock").exists()
    assert not (root / "catalog.sqlite").exists()


def test_rebuild_swaps_the_new_generation_in_with_one_atomic_replace(tiny_app, tiny_corpus, monkeypatch):
    root = tiny_app.settings.index_dir
    replaced: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src, dst, *args, **kwargs):
        replaced.append((Path(src).name, Path(dst).name))
        return real_replace(src, dst, *args, **kwargs)

    def no_rename(self, *_a, **_k):
        pytest.fail(f"rename of {self} during a rebuild: the swap must be one os.replace")

    monkeypatch.setattr(os, "replace", spy)
    monkeypatch.setattr(Path, "rename", no_rename)
    report = tiny_app.ingest([tiny_corpus / "sepsis.md", tiny_corpus / "asthma.txt"], rebuild=True)
    assert sorted(report.added) == ["asthma", "sepsis-demo-2021"]
    assert [r for r in replaced if r[1] == CURRENT] == [(f"{CURRENT}.tmp", CURRENT)]
    assert (root / CURRENT).read_text().strip() == "gen-000002"
    assert not (root / "gen-000001").exists()
    assert len(tiny_app.store.documents()) == 2 and tiny_app.store.verify().ok


def test_a_rebuild_that_dies_leaves_the_live_index_untouched(tiny_app, tiny_corpus):
    store = tiny_app.store
    before = store.stats()

    def build(staging: IndexStore):
        from ingest.pipeline import ingest_paths

        ingest_paths([tiny_corpus / "sepsis.md"], tiny_app.settings, tiny_app.embedder, staging)
        raise KeyboardInterrupt  # the operator pressed Ctrl-C half-way

    with pytest.raises(KeyboardInterrupt):
        store.rebuild(build, keep=lambda _r: True)
    assert store.stats() == before
    assert [p.name for p in store.root.glob("gen-*")] == ["gen-000001"]
    assert store.verify().ok


def test_library_decisions_survive_a_rebuild(tiny_app, tiny_corpus):
    tiny_app.store.set_library("asthma", "retire", "withdrawn locally", retired=1, reason="withdrawn locally")
    tiny_app.ingest([tiny_corpus], rebuild=True)
    assert [d["doc_id"] for d in tiny_app.store.documents() if d["retired"]] == ["asthma"]
    assert [e["action"] for e in tiny_app.store.library_log()] == ["retire"]


def _to_former_layout(store: IndexStore) -> None:
    """Turn a fresh index into one written by the former code: catalog and chroma in the folder itself, chunks
    without integer keys, no postings, a pickled BM25 beside them."""
    root, gen = store.root, store.data_dir()
    from ingest.chroma_store import ChromaVectors

    ChromaVectors.forget(gen / "chroma")
    for item in gen.iterdir():
        item.rename(root / item.name)
    gen.rmdir()
    (root / CURRENT).unlink()
    with sqlite3.connect(root / "catalog.sqlite") as conn:
        conn.executescript(
            """
            CREATE TABLE old_chunks (chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, ord INTEGER, text TEXT,
                char_start INTEGER, char_end INTEGER, page_start INTEGER, page_end INTEGER, section TEXT, terms TEXT);
            INSERT INTO old_chunks SELECT chunk_id, doc_id, ord, text, char_start, char_end, page_start, page_end,
                section, terms FROM chunks;
            DROP TABLE chunks; DROP TABLE postings; DROP TABLE library; DROP TABLE library_log;
            ALTER TABLE old_chunks RENAME TO chunks;
            CREATE INDEX chunks_by_doc ON chunks(doc_id);
            CREATE TABLE documents_v1 AS SELECT doc_id, title, issuer, version, date, status, source_path, sha256,
                n_pages, n_chars, n_chunks, metadata, ingested_at FROM documents;
            DROP TABLE documents; ALTER TABLE documents_v1 RENAME TO documents;
            DELETE FROM state WHERE key IN ('lexical_n', 'lexical_len', 'schema');
            INSERT OR REPLACE INTO state VALUES ('lexical_file', 'bm25-000001.pkl');
            PRAGMA user_version = 0;
            """
        )
    (root / "bm25-000001.pkl").write_bytes(b"\x80\x04N.")  # never to be loaded again


def test_an_index_of_the_former_layout_is_migrated_and_searches_as_before(tiny_app, tiny_corpus):
    before = {q: [r.chunk_id for r in tiny_app.retriever.search(q).results] for q in QUERIES[:4]}
    _to_former_layout(tiny_app.store)
    from composition.app import App

    app = App(tiny_app.settings, embedder=tiny_app.embedder, reader=tiny_app.reader)
    assert app.store.data_dir() == app.store.root
    after = {q: [r.chunk_id for r in app.retriever.search(q).results] for q in QUERIES[:4]}
    assert after == before
    assert not list(app.store.root.glob("*.pkl"))
    _assert_same_rankings(app.store)
    assert app.ingest([tiny_corpus]).unchanged  # legacy rows (no source key) are the same files
    assert app.store.verify().ok
    app.ingest([tiny_corpus], rebuild=True)  # the first rebuild moves it into the generation layout
    assert (app.store.root / CURRENT).exists() and not (app.store.root / "catalog.sqlite").exists()
    assert not (app.store.root / "chroma").exists() and app.store.verify().ok


def test_recover_clears_what_a_killed_writer_left(tiny_app, tiny_corpus):
    store = tiny_app.store
    store.vectors.add(["orphan:0001"], np.ones((1, 256), dtype=np.float32), [{"doc_id": "gone", "page_start": 0, "section": ""}])
    (store.root / "gen-000007").mkdir()
    (store.root / f"{CURRENT}.tmp").write_text("gen-000007\n")
    report = store.verify()
    assert report.visible_ok and not report.ok and len(report.leftovers) == 3
    assert tiny_app.retriever.search("blood pressure target").results  # readers are not disturbed
    done = store.recover()
    assert done["removed_vectors"] == 1 and done["removed_generations"] == ["gen-000007"]
    assert store.verify().ok


def test_a_document_whose_vectors_went_missing_is_re_ingested(tiny_app, tiny_corpus):
    store = tiny_app.store
    lost = [r["chunk_id"] for r in store.document_chunks("sepsis-demo-2021")][:1]
    store.vectors.delete(lost)
    assert not store.verify().visible_ok
    report = tiny_app.ingest([tiny_corpus])
    assert report.added == ["sepsis-demo-2021"] and store.verify().ok


# ----------------------------------------------------------------------------- the writer lock
def test_the_lock_is_reentrant_in_a_thread_and_exclusive_between_threads(tmp_path):
    # timeout_s=0 is one non-blocking try, so nothing here depends on how fast the machine is
    lock = IndexLock(tmp_path, timeout_s=0)
    order: list[str] = []
    waiting = threading.Event()

    def refused():
        try:
            with IndexLock(tmp_path, timeout_s=0).hold("other thread"):
                order.append("other got it")
        except IndexBusyError:
            order.append("other was refused")

    def patient():
        waiting.set()
        with IndexLock(tmp_path, timeout_s=600).hold("patient thread"):
            order.append("patient got it")

    with lock.hold("outer"):
        with lock.hold("inner"):
            assert lock.held_here()
            t = threading.Thread(target=refused)
            t.start()
            t.join()
            later = threading.Thread(target=patient)
            later.start()
            assert waiting.wait(60)
        order.append("inner released")  # the outer hold still keeps the patient thread out
        order.append("releasing outer")
    later.join(60)
    assert order == ["other was refused", "inner released", "releasing outer", "patient got it"]
    assert not lock.held_here()
    with IndexLock(tmp_path, timeout_s=0).hold("after"):
        pass


def test_a_writer_waiting_on_another_process_gets_a_clear_error(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from ingest.locking import IndexLock\n"
         "with IndexLock(Path(sys.argv[1])).hold('ingest'):\n    print('held', flush=True); time.sleep(30)",
         str(tmp_path)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent,
        env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent)),
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(IndexBusyError, match=rf"pid {holder.pid} \(ingest"):
            with IndexLock(tmp_path, timeout_s=0).hold("ingest"):  # one try: the holder keeps it for 30 s
                pass
    finally:
        holder.kill()
        holder.wait()
    with IndexLock(tmp_path, timeout_s=60).hold("after the holder died"):  # the kernel released it; a bound, not a timing
        pass
    assert json.loads((tmp_path / ".lock").read_text())["purpose"] == "after the holder died"


def test_a_rebuild_is_the_way_out_of_an_index_built_with_other_settings(tiny_app, tiny_corpus):
    from composition.app import App
    from clinrag.errors import IndexStateError
    from clinrag.settings import load_settings

    other = App(load_settings(index_dir=tiny_app.settings.index_dir, chunking={"max_chars": 500}), embedder=tiny_app.embedder)
    with pytest.raises(IndexStateError, match="fingerprint"):
        other.ingest([tiny_corpus])
    report = other.ingest([tiny_corpus], rebuild=True)
    assert len(report.added) == 4 and not report.failed
    other.store.require_ready()
    assert other.store.verify().ok


def test_a_rebuild_clears_the_folder_of_a_rebuild_killed_before_it(tiny_app, tiny_corpus):
    root = tiny_app.settings.index_dir
    (root / "gen-000002" / "chroma").mkdir(parents=True)  # what a killed --rebuild leaves
    tiny_app.ingest([tiny_corpus], rebuild=True)
    assert sorted(p.name for p in root.glob("gen-*")) == ["gen-000002"]  # the stray went first
    assert (root / CURRENT).read_text().strip() == "gen-000002"
    assert tiny_app.store.verify().ok


def test_a_first_rebuild_killed_after_its_swap_leaves_nothing_behind(tiny_app, tiny_corpus):
    _to_former_layout(tiny_app.store)
    from composition.app import App

    app = App(tiny_app.settings, embedder=tiny_app.embedder, reader=tiny_app.reader)
    root = app.store.root
    # simulate the kill: swap done, the former catalog not yet removed
    gen = root / "gen-000009"
    gen.mkdir()
    import shutil

    shutil.copy(root / "catalog.sqlite", gen / "catalog.sqlite")
    shutil.copytree(root / "chroma", gen / "chroma")
    (root / CURRENT).write_text("gen-000009\n")
    assert any("former layout" in item for item in app.store.verify().leftovers)
    assert app.store.recover()["removed_former_layout"]
    assert not (root / "catalog.sqlite").exists() and app.store.verify().ok
