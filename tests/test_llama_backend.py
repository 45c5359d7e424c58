"""One lock per llama.cpp instance (issue 17): the generator and the judge of one model share one ``Llama``, so they
must share the one lock that guards it (they held a lock each, so a judge call could run inside a generation).

A fake ``Llama`` records, at every call, which of the backends' locks are held; no model, no threads, no timing."""

from __future__ import annotations

import ctypes

import pytest

from clinrag.records import GenerationRequest
from clinrag.settings import GenerationSettings
from rag.backends import llama as backend_module
from rag.backends.llama import LlamaBackend, LlamaGenerator, LlamaJudge

REQUEST = GenerationRequest("system", "user", 16, 0)


class FakeLlama:
    def __init__(self, key, seen):
        self.key, self.seen = key, seen

    def _record(self, what):
        held = [b.lock for b in backend_module._SHARED.values() if b.lock.locked()]
        self.seen.append((id(self), what, held))

    def reset(self):
        self._record("reset")

    def create_chat_completion(self, messages, stream=False, **kwargs):
        self._record("chat")
        if stream:
            return iter([{"choices": [{"delta": {"content": "a"}}]}, {"choices": [{"delta": {"content": "b"}}]}])
        return {"choices": [{"message": {"content": "done"}}]}

    def tokenize(self, data, add_bos=False, special=False):
        self._record("tokenize")
        return list(data[:1])

    def eval(self, ids):
        self._record("eval")

    def n_vocab(self):
        return 256

    @property
    def _ctx(self):
        logits = (ctypes.c_float * 256)(*[0.0] * 256)
        logits[ord("y")] = 2.0
        self._logits = logits  # keep the buffer alive while numpy reads it
        return type("Ctx", (), {"get_logits": lambda _self: ctypes.cast(logits, ctypes.POINTER(ctypes.c_float))})()


@pytest.fixture
def loads(monkeypatch):
    """Fresh backends, and a fake ``rag.models.load_llama`` that makes one FakeLlama per load parameters (as its
    lru_cache does) and counts the loads."""
    monkeypatch.setattr(backend_module, "_SHARED", {})
    made: dict[tuple, FakeLlama] = {}
    seen: list = []
    calls: list[tuple] = []

    def fake_load(*key):
        calls.append(key)
        return made.setdefault(key, FakeLlama(key, seen))

    monkeypatch.setattr("rag.models.load_llama", fake_load)
    return made, seen, calls


def test_the_generator_and_the_judge_of_one_model_share_one_backend_and_one_lock(loads):
    made, seen, calls = loads
    g = GenerationSettings()
    generator, judge = LlamaGenerator("m", g), LlamaJudge("m", g)
    assert generator.backend is judge.backend
    assert generator.name == "local:m" and judge.name == "judge:m"

    assert generator.complete(REQUEST) == "done"
    assert "".join(generator.stream(REQUEST)) == "ab"
    assert 0.5 < judge.support_probability("claim", "passage") <= 1.0
    assert len(calls) == 1  # loaded once, by the backend, not by each client

    (instance,) = made.values()
    locks_per_instance: dict[int, set[int]] = {}
    for who, what, held in seen:
        assert len(held) == 1, f"{what} ran with {len(held)} locks held, expected exactly the backend's one"
        locks_per_instance.setdefault(who, set()).add(id(held[0]))
    assert locks_per_instance == {id(instance): {id(generator.backend.lock)}}
    assert not generator.backend.lock.locked()  # released after each call, the stream's too


def test_another_model_or_setting_gets_its_own_backend_and_lock(loads):
    g = GenerationSettings()
    first = LlamaGenerator("m", g).backend
    assert LlamaJudge("other", g).backend is not first
    assert LlamaGenerator("m", g.model_copy(update={"n_ctx": g.n_ctx * 2})).backend is not first
    assert LlamaBackend.shared("m", g) is first
    assert len({id(b.lock) for b in backend_module._SHARED.values()}) == len(backend_module._SHARED) == 3


def test_a_stream_holds_the_lock_until_its_last_piece(loads):
    g = GenerationSettings()
    generator = LlamaGenerator("m", g)
    pieces = generator.stream(REQUEST)
    assert not generator.backend.lock.locked()  # nothing runs before the first piece is asked for
    assert next(pieces) == "a"
    assert generator.backend.lock.locked()
    assert list(pieces) == ["b"]
    assert not generator.backend.lock.locked()
