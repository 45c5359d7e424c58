"""Batch embedding on a real local Ray cluster (issue 15, item 3): 2 workers on 127.0.0.1 embed the chunks with Ray
Data, this process writes them; vectors, catalog, postings and searches equal the single-process ingest's."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from clinrag.settings import load_settings
from composition.app import App
from tests.fakes import HashEmbedder

import ray  # noqa: E402 - an optional extra of the product, installed by scripts/setup.sh (requirements-ray.txt)


@pytest.fixture(scope="module")
def cluster():
    """A real local Ray cluster: 2 CPUs on 127.0.0.1, the project on the workers' path (as RayEmbedding starts it)."""
    from ingest.ray_engine import REPO

    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}})
    yield
    ray.shutdown()


@pytest.fixture
def corpus(tiny_corpus: Path) -> Path:
    with (tiny_corpus / "records.jsonl").open("w", encoding="utf-8") as handle:
        for i in range(40):
            handle.write(json.dumps({"doc_id": f"rec-{i}", "title": f"Record {i}",
                                     "text": f"Question {i} about gout and colchicine. Answer: dose step {i} mg. "
                                             f"Review kidney function {i % 7} times a year."}) + "\n")
    return tiny_corpus


def _catalog(app: App) -> dict[str, list]:
    with closing(sqlite3.connect(app.store.catalog_path)) as conn:
        return {
            "documents": conn.execute("SELECT doc_id, sha256, n_chunks, fingerprint FROM documents ORDER BY doc_id").fetchall(),
            "chunks": conn.execute("SELECT chunk_id, doc_id, ord, text, terms, n_terms FROM chunks ORDER BY chunk_id").fetchall(),
            "postings": conn.execute("SELECT p.term, c.chunk_id, p.tf, p.dl FROM postings p JOIN chunks c ON c.ck = p.ck"
                                     " ORDER BY p.term, c.chunk_id").fetchall(),
        }


def _vectors(app: App) -> dict[str, np.ndarray]:
    with closing(sqlite3.connect(app.store.catalog_path)) as conn:
        ids = [r[0] for r in conn.execute("SELECT chunk_id FROM chunks")]
    return app.store.vectors.get(ids)


def _pair(tmp_path: Path, embedder) -> tuple[App, App]:
    single = App(load_settings(index_dir=tmp_path / "single"), embedder=embedder)
    distributed = App(load_settings(index_dir=tmp_path / "ray", ingest={"engine": "ray", "ray_workers": 2,
                                                                         "ray_batch_size": 16}), embedder=embedder)
    return single, distributed


def _check_equal(single: App, distributed: App, atol: float) -> None:
    assert _catalog(distributed) == _catalog(single)
    a, b = _vectors(single), _vectors(distributed)
    assert a.keys() == b.keys() and a
    assert max(float(np.abs(a[k] - b[k]).max()) for k in a) <= atol
    for q in ("gout colchicine dose", "blood pressure target", "septic shock antibiotics"):
        assert [r.chunk_id for r in distributed.search(q, k=8).results] == [r.chunk_id for r in single.search(q, k=8).results]
    assert distributed.store.verify().ok and distributed.store.verify_log().ok


def test_ray_ingest_equals_the_single_process_ingest(tmp_path, corpus, cluster):
    single, distributed = _pair(tmp_path, HashEmbedder())
    assert single.ingest([corpus]).ok
    engine = distributed.ray_embedding()
    with engine:
        from ingest.ray_engine import texts_to_embed

        engine.prepare(texts_to_embed([corpus], distributed.settings, distributed.store))
        report = distributed.ingest([corpus], engine=engine)
    assert report.ok and len(report.added) == 44 and engine.embedded == report.chunks_written
    _check_equal(single, distributed, atol=0.0)  # the hash embedder is exact
    # the setting alone takes the same path (App.ingest builds the engine); nothing left to embed for unchanged files
    changed = corpus / "asthma.txt"
    changed.write_text(changed.read_text() + "\nA spacer helps children using inhalers.\n")
    for app in (single, distributed):
        again = app.sync(corpus)
        assert again.updated == ["asthma"] and len(again.unchanged) == 43
    _check_equal(single, distributed, atol=0.0)
    assert ray.is_initialized()  # an existing cluster is used, and left running


@pytest.mark.model
def test_ray_ingest_with_minilm_equals_the_single_process_ingest(tmp_path, corpus, cluster):
    from rag.models import SentenceTransformerEmbedder

    single, distributed = _pair(tmp_path, SentenceTransformerEmbedder())
    assert single.ingest([corpus]).ok and distributed.ingest([corpus]).ok
    _check_equal(single, distributed, atol=1e-5)  # other batches: the last float bits may differ
