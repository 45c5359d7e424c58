"""Chroma server mode (issue 15, item 2): a real ``chroma run`` server on 127.0.0.1 holds the dense vectors; ingest,
search, update, delete and sync through it give the embedded store's results. The catalog stays local."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from clinrag.settings import load_settings
from composition.app import App, chroma_server
from ingest.chroma_store import collection_name
from ingest.library import Library
from tests.fakes import HashEmbedder

REPO = Path(__file__).resolve().parent.parent
CHROMA = REPO / ".venv" / "bin" / "chroma"
TOKEN = "s3cret-token-value"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real Chroma server (the `chroma run` that chromadb installs), on a free loopback port and a temporary path."""
    path = tmp_path_factory.mktemp("chroma-server")
    port = _free_port()
    log = open(path / "server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(CHROMA), "run", "--path", str(path / "data"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120  # a bound on start-up, not a timing under test
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"chroma run did not start: {(path / 'server.log').read_text()[-2000:]}")
        time.sleep(0.2)
    yield port
    proc.terminate()
    proc.wait(timeout=30)
    log.close()
    shutil.rmtree(path, ignore_errors=True)


def _apps(tmp_path: Path, port: int) -> tuple[App, App]:
    embedded = App(load_settings(index_dir=tmp_path / "embedded"), embedder=HashEmbedder())
    served = App(load_settings(index_dir=tmp_path / "served", vectors={
        "mode": "server", "host": "127.0.0.1", "port": port, "auth_header": "X-Chroma-Token", "auth_token": TOKEN}),
        embedder=HashEmbedder())
    return embedded, served


QUERIES = ("blood pressure target for adults", "antibiotics for septic shock", "inhaled corticosteroid asthma",
           "crystalloid fluids sepsis")


def _results(app: App) -> dict[tuple[str, str], list[tuple[str, float]]]:
    out = {}
    for q in QUERIES:
        for mode in ("fused", "dense", "bm25"):
            out[(q, mode)] = [(r.chunk_id, round(r.score, 5)) for r in app.search(q, k=8, mode=mode).results]
    return out


def test_server_mode_gives_the_embedded_stores_results(tmp_path, tiny_corpus, server):
    embedded, served = _apps(tmp_path, server)
    assert served.store.server is not None and served.store.server.port == server
    for app in (embedded, served):
        assert app.ingest([tiny_corpus]).ok
    assert not (tmp_path / "served").joinpath(served.store.data_dir().name, "chroma").exists()  # vectors on the server
    assert _results(served) == _results(embedded)
    assert served.store.verify().ok and served.store.stats()["vectors"] == embedded.store.stats()["vectors"]

    changed = tiny_corpus / "asthma.txt"
    changed.write_text(changed.read_text() + "\nChildren should use a spacer with metered-dose inhalers.\n")
    for app in (embedded, served):
        report = app.ingest([tiny_corpus])
        assert report.updated == ["asthma"]
    assert _results(served) == _results(embedded)

    victim = "sepsis-demo-2021"
    for app in (embedded, served):
        Library(app.store).delete(victim)
    assert _results(served) == _results(embedded)
    assert served.store.verify().ok and embedded.store.verify().ok

    (tiny_corpus / "asthma.txt").unlink()
    for app in (embedded, served):
        assert app.sync(tiny_corpus).removed
    assert _results(served) == _results(embedded)

    # another process (a fresh store) sees what was written through the server
    fresh = App(served.settings, embedder=HashEmbedder())
    assert _results(fresh) == _results(embedded)


def test_a_rebuild_on_the_server_swaps_collections_and_drops_the_old_one(tmp_path, tiny_corpus, server):
    import chromadb

    _, served = _apps(tmp_path, server)
    assert served.ingest([tiny_corpus]).ok
    old = served.store.data_dir().name
    assert served.ingest([tiny_corpus], rebuild=True).added
    assert served.store.data_dir().name != old
    client = chromadb.HttpClient(host="127.0.0.1", port=server)
    live = collection_name(served.store.data_dir() / "chroma", served.store.server)
    index_prefix = live.rsplit("-gen-", 1)[0]  # this index's collections, whatever other tests left on the server
    mine = {c.name for c in client.list_collections() if c.name.startswith(index_prefix)}
    assert mine == {live} and live.endswith(served.store.data_dir().name) and not live.endswith(old)
    assert served.search("blood pressure target", k=3).results


def test_an_unreachable_server_is_a_named_error(tmp_path, tiny_corpus):
    from clinrag.errors import IndexStateError

    app = App(load_settings(index_dir=tmp_path / "x", vectors={"mode": "server", "port": _free_port()}),
              embedder=HashEmbedder())
    with pytest.raises(IndexStateError, match="Chroma server at 127.0.0.1"):
        app.ingest([tiny_corpus])
    assert not app.store.exists() or not app.store.documents()


def test_the_auth_token_is_a_secret(tmp_path):
    settings = load_settings(index_dir=tmp_path, vectors={"mode": "server", "auth_header": "Authorization",
                                                          "auth_token": "Bearer " + TOKEN})
    server = chroma_server(settings)
    assert server.headers() == {"Authorization": "Bearer " + TOKEN}
    assert TOKEN not in repr(settings) and TOKEN not in repr(server) and TOKEN not in settings.model_dump_json()
    assert settings.fingerprint() == load_settings(index_dir=tmp_path).fingerprint()
    assert settings.index_fingerprint() == load_settings(index_dir=tmp_path).index_fingerprint()
