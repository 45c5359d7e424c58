"""The library service and `clinrag library`: list, supersede, retire (never searched, kept for audit), restore,
delete. Fast: the tiny corpus with the hash embedder."""

from __future__ import annotations

import json

import pytest

from cli.main import main
from cli.parser import build_parser
from clinrag.errors import LibraryError
from ingest.library import Library

ASTHMA_QUERY = "as-needed low-dose inhaled corticosteroid with formoterol for mild asthma"


def _asthma_2024(tiny_app, tmp_path):
    path = tmp_path / "asthma-2024.md"
    path.write_text("---\ndoc_id: asthma-2024\nversion: '2024'\n---\n# Asthma 2024\n\n"
                    "Adults with mild asthma should use as-needed budesonide-formoterol.\n")
    assert tiny_app.ingest([path]).ok


def test_list_shows_every_document_with_status_flags_and_decisions(tiny_app):
    docs = {d["doc_id"]: d for d in Library(tiny_app.store).list()}
    assert set(docs) == {"htn-demo-2023", "htn-demo-2014", "sepsis-demo-2021", "asthma"}
    old = docs["htn-demo-2014"]
    assert old["status"] == "superseded" and old["superseded_by"] == "htn-demo-2023"
    assert old["retired"] is False and old["lifecycle"] == "active" and old["flags"] == []


def test_supersede_marks_the_document_for_search_and_survives_re_ingest(tiny_app, tiny_corpus, tmp_path):
    _asthma_2024(tiny_app, tmp_path)
    library = Library(tiny_app.store)
    entry = library.supersede("asthma", by="asthma-2024", reason="local formulary update")
    assert entry["status"] == "superseded" and entry["superseded_by"] == "asthma-2024"
    hits = [r for r in tiny_app.retriever.search(ASTHMA_QUERY, k=10).results if r.doc_id == "asthma"]
    assert hits and all(r.status == "superseded" and r.superseded_by == "asthma-2024" for r in hits)
    (tiny_corpus / "asthma.txt").write_text((tiny_corpus / "asthma.txt").read_text() + "Review yearly.\n")
    assert tiny_app.ingest([tiny_corpus]).updated == ["asthma"]
    assert {d["doc_id"]: d["superseded_by"] for d in library.list()}["asthma"] == "asthma-2024"
    assert library.log("asthma")[0]["detail"] == "superseded by asthma-2024: local formulary update"


def test_supersede_refuses_unknown_self_cyclic_and_retired_targets(tiny_app, tmp_path):
    _asthma_2024(tiny_app, tmp_path)
    library = Library(tiny_app.store)
    with pytest.raises(LibraryError, match="no document nope.*clinrag library list"):
        library.supersede("nope", by="asthma")
    with pytest.raises(LibraryError, match="itself"):
        library.supersede("asthma", by="asthma")
    with pytest.raises(LibraryError, match="cycle"):
        library.supersede("htn-demo-2023", by="htn-demo-2014")  # 2014 is superseded by 2023 (front matter)
    library.retire("asthma-2024")
    with pytest.raises(LibraryError, match="retired.*restore"):
        library.supersede("asthma", by="asthma-2024")


def test_a_retired_document_is_never_searched_but_kept_for_audit(tiny_app):
    store = tiny_app.store
    before = tiny_app.retriever.search(ASTHMA_QUERY, k=10).results
    assert before[0].doc_id == "asthma"
    chunk_ids = [r["chunk_id"] for r in store.document_chunks("asthma")]
    entry = Library(store).retire("asthma", reason="withdrawn by the pharmacy committee")
    assert entry["retired"] is True and entry["library_reason"] == "withdrawn by the pharmacy committee"
    for mode in ("fused", "bm25", "dense"):
        assert all(r.doc_id != "asthma" for r in tiny_app.retriever.search(ASTHMA_QUERY, k=10, mode=mode).results), mode
    assert store.chunks(chunk_ids) == {}  # the helper the retriever uses skips them
    assert set(store.chunks(chunk_ids, include_retired=True)) == set(chunk_ids)
    assert [r["chunk_id"] for r in store.document_chunks("asthma")] == chunk_ids  # audit still reads them
    assert all(cid not in chunk_ids for cid, _ in store.lexical().top(["asthma", "formoterol"], 50))
    assert "asthma" in {d["doc_id"] for d in store.documents()} and store.verify().ok
    Library(store).restore("asthma")
    assert tiny_app.retriever.search(ASTHMA_QUERY, k=10).results[0].doc_id == "asthma"
    assert [e["action"] for e in Library(store).log("asthma")] == ["retire", "restore"]


def test_delete_removes_the_document_its_chunks_postings_and_vectors(tiny_app):
    store = tiny_app.store
    before = store.stats()
    n = len(store.document_chunks("asthma"))
    result = Library(store).delete("asthma", reason="duplicate upload")
    assert result["deleted"] and "asthma" not in store.document_hashes()
    after = store.stats()
    assert after["chunks"] == after["vectors"] == before["chunks"] - n and len(store.lexical()) == after["chunks"]
    assert store.verify().ok
    assert [(e["action"], e["detail"]) for e in Library(store).log("asthma")] == [("delete", "duplicate upload")]
    with pytest.raises(LibraryError, match="no document asthma"):
        Library(store).retire("asthma")


def test_the_library_command(tiny_app, capsys):
    index = str(tiny_app.settings.index_dir)
    assert main(["library", "list", "--json", "--index", index]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 4
    assert main(["library", "retire", "asthma", "--reason", "old", "--index", index]) == 0
    assert "asthma is retired" in capsys.readouterr().out
    assert main(["library", "list", "--index", index]) == 0
    out = capsys.readouterr().out
    assert "[RETIRED]" in out and "1 retired" in out
    assert main(["docs", "--index", index]) == 0 and "[RETIRED]" in capsys.readouterr().out
    assert main(["library", "supersede", "sepsis-demo-2021", "--by", "htn-demo-2023", "--index", index]) == 0
    capsys.readouterr()
    assert main(["library", "delete", "asthma", "--index", index]) == 2
    assert "--yes" in capsys.readouterr().err
    assert main(["library", "delete", "asthma", "--yes", "--json", "--index", index]) == 0
    assert json.loads(capsys.readouterr().out)["deleted"] is True
    assert main(["library", "list", "--log", "--index", index]) == 0
    assert [line.split()[1] for line in capsys.readouterr().out.splitlines()[:3]] == ["retire", "supersede", "delete"]
    assert main(["library", "restore", "nope", "--index", index]) == 2
    assert "no document nope" in capsys.readouterr().err


def test_the_ingest_command_takes_replace_and_follow_symlinks():
    args = build_parser().parse_args(["ingest", "a.md", "--replace", "--follow-symlinks", "--rebuild", "--json"])
    assert args.replace and args.follow_symlinks and args.rebuild and args.json
    args = build_parser().parse_args(["ingest", "a.md"])
    assert not args.replace and not args.follow_symlinks
