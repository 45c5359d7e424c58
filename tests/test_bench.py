"""``clinrag bench`` (eval/bench/) and background ingest (ingest/priority.py): structure and correctness, never
speed. The figures themselves are printed by the bench; nothing here asserts a time."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from clinrag.settings import IngestSettings, load_settings
from clinrag.text import content_terms
from eval.bench import corpus, measure
from ingest.prepare import embedding_text
from tests.fakes import HashEmbedder

REPO = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------ pure measuring helpers
def test_percentiles_match_numpy_and_the_summary_is_in_milliseconds():
    values = [0.003, 0.001, 0.010, 0.002, 0.007, 0.004]
    for q in (0, 25, 50, 95, 100):
        assert measure.percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
    s = measure.summary_ms(values)
    assert s["n"] == 6 and s["p50_ms"] == pytest.approx(3.5) and s["p50_ms"] <= s["p95_ms"]
    assert measure.ratio(1.0, 0.0) is None and measure.ratio(3.0, 2.0) == 1.5
    assert measure.overlap_at(["a", "b", "c"], ["c", "x", "a"], 3) == pytest.approx(0.667)


def test_interleaved_alternates_the_order_of_the_contenders():
    calls = []
    measure.interleaved({"a": lambda q: calls.append(("a", q)), "b": lambda q: calls.append(("b", q))}, [1, 2, 3])
    assert calls == [("a", 1), ("b", 1), ("b", 2), ("a", 2), ("a", 3), ("b", 3)]


# ------------------------------------------------------------------ synthetic corpora
@pytest.fixture(scope="module")
def pool():
    return corpus.sentence_pool(corpus.read_sources([REPO / "corpora"]), 600, 0)


def test_the_synthetic_corpus_is_deterministic_and_made_of_real_sentences(pool):
    assert len(pool) == 600 and len(set(pool)) == 600
    a, b = corpus.synthetic_chunks(len(pool), 95, 3), corpus.synthetic_chunks(len(pool), 95, 3)
    assert a == b and a != corpus.synthetic_chunks(len(pool), 95, 4)
    assert len(a) == 95 and len({c.doc_id for c in a}) == 10  # documents of CHUNKS_PER_DOC chunks, the last one short
    assert all(3 <= len(c.sentences) <= 7 for c in a)
    text = corpus.chunk_text(pool, a[0])
    assert all(pool[i] in text for i in a[0].sentences)


def test_chunk_vectors_are_unit_sums_of_sentence_vectors_or_seeded_random(pool):
    chunks = corpus.synthetic_chunks(len(pool), 20, 1)
    sentence_vectors = HashEmbedder().embed_documents(pool)
    v = corpus.chunk_vectors(sentence_vectors, chunks, 256, 0)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    expected = sentence_vectors[list(chunks[0].sentences)].sum(axis=0)
    assert np.allclose(v[0], expected / np.linalg.norm(expected), atol=1e-5)
    r1, r2 = corpus.chunk_vectors(None, chunks, 32, 5), corpus.chunk_vectors(None, chunks, 32, 5)
    assert r1.shape == (20, 32) and np.array_equal(r1, r2)


def test_the_fast_terms_equal_the_terms_ingest_computes(pool):
    """The per-sentence shortcut (stem each pool sentence once) against stemming each chunk as ingest does."""
    chunks = corpus.synthetic_chunks(len(pool), 120, 2)
    pool_terms = [content_terms(s) for s in pool]
    for document, records, terms in corpus.documents(pool, chunks, pool_terms):
        assert document.text[records[-1].char_start : records[-1].char_end] == records[-1].text
        for record, fast in zip(records, terms):
            assert fast == tuple(content_terms(embedding_text(document, record, True)))


# ------------------------------------------------------------------ the naive stack
def _toy(tmp_path):
    docs = {
        "asthma": "Inhaled corticosteroids are the preferred controller therapy for persistent asthma in adults.",
        "gout": "Allopurinol is the first-line urate-lowering therapy for gout with frequent flares.",
        "sepsis": "Give broad-spectrum antibiotics within one hour of recognising septic shock.",
        "lipids": "A high-intensity statin is recommended for adults with clinical atherosclerotic cardiovascular disease.",
        "uti": "Nitrofurantoin for five days is a first-line treatment of acute uncomplicated cystitis in women.",
        "aaa": "Screen men aged 65 to 75 who have ever smoked for abdominal aortic aneurysm with ultrasonography.",
    }
    folder = tmp_path / "toy"
    folder.mkdir(parents=True)
    for name, text in docs.items():
        (folder / f"{name}.md").write_text(f"# {name} guideline\n\n## Recommendation\n\n{text}\n", encoding="utf-8")
    return folder


def test_the_naive_stack_finds_the_same_top_documents_on_a_toy_corpus(tmp_path):
    pytest.importorskip("langchain_community")
    pytest.importorskip("langchain_chroma")
    pytest.importorskip("langchain_classic")
    from composition.app import App
    from eval.bench import naive

    embedder = HashEmbedder()
    app = App(load_settings(index_dir=tmp_path / "index"), embedder=embedder)
    assert app.ingest([_toy(tmp_path)]).ok
    rows = app.store.chunks([c["chunk_id"] for d in app.store.documents() for c in app.store.document_chunks(d["doc_id"])])
    ids = sorted(rows)
    texts = [f"{rows[c]['title']} | {rows[c]['section']}\n{rows[c]['text']}" for c in ids]
    naive.build(tmp_path / "naive", ids, texts, embedder.embed_documents(texts), embedder=None)
    lc = naive.NaiveRetriever(tmp_path / "naive", embedder, k=10)
    questions = {"asthma": "controller therapy for persistent asthma", "gout": "allopurinol urate-lowering therapy gout",
                 "sepsis": "antibiotics within one hour septic shock", "lipids": "high-intensity statin atherosclerotic",
                 "uti": "nitrofurantoin uncomplicated cystitis women", "aaa": "abdominal aortic aneurysm screening men smoked"}
    for doc, question in questions.items():
        ours = app.search(question, k=10).results
        theirs = lc.search(question, 10)
        assert ours[0].doc_id == rows[theirs[0]]["doc_id"] == doc
        assert set(theirs) <= set(ids)


# ------------------------------------------------------------------ the whole bench with fakes
def test_the_bench_reports_every_section_on_a_tiny_corpus(tmp_path):
    pytest.importorskip("langchain_community")
    from eval.bench import report
    from eval.bench.run import BenchOptions, run_bench
    from tests.conftest import unit_calibration
    from tests.fakes import LexicalReader

    settings = load_settings(data_dir=tmp_path / "data")
    opts = BenchOptions(sizes=[200], queries=5, ingest_chunks=30, answers=2, cold_runs=0, pool=400, during_ingest=False)
    result = run_bench(settings, opts, embedder=HashEmbedder(), reader=LexicalReader(), calibration=unit_calibration())
    ing = result["ingest"]
    assert ing["chunks"] > 0 and ing["raw_encode_chunks"] == ing["chunks"] and ing["failed"] == 0
    assert {"chunks_per_s", "raw_encode_chunks_per_s", "ingest_over_encode", "stage_s"} <= set(ing)
    (row,) = result["sizes"]
    assert row["chunks"] == 200 and row["clinrag"]["chunks"] == row["naive"]["chunks"] == 200
    for engine in ("clinrag", "naive"):
        e = row[engine]
        assert e["build_s"] >= 0 and e["disk_mb"] > 0 and e["search"]["n"] == 5
        assert e["peak_rss_mb"] is None or e["peak_rss_mb"] > 0
    assert {"p50", "p95"} <= set(row["naive_over_clinrag"]) and 0 <= row["top10_overlap"] <= 1
    ans = result["answer"]
    assert ans["latency"]["n"] == 2 and 0 <= ans["reader_share"]["p50"] <= 1 and ans["first_answer_s"] >= 0
    upd = result["update_delete"]
    assert upd["documents_before"] == 20 and upd["update_s"] >= upd["update_write_s"] and upd["delete_s"] >= 0
    assert not list((tmp_path / "data" / "bench").glob("run-*"))  # the work folder is removed
    text = report.table(result)
    assert "naive" in text and "extractive answer" in text and "update one document" in text
    files = report.write(result, tmp_path / "out")
    assert json.loads(Path(files["json"]).read_text())["sizes"][0]["chunks"] == 200
    assert "png" not in files or Path(files["png"]).stat().st_size > 0


def test_bench_refuses_bad_sizes(capsys):
    from cli.main import main

    assert main(["bench", "--sizes", "ten"]) == 2
    assert "--sizes takes comma-separated numbers" in capsys.readouterr().err
    assert main(["bench", "--sizes", "5"]) == 2


@pytest.mark.model
@pytest.mark.slow
def test_clinrag_bench_json_with_the_real_models(tmp_path, capsys):
    """The command end to end with MiniLM, the reader and fresh processes (a few minutes on 2 cores)."""
    from cli.main import main

    assert main(["bench", "--sizes", "200", "--queries", "4", "--ingest-chunks", "20", "--answers", "2", "--cold-runs", "1",
                 "--during-chunks", "300", "--out", str(tmp_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"ingest", "sizes", "answer", "cold_start", "during_ingest", "update_delete", "files"} <= set(result)
    assert result["cold_start"]["search"]["runs_s"] and "failed_exit" not in result["cold_start"]["ask"]
    for priority in ("normal", "background"):
        assert "p50_ms" in result["during_ingest"][priority] and "p50_ms" in result["during_ingest"][priority]["answer"]
    assert Path(result["files"]["json"]).is_file()


# ------------------------------------------------------------------ background ingest
def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_a_background_ingest_lowers_its_thread_and_torch_threads_then_restores_them():
    torch = pytest.importorskip("torch")
    from ingest.priority import background

    seen = {}

    def work():
        before, threads = _nice(), torch.get_num_threads()
        with background(IngestSettings(priority="background", nice_increment=5, embed_threads=1)):
            seen["inside"] = (_nice(), torch.get_num_threads())
        seen["before"], seen["after"] = (before, threads), (_nice(), torch.get_num_threads())

    t = threading.Thread(target=work)  # a thread of its own: the test runner's priority stays as it is
    t.start()
    t.join()
    (nice0, threads0), (nice1, threads1) = seen["before"], seen["inside"]
    assert nice1 == min(19, nice0 + 5) and threads1 == 1
    assert seen["after"][1] == threads0
    assert seen["after"][0] in (nice0, nice1)  # restored where the process may raise a priority (root)
    with background(IngestSettings(priority="normal")):
        assert torch.get_num_threads() == threads0


def test_background_and_normal_ingests_write_the_same_index(tmp_path):
    from composition.app import App

    stores = {}
    for priority in ("background", "normal"):
        settings = load_settings(index_dir=tmp_path / priority).model_copy(
            update={"ingest": IngestSettings(priority=priority)})
        app = App(settings, embedder=HashEmbedder())
        corpus_dir, reports = _toy(tmp_path / f"corpus-{priority}"), []
        t = threading.Thread(target=lambda: reports.append(app.ingest([corpus_dir])))  # its own thread, as an upload
        t.start()
        t.join()
        assert reports and reports[0].ok
        stores[priority] = {c["chunk_id"]: c["text"] for d in app.store.documents() for c in app.store.document_chunks(d["doc_id"])}
    assert stores["background"] == stores["normal"] and len(stores["normal"]) == 6


# ------------------------------------------------------------------ torch thread caps (clinrag/threads.py)
def test_thread_caps_nest_take_the_smallest_and_restore_the_count():
    torch = pytest.importorskip("torch")
    from clinrag.threads import capped_threads

    before = torch.get_num_threads()
    with capped_threads(1):
        assert torch.get_num_threads() == 1
        with capped_threads(before + 4):  # a larger cap inside a smaller one changes nothing
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with capped_threads(0):
        assert torch.get_num_threads() == before


@pytest.mark.model
def test_one_thread_query_vectors_rank_as_the_default_ones(pool):
    """The fast path (a question encoded with one torch thread) against the straightforward one (the process's
    thread count): the same vectors to float precision and the same dense top 50 for the suite's questions."""
    from eval.bench.run import questions
    from rag.models import SentenceTransformerEmbedder

    fast, plain = SentenceTransformerEmbedder(query_threads=1), SentenceTransformerEmbedder(query_threads=0)
    passages = plain.embed_documents(pool)
    for q in questions(40):
        a, b = fast.embed_query(q), plain.embed_query(q)
        assert np.allclose(a, b, atol=1e-5)
        assert list(np.argsort(-(passages @ a))[:50]) == list(np.argsort(-(passages @ b))[:50])


def test_reader_variants_table_marks_only_full_agreement_as_equivalent():
    from eval.bench.variants import table_lines

    row = {"n": 3, "p50_ms": 10.0, "p95_ms": 12.0, "mean_ms": 10.5, "speedup_p50": 1.0, "max_abs_diff": 0.0}
    result = {"questions": 3, "candidates": 12, "variants": {
        "fp32, default threads": {**row, "same_order": 3, "same_top": 3, "same_support": 3, "equivalent": True},
        "int8, 1 thread": {**row, "same_order": 0, "same_top": 2, "same_support": 3, "max_abs_diff": 0.5,
                           "equivalent": False}}}
    lines = table_lines(result)
    assert lines[-2].rstrip().endswith("yes") and lines[-1].rstrip().endswith("no") and "0/3" in lines[-1]
