"""Composition root: builds the pieces from settings, lazily. The CLI, the UI and the evaluation share it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from clinrag.errors import ConfigError
from clinrag.protocols import Embedder
from clinrag.settings import Settings
from ingest.index import IndexStore
from ingest.pipeline import IngestReport, ingest_paths
from rag.models import SentenceTransformerEmbedder
from rag.retrieval import HybridRetriever


class App:
    def __init__(
        self, settings: Settings, embedder: Embedder | None = None, reader=None, calibration=None, drafters=None
    ) -> None:
        self.settings = settings
        self._embedder = embedder
        if drafters:  # injected drafters by generator name (tests: a scripted, streaming one)
            self.__dict__["_drafters"] = dict(drafters)
        if reader is not None:  # injected (tests: a deterministic fake; evaluation: a shared instance)
            self.__dict__["reader"] = reader
        if calibration is not None:
            self.__dict__["calibration"] = calibration

    @cached_property
    def embedder(self) -> Embedder:
        if self._embedder is not None:
            return self._embedder
        e = self.settings.embedding
        return SentenceTransformerEmbedder(e.package, e.batch_size)

    @cached_property
    def store(self) -> IndexStore:
        return self.store_at(self.settings.index_dir)

    def store_at(self, root: Path) -> IndexStore:
        return IndexStore(root, self.settings.index_fingerprint(), self.settings.embedding.package,
                          lock_timeout_s=self.settings.ingest.lock_timeout_s)

    @cached_property
    def retriever(self) -> HybridRetriever:
        return HybridRetriever(self.store, self.embedder, self.settings.retrieval)

    def search(self, query: str, k: int | None = None, mode: str = "fused"):
        """Search in one of four modes: ``fused`` (BM25 + dense, RRF), ``bm25``, ``dense``, or ``reranked`` (the fused
        candidates reordered by the reader, as answers use them; results carry ``reader_score``)."""
        if mode != "reranked":
            return self.retriever.search(query, k=k, mode=mode)
        from dataclasses import replace as _replace

        from rag.answer import read_evidence

        response, results, _ = read_evidence(self.retriever, self.reader, self.settings, query)
        return _replace(response, results=results[: k or self.settings.retrieval.k])

    @cached_property
    def reader(self):
        from rag.reader import CrossEncoderReader

        r = self.settings.reader
        return CrossEncoderReader(r.weights_dir, r.sha256, self.settings.generation.n_threads, r.batch_size, r.quantize)

    @cached_property
    def calibration(self):
        """The fitted calibration for these settings; an error when it was fitted for other settings."""
        from clinrag.errors import CalibrationError
        from rag.calibration import calibration_tag

        calibration = _answer_parts()[2]()
        tag = calibration_tag(self.settings)
        if calibration.fingerprint != tag:
            raise CalibrationError(
                f"the calibration in {calibration.source} was fitted for settings {calibration.fingerprint}, but the active "
                f"settings are {tag} (a retrieval, chunking, embedder or reader setting differs from the fitted one); "
                "undo the change or refit with `.venv/bin/python scripts/fit_calibration.py`"
            )
        return calibration

    @cached_property
    def judge(self):
        model = self.settings.generation.judge_model
        if model == "none":
            return None
        return _answer_parts()[0].LlamaJudge(model, self.settings.generation, self.settings.model_cache_dir)

    @cached_property
    def verifier(self):
        generators, _, _, Verifier = _answer_parts()
        name = "support_judge" if self.judge is not None else "support"
        return Verifier(self.reader, self.calibration.get(name), self.judge)

    def drafter(self, generator: str | None = None):
        """The drafter named by ``generator`` (default: settings), built once per name."""
        name = generator or self.settings.generation.generator
        cache = self.__dict__.setdefault("_drafters", {})
        if name not in cache:
            generators = _answer_parts()[0]
            g = self.settings.generation
            if name == "extractive":
                cache[name] = generators.ExtractiveDrafter(self.reader, g, population_weight=self.settings.reader.population_weight)
            elif name == "local":
                cache[name] = generators.LLMDrafter(generators.LlamaGenerator(g.local_model, g, self.settings.model_cache_dir), g)
            elif name == "api":
                cache[name] = generators.LLMDrafter(
                    generators.OpenAICompatibleGenerator(g, api_key=self.settings.api_key.get_secret_value()), g)
            else:
                raise ConfigError(f"unknown generator {name!r}; choose extractive, local or api")
        return cache[name]

    def answerer(self, generator: str | None = None):
        _, Answerer, _, _ = _answer_parts()
        drafter = self.drafter(generator)
        fitted = self.calibration.fingerprint
        note = "" if drafter.name == "extractive" else "; groundedness fitted on extractive answers"
        models = {
            "embedder": self.embedder.name,
            "reader": self.reader.name,
            "generator": drafter.name,
            "judge": self.judge.name if self.judge else "none",
            "calibration": f"{fitted} (fitted for these settings{note})",
        }
        justifier = self.drafter("extractive") if drafter.name != "extractive" else None
        return Answerer(self.settings, self.retriever, self.reader, drafter, self.verifier, self.calibration, models, justifier)

    def ingest(
        self,
        paths: list[Path],
        on_event=lambda _m: None,
        rebuild: bool = False,
        exclude_doc_ids: frozenset[str] = frozenset(),
        replace: bool = False,
        follow_symlinks: bool = False,
        *,
        metadata: Mapping[str, Mapping[str, Any]] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
    ) -> IngestReport:
        """Ingest into the index. ``rebuild`` builds a new generation of the index beside the live one and swaps
        it in with one atomic step, only when something was ingested (the writer lock is held throughout).
        ``replace`` lets a file take over a doc_id another file holds; ``follow_symlinks`` reads linked files.
        ``metadata`` maps a file path to fields that replace the file's own (title, issuer, version, date, status,
        doc_id); ``on_progress(files_done, files_total, file)`` follows the batch (see ``ingest_paths``)."""

        def run(store: IndexStore) -> IngestReport:
            return ingest_paths(
                paths, self.settings, self.embedder, store, on_event, exclude_doc_ids,
                replace=replace, follow_symlinks=follow_symlinks, metadata=metadata, on_progress=on_progress,
            )

        if not rebuild:
            return run(self.store)
        return self.store.rebuild(run, keep=lambda report: bool(report.added))


def _answer_parts():  # imported lazily so `clinrag ingest` never pays for the answer stack
    from rag import generators
    from rag.answer import Answerer
    from rag.calibration import load_calibration
    from rag.verify import Verifier

    return generators, Answerer, load_calibration, Verifier
