"""Composition root: builds the pieces from settings, lazily. The CLI, the UI and the evaluation share it.

Every part can be passed in instead of built (tests pass deterministic fakes; the evaluation shares a reader
across suites): ``App(settings, embedder=, reader=, calibration=, drafters=, store=)``, each typed by its seam in
``clinrag.protocols``. What is not passed is built on first use by the ``build_*`` factories below, which import
the answer stack lazily so that ``clinrag ingest`` never pays for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clinrag.errors import ConfigError
from clinrag.protocols import Drafter, Embedder, Judge, Reader, Verifier
from clinrag.records import SearchResponse
from clinrag.settings import Settings
from ingest.chroma_store import ChromaServer
from ingest.index import IndexStore
from ingest.pipeline import IngestReport, ingest_paths
from rag.models import SentenceTransformerEmbedder
from rag.retrieval import HybridRetriever

if TYPE_CHECKING:  # the answer stack loads lazily (build_* below)
    from rag.answer import Answerer
    from rag.calibration import CalibrationSet

GENERATORS = ("extractive", "local", "api")


class App:
    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        reader: Reader | None = None,
        calibration: CalibrationSet | None = None,
        drafters: Mapping[str, Drafter] | None = None,
        store: IndexStore | None = None,
    ) -> None:
        self.settings = settings
        self._embedder = embedder
        self._reader = reader  # a passed reader, calibration and store are used as they are (not checked)
        self._calibration = calibration
        self._store = store
        self._drafters: dict[str, Drafter] = dict(drafters or {})  # by generator name; built ones join them

    @cached_property
    def embedder(self) -> Embedder:
        if self._embedder is not None:
            return self._embedder
        e = self.settings.embedding
        return SentenceTransformerEmbedder(e.package, e.batch_size, query_threads=e.query_threads)

    @cached_property
    def store(self) -> IndexStore:
        return self._store if self._store is not None else self.store_at(self.settings.index_dir)

    def store_at(self, root: Path) -> IndexStore:
        return IndexStore(root, self.settings.index_fingerprint(), self.settings.embedding.package,
                          lock_timeout_s=self.settings.ingest.lock_timeout_s,
                          embedding_fingerprint=self.settings.embedding_fingerprint(), server=chroma_server(self.settings))

    @cached_property
    def retriever(self) -> HybridRetriever:
        return HybridRetriever(self.store, self.embedder, self.settings.retrieval)

    def search(self, query: str, k: int | None = None, mode: str = "fused") -> SearchResponse:
        """Search in one of four modes: ``fused`` (BM25 + dense, RRF), ``bm25``, ``dense``, or ``reranked`` (the fused
        candidates reordered by the reader, as answers use them; results carry ``reader_score``)."""
        if mode != "reranked":
            return self.retriever.search(query, k=k, mode=mode)
        from dataclasses import replace as _replace

        from rag.answer import read_evidence

        response, results, _ = read_evidence(self.retriever, self.reader, self.settings, query)
        return _replace(response, results=results[: k or self.settings.retrieval.k])

    @cached_property
    def reader(self) -> Reader:
        return self._reader if self._reader is not None else build_reader(self.settings)

    @cached_property
    def calibration(self) -> CalibrationSet:
        """The fitted calibration for these settings; an error when it was fitted for other settings."""
        return self._calibration if self._calibration is not None else load_fitted_calibration(self.settings)

    @cached_property
    def judge(self) -> Judge | None:
        return build_judge(self.settings)

    @cached_property
    def verifier(self) -> Verifier:
        return build_verifier(self.reader, self.calibration, self.judge)

    def drafter(self, generator: str | None = None) -> Drafter:
        """The drafter named by ``generator`` (default: settings), built once per name."""
        name = generator or self.settings.generation.generator
        if name not in self._drafters:
            self._drafters[name] = build_drafter(name, self.settings, self.reader)
        return self._drafters[name]

    def answerer(self, generator: str | None = None) -> Answerer:
        from rag.answer import Answerer

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
        return Answerer(self.settings, self.retriever, self.reader, drafter, self.verifier, self.calibration, models, justifier,
                        trust=self.issuer_trust)

    def ray_embedding(self) -> Any:
        """The Ray engine of the ``ingest`` settings (``ingest.ray_engine.RayEmbedding``), embedding with this App's
        embedder (pickled to each actor; a SentenceTransformerEmbedder loads its model there, once per actor)."""
        from ingest.ray_engine import RayEmbedding

        i = self.settings.ingest
        embedder = self.embedder
        return RayEmbedding(lambda: embedder, address=i.ray_address, workers=i.ray_workers, batch_size=i.ray_batch_size)

    def issuer_trust(self) -> dict[str, str]:
        """The librarian's issuer marks (issuer_key -> ``trusted`` / ``untrusted``), read from the catalog for each
        answer, so a change made in the Library page or by ``clinrag library trust`` holds at once."""
        from ingest.library import Library

        return Library(self.store).trust_map() if hasattr(self.store, "issuer_trust") else {}

    def ingest(
        self,
        paths: list[Path],
        on_event: Callable[[str], None] = lambda _m: None,
        rebuild: bool = False,
        exclude_doc_ids: frozenset[str] = frozenset(),
        replace: bool = False,
        follow_symlinks: bool = False,
        *,
        metadata: Mapping[str, Mapping[str, Any]] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
        user: str = "",
        engine: Callable[[list[str]], Any] | None = None,
    ) -> IngestReport:
        """Ingest into the index. ``rebuild`` builds a new generation of the index beside the live one and swaps
        it in with one atomic step, only when something was ingested (the writer lock is held throughout).
        ``replace`` lets a file take over a doc_id another file holds; ``follow_symlinks`` reads linked files.
        ``metadata`` maps a file path to fields that replace the file's own (title, issuer, version, date, status,
        doc_id); ``on_progress(files_done, files_total, file)`` follows the batch (see ``ingest_paths``). ``user`` is
        named in the ingest log; ``engine`` embeds texts in place of the embedder (``ingest.ray_engine``)."""

        if engine is None and self.settings.ingest.engine == "ray":
            from ingest.ray_engine import texts_to_embed

            with self.ray_embedding() as ray_engine:
                ray_engine.prepare(texts_to_embed(paths, self.settings, self.store, follow_symlinks))
                return self.ingest(paths, on_event, rebuild, exclude_doc_ids, replace, follow_symlinks, metadata=metadata,
                                   on_progress=on_progress, user=user, engine=ray_engine)

        def run(store: IndexStore) -> IngestReport:
            return ingest_paths(
                paths, self.settings, self.embedder, store, on_event, exclude_doc_ids,
                replace=replace, follow_symlinks=follow_symlinks, metadata=metadata, on_progress=on_progress,
                user=user, engine=engine,
            )

        if not rebuild:
            return run(self.store)
        return self.store.rebuild(run, keep=lambda report: bool(report.added))

    def sync(
        self,
        folder: Path,
        on_event: Callable[[str], None] = lambda _m: None,
        *,
        user: str = "",
        follow_symlinks: bool = False,
        on_progress: Callable[[int, int, str], None] | None = None,
        engine: Callable[[list[str]], Any] | None = None,
    ) -> IngestReport:
        """Make the index match ``folder`` (``ingest.sync``): new and changed files ingested, unchanged skipped,
        documents whose file left the folder removed; documents of other chunking settings re-processed."""
        from ingest.sync import sync_folder

        if engine is None and self.settings.ingest.engine == "ray":
            from ingest.ray_engine import texts_to_embed

            with self.ray_embedding() as ray_engine:
                ray_engine.prepare(texts_to_embed([folder], self.settings, self.store, follow_symlinks))
                return self.sync(folder, on_event, user=user, follow_symlinks=follow_symlinks, on_progress=on_progress,
                                 engine=ray_engine)
        return sync_folder(folder, self.settings, self.embedder, self.store, on_event, user=user,
                           follow_symlinks=follow_symlinks, on_progress=on_progress, engine=engine)


# ------------------------------------------------------------------------------------------ factories
def chroma_server(settings: Settings) -> ChromaServer | None:
    """The Chroma server of the setting ``vectors`` (mode server), or None for the embedded store."""
    v = settings.vectors
    if v.mode != "server":
        return None
    return ChromaServer(v.host, v.port, v.ssl, v.auth_header, v.auth_token.get_secret_value(), v.collection_prefix)


# Each builds one part from settings, importing the answer stack only when called.
def build_reader(settings: Settings) -> Reader:
    from rag.reader import CrossEncoderReader

    r = settings.reader
    return CrossEncoderReader(r.weights_dir, r.sha256, settings.generation.n_threads, r.batch_size, r.quantize)


def load_fitted_calibration(settings: Settings) -> CalibrationSet:
    """The shipped calibration, refused when it was fitted for other settings."""
    from clinrag.errors import CalibrationError
    from rag.calibration import calibration_tag, load_calibration

    calibration = load_calibration()
    tag = calibration_tag(settings)
    if calibration.fingerprint != tag:
        raise CalibrationError(
            f"the calibration in {calibration.source} was fitted for settings {calibration.fingerprint}, but the active "
            f"settings are {tag} (a retrieval, chunking, embedder or reader setting differs from the fitted one); "
            "undo the change or refit with `.venv/bin/python scripts/fit_calibration.py`"
        )
    return calibration


def build_judge(settings: Settings) -> Judge | None:
    """The LLM support judge of ``generation.judge_model``; None for 'none' (the model-free checks only)."""
    model = settings.generation.judge_model
    if model == "none":
        return None
    from rag.backends.llama import LlamaJudge

    return LlamaJudge(model, settings.generation, settings.model_cache_dir)


def build_verifier(reader: Reader, calibration: CalibrationSet, judge: Judge | None) -> Verifier:
    from rag.verify import Verifier as SupportVerifier

    return SupportVerifier(reader, calibration.get("support_judge" if judge is not None else "support"), judge)


def build_drafter(name: str, settings: Settings, reader: Reader) -> Drafter:
    """The drafter of one generator name: extractive (the reader picks sentences), local (llama.cpp) or api."""
    from rag.backends.llama import LlamaGenerator
    from rag.backends.openai_http import OpenAICompatibleGenerator
    from rag.drafting.extractive import ExtractiveDrafter
    from rag.drafting.llm import LLMDrafter

    g = settings.generation
    if name == "extractive":
        return ExtractiveDrafter(reader, g, population_weight=settings.reader.population_weight)
    if name == "local":
        return LLMDrafter(LlamaGenerator(g.local_model, g, settings.model_cache_dir), g)
    if name == "api":
        return LLMDrafter(OpenAICompatibleGenerator(g, api_key=settings.api_key.get_secret_value()), g)
    raise ConfigError(f"unknown generator {name!r}; choose one of {', '.join(GENERATORS)} (settings generation.generator)")
