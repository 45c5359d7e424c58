"""``clinrag ingest --sync DIR`` (issue 15): the index matches a folder; settings changes re-process exactly the
documents they affect; a failed re-index keeps the previous version; a kill during a sync loses nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cli.main import main
from clinrag.errors import IndexStateError
from clinrag.settings import load_settings
from composition.app import App
from tests.fakes import HashEmbedder

REPO = Path(__file__).resolve().parent.parent

LONG = " ".join(f"For adults with condition {i}, the recommended dose of drug {i} is {10 * i} mg daily." for i in range(14))


def _md(folder: Path, name: str, doc_id: str, body: str) -> Path:
    path = folder / name
    path.write_text(f"---\ndoc_id: {doc_id}\ntitle: {doc_id} guideline\n---\n# {doc_id}\n\n{body}\n", encoding="utf-8")
    return path


class CountingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        self.texts: list[str] = []

    def embed_documents(self, texts):
        self.texts.extend(texts)
        return super().embed_documents(texts)


def _app(tmp_path: Path, embedder=None, **settings) -> App:
    return App(load_settings(index_dir=tmp_path / "index", **settings), embedder=embedder or HashEmbedder())


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "library"
    d.mkdir()
    _md(d, "a.md", "doc-a", "## One\nAspirin is recommended for secondary prevention.")
    _md(d, "b.md", "doc-b", "## One\nStatins are recommended for adults at high risk.")
    _md(d, "c.md", "doc-c", "## One\nMetformin is the first-line drug for type 2 diabetes.")
    (d / "records.jsonl").write_text("".join(json.dumps({"doc_id": f"rec-{i}", "title": f"Record {i}",
                                                         "text": f"Question {i} about gout. Answer {i}."}) + "\n"
                                             for i in range(3)), encoding="utf-8")
    return d


def _ids(app: App) -> set[str]:
    return {d["doc_id"] for d in app.store.documents()}


def test_sync_adds_updates_skips_and_removes_what_left_the_folder(tmp_path, folder):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _md(elsewhere, "z.md", "doc-z", "Zinc is not recommended for the common cold.")
    app = _app(tmp_path)
    assert app.ingest([elsewhere]).ok
    first = app.sync(folder, user="ada")
    assert sorted(first.added) == ["doc-a", "doc-b", "doc-c", "rec-0", "rec-1", "rec-2"] and not first.removed

    _md(folder, "b.md", "doc-b", "## One\nStatins are recommended for adults at high risk.\n## Two\nCheck lipids yearly.")
    (folder / "c.md").unlink()
    _md(folder, "d.md", "doc-d", "Vitamin D is suggested for adults in care homes.")
    lines = (folder / "records.jsonl").read_text().splitlines()
    (folder / "records.jsonl").write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")  # rec-2 gone
    report = app.sync(folder, user="ada")
    assert report.added == ["doc-d"] and report.updated == ["doc-b"] and report.removed == ["doc-c", "rec-2"]
    assert sorted(report.unchanged) == ["doc-a", "rec-0", "rec-1"] and report.ok
    assert _ids(app) == {"doc-a", "doc-b", "doc-d", "rec-0", "rec-1", "doc-z"}  # the other folder's document stays
    assert not [r for r in app.search("metformin first-line type 2 diabetes", k=10).results if r.doc_id == "doc-c"]
    removals = [(r["action"], r["doc_id"], r["user"]) for r in app.store.ingest_log() if r["action"] == "remove"]
    assert removals == [("remove", "doc-c", "ada"), ("remove", "rec-2", "ada")]
    assert app.store.verify().ok and app.store.verify_log().ok
    again = app.sync(folder)
    assert not (again.added or again.updated or again.removed) and len(again.unchanged) == 5


def test_an_unchanged_file_is_recognised_by_its_hash_without_parsing(tmp_path, folder, monkeypatch):
    app = _app(tmp_path)
    assert app.sync(folder).ok
    import ingest.pipeline as pipeline

    monkeypatch.setattr(pipeline, "load_file_lenient", lambda *a, **k: pytest.fail("an unchanged file was parsed"))
    report = app.sync(folder)
    assert len(report.unchanged) == 6 and not report.added and not report.updated


def test_a_deleted_document_comes_back_when_its_unchanged_file_is_ingested_again(tmp_path, folder):
    from ingest.library import Library

    app = _app(tmp_path)
    assert app.sync(folder).ok
    Library(app.store).delete("rec-1")
    report = app.ingest([folder / "records.jsonl"])
    assert report.added == ["rec-1"] and sorted(report.unchanged) == ["rec-0", "rec-2"]


def test_a_renamed_file_keeps_its_document(tmp_path, folder):
    app = _app(tmp_path)
    assert app.sync(folder).ok
    (folder / "a.md").rename(folder / "a-renamed.md")
    report = app.sync(folder)
    assert report.ok and not report.removed and "doc-a" in _ids(app)
    _md(folder, "a-renamed.md", "doc-a", "## One\nAspirin is recommended for secondary prevention in adults.")
    (folder / "b.md").rename(folder / "b2.md")
    _md(folder, "b2.md", "doc-b", "## One\nStatins are recommended for all adults at high risk.")
    report = app.sync(folder)
    assert report.ok and sorted(report.updated) == ["doc-a", "doc-b"] and not report.removed
    owners = app.store.document_owners()
    assert owners["doc-b"]["source_path"].endswith("b2.md")


def test_a_failed_reindex_keeps_the_previous_version_searchable(tmp_path, folder):
    app = _app(tmp_path)
    assert app.sync(folder).ok
    before = app.store.document_chunks("doc-a")
    (folder / "a.md").write_bytes(b"---\ndoc_id: doc-a\ntitle: [unclosed\n---\n\xff\xfe broken")
    lines = (folder / "records.jsonl").read_text().splitlines()
    (folder / "records.jsonl").write_text(lines[0] + "\n{not json\n", encoding="utf-8")  # rec-1, rec-2 unreadable now
    report = app.sync(folder)
    assert not report.ok and {Path(p).name for p, _ in report.failed} >= {"a.md", "records.jsonl"}
    assert not report.removed and {"doc-a", "rec-1", "rec-2"} <= _ids(app)
    assert app.store.document_chunks("doc-a") == before
    assert any(r.doc_id == "doc-a" for r in app.search("aspirin secondary prevention", k=5).results)
    failed = [r for r in app.store.ingest_log() if r["outcome"] == "failed"]
    assert any(r["file"].endswith("a.md") for r in failed)


def test_a_chunking_change_reprocesses_exactly_the_documents_it_affects(tmp_path, folder):
    _md(folder, "long.md", "doc-long", LONG)
    app = _app(tmp_path)
    assert app.sync(folder).ok
    long_before = [c["chunk_id"] for c in app.store.document_chunks("doc-long")]
    embedder = CountingEmbedder()
    changed = _app(tmp_path, embedder, chunking={"max_chars": 400})
    with pytest.raises(IndexStateError, match="--sync"):
        changed.ingest([folder])  # a plain ingest still refuses to mix, and names the way out
    with pytest.raises(IndexStateError, match="fingerprint"):
        changed.store.require_ready()
    report = changed.sync(folder)
    assert report.updated == ["doc-long"] and not report.added and not report.removed
    assert sorted(report.restamped) == ["doc-a", "doc-b", "doc-c", "rec-0", "rec-1", "rec-2"]
    long_after = [c["chunk_id"] for c in changed.store.document_chunks("doc-long")]
    assert len(long_after) > len(long_before)
    assert all("condition" in t for t in embedder.texts)  # only the long document's chunks were embedded
    changed.store.require_ready()
    assert changed.store.verify().ok
    again = changed.sync(folder)
    assert not again.updated and not again.restamped and len(again.unchanged) == 7


def test_an_embedder_change_cannot_be_done_document_by_document(tmp_path, folder):
    app = _app(tmp_path)
    assert app.sync(folder).ok
    other = _app(tmp_path, embedding={"contextual_header": False})
    with pytest.raises(IndexStateError, match="rebuild"):
        other.sync(folder)


def test_an_update_embeds_only_the_chunks_that_changed(tmp_path):
    folder = tmp_path / "lib"
    folder.mkdir()
    sections = "\n\n".join(f"## Part {i}\n" + LONG[:300] + f" Part {i}." for i in range(5))
    _md(folder, "big.md", "doc-big", sections)
    app = _app(tmp_path)
    assert app.sync(folder).ok
    embedder = CountingEmbedder()
    updater = _app(tmp_path, embedder)
    _md(folder, "big.md", "doc-big", sections.replace("Part 3.", "Part 3, revised."))
    report = updater.sync(folder)
    assert report.updated == ["doc-big"] and report.chunks_reused == 4 and len(embedder.texts) == 1
    rows = updater.store.document_chunks("doc-big")
    stored = updater.store.vectors.get([r["chunk_id"] for r in rows])
    fresh = HashEmbedder().embed_documents([f"doc-big guideline | {r['section']}\n{r['text']}" for r in rows])
    assert np.allclose(np.stack([stored[r["chunk_id"]] for r in rows]), fresh, atol=1e-6)  # reused == re-embedded


def test_cli_ingest_sync_reports_removed(tmp_path, folder, capsys, monkeypatch):
    monkeypatch.setattr("composition.app.SentenceTransformerEmbedder", lambda *a, **k: HashEmbedder())
    index = str(tmp_path / "index")
    assert main(["ingest", "--sync", str(folder), "--index", index, "--json"]) == 0
    capsys.readouterr()
    (folder / "b.md").unlink()
    assert main(["ingest", "--sync", str(folder), "--index", index, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["removed"] == ["doc-b"] and len(out["unchanged"]) == 5 and out["added"] == []


def test_cli_ingest_needs_paths_or_sync(tmp_path, capsys):
    assert main(["ingest", "--index", str(tmp_path / "index")]) != 0
    assert "--sync" in capsys.readouterr().err


def test_crash_during_sync_loses_nothing(tmp_path):
    """kill -9 during `ingest --sync` of a changing corpus (scripts/crash_trials.py --kind sync; 2 trials here)."""
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "crash_trials.py"), "--kind", "sync", "--trials", "2", "--size", "small",
         "--seed", "11", "--workdir", str(tmp_path / "crash")],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env={**__import__("os").environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "2/2 passed" in result.stdout
