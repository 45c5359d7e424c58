"""The llama.cpp backend: a GGUF model in this process, for drafting (``LlamaGenerator``) and for judging support
(``LlamaJudge``).

A ``Llama`` holds one context: two calls at once would interleave their tokens and corrupt both. The generator
and the judge of one model share one instance, so the instance and the one lock that serialises every call to it
belong to one ``LlamaBackend``, shared by every client with the same load parameters (``LlamaBackend.shared``).
"""

from __future__ import annotations

import math
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from clinrag.records import GenerationRequest
from clinrag.settings import GenerationSettings
from rag import prompts

# load parameters (model, n_ctx, n_threads, seed, cache_dir) -> the one backend of that llama.cpp instance
_SHARED: dict[tuple[str, int, int, int, Path | None], LlamaBackend] = {}
_SHARED_LOCK = threading.Lock()


class LlamaBackend:
    """One llama.cpp instance, loaded on first use (``rag.models.load_llama``), and the one lock held for every use
    of it, loading included."""

    def __init__(self, model: str, n_ctx: int, n_threads: int, seed: int, cache_dir: Path | None = None) -> None:
        self.model = model
        self.load_parameters = (model, n_ctx, n_threads, seed, cache_dir)
        self.lock = threading.Lock()
        self._llama: Any = None

    @classmethod
    def shared(cls, model: str, settings: GenerationSettings, cache_dir: Path | None = None) -> LlamaBackend:
        """The backend of these load parameters, made once per process: every client of one instance gets one lock."""
        key = (model, settings.n_ctx, settings.n_threads, settings.seed, cache_dir)
        with _SHARED_LOCK:
            backend = _SHARED.get(key)
            if backend is None:
                backend = _SHARED[key] = cls(*key)
        return backend

    @contextmanager
    def session(self) -> Iterator[Any]:
        """The model, reset, with the lock held until the caller is done with it."""
        with self.lock:
            if self._llama is None:
                from rag.models import load_llama

                self._llama = load_llama(*self.load_parameters)
            self._llama.reset()
            yield self._llama

    def chat(self, request: GenerationRequest) -> str:
        """The greedy chat completion of ``request`` with its seed."""
        with self.session() as llama:
            out = llama.create_chat_completion(messages=_messages(request), temperature=0.0, top_k=1,
                                               seed=request.seed, max_tokens=request.max_tokens)
        return out["choices"][0]["message"]["content"] or ""

    def chat_stream(self, request: GenerationRequest) -> Iterator[str]:
        """The same completion, piece by piece as the model writes it (the lock is held until the last piece)."""
        with self.session() as llama:
            chunks = llama.create_chat_completion(messages=_messages(request), temperature=0.0, top_k=1,
                                                  seed=request.seed, max_tokens=request.max_tokens, stream=True)
            for chunk in chunks:
                piece = chunk["choices"][0].get("delta", {}).get("content")
                if piece:
                    yield piece


def _messages(request: GenerationRequest) -> list[dict[str, str]]:
    return [{"role": "system", "content": request.system}, {"role": "user", "content": request.user}]


class _LlamaClient:
    """What the generator and the judge share: the model's name and its one backend."""

    kind = ""

    def __init__(self, model: str, settings: GenerationSettings, cache_dir: Path | None = None) -> None:
        self.model = model
        self.settings = settings
        self.cache_dir = cache_dir
        self.name = f"{self.kind}:{model}"
        self.backend = LlamaBackend.shared(model, settings, cache_dir)


class LlamaGenerator(_LlamaClient):
    """A GGUF model through llama-cpp-python; greedy decoding with a fixed seed."""

    kind = "local"

    def complete(self, request: GenerationRequest) -> str:
        return self.backend.chat(request)

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        """The same greedy completion, piece by piece as the model writes it."""
        return self.backend.chat_stream(request)


class LlamaJudge(_LlamaClient):
    """P(yes) from the first-token logits of a yes/no support question to the local model."""

    kind = "judge"

    def support_probability(self, claim: str, passage: str) -> float:
        prompt = (
            f"<|im_start|>system\n{prompts.JUDGE_SYSTEM}<|im_end|>\n<|im_start|>user\n"
            f"{prompts.JUDGE_USER.format(passage=prompts.defuse(passage[:1500]), claim=claim)}<|im_end|>\n<|im_start|>assistant\n"
        )
        with self.backend.session() as llama:
            ids = llama.tokenize(prompt.encode(), add_bos=False, special=True)
            llama.eval(ids)
            # logits of the last evaluated token (llama-cpp-python 0.3.x keeps no score rows without logits_all)
            logits = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(llama.n_vocab(),)).astype(np.float64)
            yes = [t for w in ("yes", "Yes", " yes", " Yes") for t in llama.tokenize(w.encode(), add_bos=False)[:1]]
            no = [t for w in ("no", "No", " no", " No") for t in llama.tokenize(w.encode(), add_bos=False)[:1]]
        top = logits.max()
        p_yes = sum(math.exp(logits[t] - top) for t in set(yes))
        p_no = sum(math.exp(logits[t] - top) for t in set(no))
        return p_yes / (p_yes + p_no) if p_yes + p_no > 0 else 0.5
