"""The local-LLM and API paths with real small GGUF models through llama-cpp-python (markers: model, llm)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest

from clinrag.settings import load_settings
from composition.app import App
from rag.backends.llama import LlamaJudge
from rag.models import gguf_path

pytestmark = [pytest.mark.model, pytest.mark.llm]


def _app(demo_app, **generation) -> App:
    """The demo index with other generation settings; evidence_chunks stays as fitted (it is in the calibration tag)."""
    settings = demo_app.settings.model_copy(
        update={"generation": demo_app.settings.generation.model_copy(update=generation)}
    )
    return App(settings, embedder=demo_app.embedder)


def test_local_generator_answers_with_verified_citations_deterministically(demo_app):
    app = _app(demo_app, local_model="qwen2.5-coder-1.5b", max_tokens=160)  # the default local model
    question = "What nitrofurantoin regimen treats acute uncomplicated cystitis in women?"
    first = app.answerer("local").ask(question)
    second = app.answerer("local").ask(question)
    assert first.generator == "local:qwen2.5-coder-1.5b"
    strip = lambda r: {k: v for k, v in r.to_dict().items() if k != "timings_s"}
    assert strip(first) == strip(second)
    assert first.decision == "answer", first.refusal_reason
    assert "draft" in first.timings_s  # the model wrote the draft; the gate did not refuse before it
    threshold = app.settings.policy.min_sentence_support
    for s in first.sentences:  # supported by the reader, or a whole sentence of the cited passage word for word
        assert s.citations and (s.support >= threshold or any(c.get("quoted") for c in s.checks["per_chunk"].values())), s
    assert "5" in first.answer and "nitrofurantoin" in first.answer.lower()  # 100 mg twice daily for 5 days


def test_llm_judge_separates_supported_from_swapped_claims():
    judge = LlamaJudge("qwen2.5-coder-1.5b", load_settings().generation)
    passage = "For adults with possible septic shock, antimicrobials should be given immediately, ideally within 1 hour."
    supported = judge.support_probability("Antimicrobials should be given within 1 hour in possible septic shock.", passage)
    swapped = judge.support_probability("Antimicrobials should be withheld for 24 hours in possible septic shock.", passage)
    assert supported > 0.6 > swapped


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def loopback_server():
    """A real OpenAI-compatible server (llama_cpp.server) on 127.0.0.1 with the SmolLM2 model."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf_path("smollm2-135m")), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "4096", "--model_alias", "smollm2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(240):
            try:
                if httpx.get(f"{base}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                pytest.fail("llama_cpp.server exited during start-up")
            time.sleep(0.5)
        else:
            pytest.fail("llama_cpp.server did not start within 120 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_api_generator_against_a_real_local_server(demo_app, loopback_server):
    app = _app(demo_app, api_base_url=loopback_server, api_model="smollm2", max_tokens=60)
    record = app.answerer("api").ask("What is the first-line amoxicillin dose for outpatient community-acquired pneumonia?")
    assert record.generator.startswith("api:smollm2@http://127.0.0.1")
    assert "draft" in record.timings_s  # the server was asked: the evidence passed the gate
    # SmolLM2 (135M, greedy) is the weak drafter here on purpose: its draft for this question is not supported by
    # the cited passages, so verification drops every sentence and the answer path refuses rather than passing it on
    # (measured: the same refusal on every run). The answering side of the api path is covered with a mock
    # transport in tests/test_api_generator.py.
    assert (record.decision, record.refusal_code) == ("refuse", "evidence_does_not_support"), record.to_dict()
    assert record.sentences == [] and record.answer == ""
