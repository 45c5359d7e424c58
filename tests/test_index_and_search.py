from __future__ import annotations

import pytest

from clinrag.errors import IndexStateError, QuestionError
from clinrag.settings import load_settings

CONTRACT = {"chunk_id", "doc_id", "title", "section", "page_start", "page_end", "char_start", "char_end", "text",
            "score", "bm25_rank", "dense_rank"}


def test_reingesting_the_same_files_changes_nothing(tiny_app, tiny_corpus):
    before = tiny_app.store.stats()
    report = tiny_app.ingest([tiny_corpus])
    assert report.added == [] and report.updated == [] and len(report.unchanged) == 4
    after = tiny_app.store.stats()
    assert after["chunks"] == before["chunks"] and after["generation"] == before["generation"]


def test_catalog_vectors_and_bm25_stay_consistent(tiny_app, tiny_corpus):
    stats = tiny_app.store.stats()
    assert stats["chunks"] == stats["vectors"] == len(tiny_app.store.lexical())
    (tiny_corpus / "sepsis.md").write_text((tiny_corpus / "sepsis.md").read_text().replace("1 hour", "one hour"))
    report = tiny_app.ingest([tiny_corpus])
    assert report.updated == ["sepsis-demo-2021"]
    stats = tiny_app.store.stats()
    assert stats["chunks"] == stats["vectors"] == len(tiny_app.store.lexical())
    texts = " ".join(r["text"] for r in tiny_app.store.document_chunks("sepsis-demo-2021"))
    assert "one hour" in texts and "1 hour" not in texts


def test_a_write_that_fails_leaves_the_index_exactly_as_it_was(tiny_app, tmp_path, monkeypatch):
    import ingest.catalog_writes as catalog_writes

    before = tiny_app.store.stats()
    docs_before = tiny_app.store.documents()
    path = tmp_path / "extra.md"
    path.write_text("# Extra\n\nVitamin D supplementation is not recommended for fall prevention.\n")

    def boom(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(catalog_writes, "_insert_document", boom)
    report = tiny_app.ingest([path])
    assert report.failed == [(str(path), "unexpected OSError: disk full")]  # named, and the batch went on
    assert tiny_app.store.stats() == before
    assert tiny_app.store.documents() == docs_before
    assert tiny_app.store.vectors.count() == before["vectors"]
    assert tiny_app.store.verify().ok


def test_search_loads_nothing_and_the_index_folder_holds_no_pickle(tiny_app, monkeypatch):
    import ingest.lexical as lexical_module

    monkeypatch.setattr(lexical_module.LexicalIndex, "fit", lambda *a, **k: pytest.fail("start-up re-tokenised"))
    assert tiny_app.retriever.search("blood pressure target").results
    root = tiny_app.settings.index_dir
    assert not list(root.rglob("*.pkl")) and not list(root.rglob("*.pickle"))


def test_index_built_with_other_chunk_settings_is_refused(tiny_app, tmp_path):
    from composition.app import App
    from tests.fakes import HashEmbedder

    other = App(load_settings(index_dir=tiny_app.settings.index_dir, chunking={"max_chars": 500}), embedder=HashEmbedder())
    with pytest.raises(IndexStateError, match="fingerprint"):
        other.store.require_ready()


def test_search_finds_the_right_document_and_returns_the_contract(tiny_app, tiny_corpus):
    from ingest.loaders import load_file

    response = tiny_app.retriever.search("How soon should antimicrobials be given in septic shock?", k=3)
    top = response.results[0]
    assert top.doc_id == "sepsis-demo-2021"
    assert "within 1 hour" in top.text
    data = response.to_dict()
    assert data["query"].startswith("How soon")
    assert CONTRACT <= set(data["results"][0])
    # the offsets point into the source text: the cited span is exactly the returned text
    source = {d.doc_id: d for f in sorted(tiny_corpus.iterdir()) for d in load_file(f, 10**7)}["sepsis-demo-2021"]
    assert top.char_end > top.char_start
    assert top.text == source.text[top.char_start : top.char_end]


def test_bm25_and_dense_modes_are_single_retriever_baselines(tiny_app):
    bm25 = tiny_app.retriever.search("crystalloid fluid 30 mL/kg", mode="bm25").results
    dense = tiny_app.retriever.search("crystalloid fluid 30 mL/kg", mode="dense").results
    assert all(r.dense_rank is None for r in bm25) and all(r.bm25_rank is None for r in dense)
    assert bm25[0].doc_id == "sepsis-demo-2021"


def test_superseded_versions_rank_below_current_ones(tiny_app):
    results = tiny_app.retriever.search("blood pressure target for adults").results
    ranks = {r.doc_id: i for i, r in reversed(list(enumerate(results)))}
    assert ranks["htn-demo-2023"] < ranks["htn-demo-2014"]
    old = next(r for r in results if r.doc_id == "htn-demo-2014")
    assert old.status == "superseded" and old.superseded_by == "htn-demo-2023"


@pytest.mark.parametrize("question", ["", "   ", "the of and", "x" * 5000])
def test_unusable_questions_get_a_clear_error(tiny_app, question):
    with pytest.raises(QuestionError):
        tiny_app.retriever.search(question)


def test_langchain_adapter_returns_documents_with_citation_metadata(tiny_app):
    from rag.langchain_adapter import ClinragLangChainRetriever

    docs = ClinragLangChainRetriever(retriever=tiny_app.retriever, k=2).invoke("first-line drug classes for hypertension")
    assert len(docs) == 2
    assert docs[0].metadata["doc_id"] == "htn-demo-2023"
    assert "ACE inhibitors" in docs[0].page_content
    assert {"page_start", "section", "chunk_id"} <= set(docs[0].metadata)


def test_empty_index_search_is_an_index_error(fake_app):
    with pytest.raises(IndexStateError, match="clinrag ingest"):
        fake_app.store.require_ready()


def test_rebuild_swaps_in_a_fresh_index_only_when_something_was_ingested(tiny_app, tiny_corpus, tmp_path):
    empty = tmp_path / "empty.md"
    empty.write_text("")
    report = tiny_app.ingest([empty], rebuild=True)
    assert not report.ok and tiny_app.store.stats()["documents"] == 4  # the tiny corpus is still there
    report = tiny_app.ingest([tiny_corpus / "sepsis.md"], rebuild=True)
    assert report.added == ["sepsis-demo-2021"]
    assert [d["doc_id"] for d in tiny_app.store.documents()] == ["sepsis-demo-2021"]


def test_langchain_adapter_composes_in_a_runnable_chain(tiny_app):
    """The retriever as one step of an LCEL chain: question -> documents -> a numbered context with citations."""
    from langchain_core.runnables import RunnableLambda, RunnablePassthrough

    from rag.langchain_adapter import ClinragLangChainRetriever

    def numbered(docs) -> str:
        return "\n".join(
            f"[{n}] {d.metadata['title']} ({d.metadata['version']}): {d.page_content}" for n, d in enumerate(docs, start=1)
        )

    retriever = ClinragLangChainRetriever(retriever=tiny_app.retriever, k=2)
    chain = {"context": retriever | RunnableLambda(numbered), "question": RunnablePassthrough()} | RunnableLambda(
        lambda parts: f"Question: {parts['question']}\n{parts['context']}"
    )
    prompt = chain.invoke("What is the blood pressure target for most adults with hypertension?")
    assert prompt.startswith("Question: What is the blood pressure target")
    assert "[1] Hypertension demo guideline (2023): " in prompt and "130/80" in prompt
    assert [p.count("\n[") for p in chain.batch(["sepsis antimicrobials timing", "asthma inhaler"])] == [2, 2]
