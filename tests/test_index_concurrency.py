"""The index stays whole across processes: concurrent writers lose nothing, readers never see half a document,
and a writer killed with SIGKILL leaves an index the next ingest completes. Each test starts subprocesses with the
hash embedder (no model); together they take about half a minute."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from clinrag.settings import load_settings
from ingest.index import IndexStore

REPO = Path(__file__).resolve().parent.parent

WRITER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from composition.app import App
    from clinrag.settings import load_settings
    from tests.fakes import HashEmbedder

    index, folder, go = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    app = App(load_settings(index_dir=index), embedder=HashEmbedder())
    while not go.exists():
        time.sleep(0.01)
    added = []
    for path in sorted(folder.iterdir()):  # one ingest per file, so the two writers interleave
        report = app.ingest([path])
        assert report.ok, report.failed
        added += report.added
    print(json.dumps(added))
    """
)

UPDATER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from composition.app import App
    from clinrag.settings import load_settings
    from tests.fakes import HashEmbedder

    index, path, rounds = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    app = App(load_settings(index_dir=index), embedder=HashEmbedder())
    for i in range(rounds):
        version = "alpha" if i % 2 else "omega"
        body = "\\n\\n".join(f"## Part {p}\\n\\nRenal dosing step {p} is reviewed in version {version} of this text." for p in range(6))
        path.write_text(f"---\\ndoc_id: flip\\n---\\n# Flip\\n\\n{body}\\n")
        assert app.ingest([path]).ok
    """
)


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1")


def _store(index: Path) -> IndexStore:
    settings = load_settings(index_dir=index)
    return IndexStore(index, settings.index_fingerprint(), settings.embedding.package)


def _corpus(folder: Path, prefix: str, n: int) -> list[str]:
    folder.mkdir(parents=True)
    ids = []
    for i in range(n):
        doc_id = f"{prefix}-{i}"
        sections = "\n\n".join(f"## S{s}\n\n{prefix} guideline {i} section {s}: give {s + i} mg of drug {prefix}{i}." for s in range(5))
        (folder / f"{doc_id}.md").write_text(f"---\ndoc_id: {doc_id}\n---\n# {prefix} {i}\n\n{sections}\n")
        ids.append(doc_id)
    return ids


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    index, go = tmp_path / "index", tmp_path / "go"
    expected = _corpus(tmp_path / "cli", "cli", 6) + _corpus(tmp_path / "ui", "upload", 6)
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(index), str(tmp_path / name), str(go)], cwd=REPO, env=_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("cli", "ui")
    ]
    time.sleep(0.5)
    go.touch()
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err[-3000:]
    added = [doc for out, _ in outputs for doc in json.loads(out.strip().splitlines()[-1])]
    assert sorted(added) == sorted(expected)
    store = _store(index)
    assert sorted(d["doc_id"] for d in store.documents()) == sorted(expected)
    consistency = store.verify()
    assert consistency.ok, (consistency.problems, consistency.leftovers)
    assert consistency.chunks == consistency.vectors == len(store.lexical()) >= 12


def test_a_reader_sees_each_document_before_or_after_a_change_never_half(tmp_path):
    index = tmp_path / "index"
    path = tmp_path / "flip.md"
    writer = [sys.executable, "-c", UPDATER, str(index), str(path)]
    subprocess.run([*writer, "1"], cwd=REPO, env=_env(), check=True, capture_output=True)
    store = _store(index)
    n_chunks = len(store.document_chunks("flip"))
    proc = subprocess.Popen([*writer, "12"], cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: set[str] = set()
    while proc.poll() is None:
        rows = store.document_chunks("flip")
        versions = {("alpha" if "alpha" in r["text"] else "omega") for r in rows if "version" in r["text"]}
        assert len(versions) == 1 and len(rows) == n_chunks, [r["text"][:60] for r in rows]
        hits = store.chunks([cid for cid, _ in store.lexical().top(["renal", "dose", "step"], 50)])
        assert len({("alpha" if "alpha" in r["text"] else "omega") for r in hits.values()}) <= 1
        seen |= versions
    assert proc.returncode == 0, proc.stderr.read()[-3000:]
    assert seen  # the reader ran while the writer changed the document
    assert store.verify().ok


def test_crash_trials_reduced(tmp_path):
    """kill -9 at random moments (scripts/crash_trials.py, 2 trials of the small corpus; the script runs 20)."""
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "crash_trials.py"), "--trials", "2", "--size", "small", "--seed", "7",
         "--workdir", str(tmp_path / "crash")],
        cwd=REPO, env=_env(), capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "2/2 passed" in result.stdout


def test_dense_search_sees_what_another_process_wrote(tmp_path):
    """chromadb keeps its HNSW index in memory and misses other processes' writes; the catalog's write counter
    makes the store reopen it."""
    from composition.app import App
    from tests.fakes import HashEmbedder

    index, go = tmp_path / "index", tmp_path / "go"
    _corpus(tmp_path / "first", "first", 1)
    app = App(load_settings(index_dir=index), embedder=HashEmbedder())
    assert app.ingest([tmp_path / "first"]).ok
    probe = app.embedder.embed_query("second guideline section drug second0")
    assert all(cid.startswith("first") for cid, _ in app.store.dense(probe, 5))  # the vectors are loaded now
    _corpus(tmp_path / "second", "second", 1)
    go.touch()
    subprocess.run([sys.executable, "-c", WRITER, str(index), str(tmp_path / "second"), str(go)], cwd=REPO, env=_env(),
                   check=True, capture_output=True, timeout=300)
    assert app.store.dense(probe, 5)[0][0].startswith("second")
