"""Batch embedding on a Ray cluster: ``clinrag ingest --engine ray`` (setting ``ingest.engine = "ray"``).

How it works. A planning pass reads and chunks the files (no embedding) and collects the texts the ingest will
have to embed: not those of unchanged files or documents, nor those whose vectors the index already holds for the
same text (``texts_to_embed``). One Ray Data job embeds them: ``map_batches`` over an actor pool of
``ingest.ray_workers`` actors, each of which builds the embedder once (the model loads once per worker, in the
actor's constructor) and encodes ``ingest.ray_batch_size`` texts a call with one torch thread per CPU it holds. The
vectors come back to this process, and the ordinary ingest then runs with them in place of the embedder
(``RayEmbedding.__call__``): the catalog, the BM25 postings and the vectors are written by this one process under
the writer lock, exactly as in a single-process ingest. Nothing but embedding runs on the cluster.

The cluster: a local one started here on 127.0.0.1 with ``ray_workers`` CPUs (and stopped at the end), or an
existing one given by ``ingest.ray_address`` (``ray start --head`` on one machine, ``ray start --address`` on the
others; every node needs this project and its model packages installed). Scaling: one actor per CPU core of the
cluster for MiniLM on CPU (torch threads 1 each), batch size 256-1024 (larger batches amortise the per-call
overhead; memory per actor is the model plus one batch), and the planning pass and writer stay on the driver; the
returned vectors of one run are held in memory (1.5 KB a chunk for MiniLM), so ingest a very large corpus in
slices of a few million chunks.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from clinrag.errors import ConfigError, IngestError
from clinrag.protocols import Embedder

REPO = Path(__file__).resolve().parent.parent


class _EmbedActor:
    """One Ray actor: builds the embedder once, then embeds batches (Ray Data calls it with numpy batches)."""

    def __init__(self, factory: Callable[[], Embedder], threads: int) -> None:
        try:
            import torch

            torch.set_num_threads(max(1, threads))
        except ImportError:  # pragma: no cover - torch is installed with the project
            pass
        self.embedder = factory()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = np.asarray(self.embedder.embed_documents([str(t) for t in batch["text"]]), dtype=np.float32)
        return {"row": batch["row"], "vector": vectors}


class RayEmbedding:
    """texts -> vectors on a Ray cluster. ``prepare(texts)`` embeds them all in one Ray Data job; calling the object
    returns their vectors (texts it has not seen are embedded in another, smaller job)."""

    def __init__(self, factory: Callable[[], Embedder], *, address: str = "", workers: int = 2, batch_size: int = 256) -> None:
        if workers < 1:
            raise ConfigError(f"ingest.ray_workers must be at least 1, found {workers}")
        self.factory = factory
        self.address = address
        self.workers = workers
        self.batch_size = batch_size
        self._vectors: dict[str, np.ndarray] = {}
        self._started = False
        self.embedded = 0  # texts embedded on the cluster

    def __enter__(self) -> "RayEmbedding":
        import ray

        if ray.is_initialized():
            return self
        env = {"env_vars": {"PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
                            "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}}
        try:
            if self.address:
                ray.init(address=self.address, runtime_env=env, log_to_driver=False)
            else:
                ray.init(num_cpus=self.workers, include_dashboard=False, _node_ip_address="127.0.0.1", runtime_env=env,
                         log_to_driver=False)
        except Exception as exc:  # noqa: BLE001 - Ray raises several kinds for a cluster it cannot reach or start
            where = f"at {self.address}" if self.address else "on this machine"
            raise ConfigError(f"could not start or reach a Ray cluster {where} ({type(exc).__name__}: {str(exc)[:300]}); "
                              "check ingest.ray_address, or leave it empty to start a local one") from exc
        self._started = True
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._started:
            import ray

            ray.shutdown()
            self._started = False

    def prepare(self, texts: Iterable[str]) -> None:
        todo = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if not todo:
            return
        import ray

        blocks = max(self.workers, min(-(-len(todo) // self.batch_size), self.workers * 8))  # every actor gets work
        ds = ray.data.from_items([{"row": i, "text": t} for i, t in enumerate(todo)], override_num_blocks=blocks)
        ds = ds.map_batches(_EmbedActor, fn_constructor_args=(self.factory, 1), batch_size=self.batch_size,
                            concurrency=self.workers, num_cpus=1, batch_format="numpy")
        got = 0
        for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
            for row, vector in zip(batch["row"], batch["vector"]):
                self._vectors[todo[int(row)]] = np.asarray(vector, dtype=np.float32)
                got += 1
        if got != len(todo):
            raise IngestError("(ray)", f"the cluster returned {got} vectors for {len(todo)} texts")
        self.embedded += len(todo)

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.prepare(texts)
        return np.stack([self._vectors[t] for t in texts]) if texts else np.zeros((0, 0), dtype=np.float32)


def texts_to_embed(paths: list[Path], settings: Any, store: Any, follow_symlinks: bool = False) -> list[str]:
    """The planning pass: the embedded texts an ingest of ``paths`` will need (files and documents the index holds
    unchanged, and texts it holds vectors for, left out). Files that fail are skipped here; the ingest reports them."""
    from ingest.files import discover
    from ingest.library_records import file_of
    from ingest.loaders import load_file_lenient
    from ingest.prepare import chunk_many, header_text
    from clinrag.records import sha256_file

    files, _ = discover(list(paths), follow_symlinks or settings.ingest.follow_symlinks)
    owners = store.document_owners()
    known = store.source_files()
    header = settings.embedding.contextual_header
    held: dict[str, int] = {}
    for owner in owners.values():
        held[file_of(owner.get("source_key") or "")] = held.get(file_of(owner.get("source_key") or ""), 0) + 1
    texts: list[str] = []
    for path in files:
        whole = os.path.abspath(path)
        row = known.get(whole)
        try:
            if row and row["fingerprint"] == store.index_fingerprint and row["sha256"] == sha256_file(path) \
                    and held.get(whole) == row["documents"]:
                continue
            documents, _ = load_file_lenient(path, int(settings.max_file_mb * 1e6), follow_symlinks=follow_symlinks,
                                             max_text_chars=settings.ingest.max_text_chars)
            documents = [d for d in documents if not (d.doc_id in owners and owners[d.doc_id]["sha256"] == d.sha256
                                                      and owners[d.doc_id].get("fingerprint") == store.index_fingerprint)]
            chunked = chunk_many(documents, settings)
        except Exception:  # noqa: BLE001 - the ingest itself names the file and the reason
            continue
        previous = {header_text(t, s, x, header) for _, t, s, x in store.chunk_sources(d.doc_id for d in documents)}
        texts += [t for _, _, ts in chunked for t in ts if t not in previous]
    return list(dict.fromkeys(texts))
