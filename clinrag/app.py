"""Composition root: builds the pieces from settings, lazily. The CLI, the UI and the evaluation share it."""

from __future__ import annotations

import shutil
from functools import cached_property
from pathlib import Path

from clinrag.errors import ConfigError
from clinrag.settings import Settings
from ingest.index import IndexStore
from ingest.pipeline import IngestReport, ingest_paths
from rag.models import SentenceTransformerEmbedder
from rag.protocols import Embedder
from rag.retrieval import HybridRetriever


class App:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder

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
        return IndexStore(root, self.settings.index_fingerprint(), self.settings.embedding.package)

    @cached_property
    def retriever(self) -> HybridRetriever:
        return HybridRetriever(self.store, self.embedder, self.settings.retrieval)

    @cached_property
    def calibration(self):
        return _answer_parts()[2]()

    @cached_property
    def judge(self):
        model = self.settings.generation.judge_model
        if model == "none":
            return None
        return _answer_parts()[0].LlamaJudge(model, self.settings.generation)

    @cached_property
    def verifier(self):
        generators, _, _, Verifier = _answer_parts()
        name = "support_judge" if self.judge is not None else "support"
        return Verifier(self.embedder, self.calibration.get(name), self.judge)

    def drafter(self, generator: str | None = None):
        """The drafter named by ``generator`` (default: settings), built once per name."""
        name = generator or self.settings.generation.generator
        cache = self.__dict__.setdefault("_drafters", {})
        if name not in cache:
            generators = _answer_parts()[0]
            g = self.settings.generation
            if name == "extractive":
                cache[name] = generators.ExtractiveDrafter(self.embedder, g)
            elif name == "local":
                cache[name] = generators.LLMDrafter(generators.LlamaGenerator(g.local_model, g), g)
            elif name == "api":
                cache[name] = generators.LLMDrafter(generators.OpenAICompatibleGenerator(g), g)
            else:
                raise ConfigError(f"unknown generator {name!r}; choose extractive, local or api")
        return cache[name]

    def answerer(self, generator: str | None = None):
        _, Answerer, _, _ = _answer_parts()
        drafter = self.drafter(generator)
        from rag.calibration import calibration_tag

        fitted = self.calibration.fingerprint
        state = "fitted for these settings" if fitted == calibration_tag(self.settings) else f"STALE: fitted for settings {fitted}"
        models = {
            "embedder": self.embedder.name,
            "generator": drafter.name,
            "judge": self.judge.name if self.judge else "none",
            "calibration": f"{fitted} ({state})",
        }
        justifier = self.drafter("extractive") if drafter.name != "extractive" else None
        return Answerer(self.settings, self.retriever, drafter, self.verifier, self.calibration, models, justifier)

    def ingest(
        self, paths: list[Path], on_event=lambda _m: None, rebuild: bool = False, exclude_doc_ids: frozenset[str] = frozenset()
    ) -> IngestReport:
        """Ingest into the index; ``rebuild`` builds a fresh index beside it and swaps it in only on success."""
        if not rebuild:
            return ingest_paths(paths, self.settings, self.embedder, self.store, on_event, exclude_doc_ids)
        root = Path(self.settings.index_dir)
        fresh = root.with_name(root.name + ".rebuild")
        shutil.rmtree(fresh, ignore_errors=True)
        report = ingest_paths(paths, self.settings, self.embedder, self.store_at(fresh), on_event, exclude_doc_ids)
        if not report.added:  # nothing could be ingested: keep the index we have
            shutil.rmtree(fresh, ignore_errors=True)
            return report
        old = root.with_name(root.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if root.exists():
            root.rename(old)
        fresh.rename(root)
        shutil.rmtree(old, ignore_errors=True)
        self.__dict__.pop("store", None)
        self.__dict__.pop("retriever", None)
        return report


def _answer_parts():  # imported lazily so `clinrag ingest` never pays for the answer stack
    from rag import generators
    from rag.answer import Answerer
    from rag.calibration import load_calibration
    from rag.verify import Verifier

    return generators, Answerer, load_calibration, Verifier
