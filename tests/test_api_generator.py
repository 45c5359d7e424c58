"""The OpenAI-compatible API generator against httpx.MockTransport: what is sent (the question redacted, the
passages untouched), retries with backoff, bounded attempts, error messages, plain-http refusal, key hygiene."""

from __future__ import annotations

import json

import httpx
import pytest

from clinrag.errors import APIEndpointError, ConfigError, InsecureEndpointError
from clinrag.records import GenerationRequest, SearchResult
from clinrag.settings import GenerationSettings
from rag.backends.openai_http import OpenAICompatibleGenerator
from rag.drafting.llm import LLMDrafter

KEY = "sk-test-9f8e7d6c5b4a"
REPLY = {"choices": [{"message": {"role": "assistant", "content": "Give 50000IU weekly [1]."}}]}


def _settings(url: str = "https://api.example.com/v1", **kw) -> GenerationSettings:
    return GenerationSettings(api_base_url=url, api_model="m1", **kw)


def _generator(handler, url: str = "https://api.example.com/v1", sleeps=None, api_key: str = KEY, **settings):
    sleeps = [] if sleeps is None else sleeps
    return OpenAICompatibleGenerator(
        _settings(url, **settings), transport=httpx.MockTransport(handler), sleep=sleeps.append, api_key=api_key
    )


def _request(user: str = "Question: what dose?", question: str | None = "what dose?") -> GenerationRequest:
    return GenerationRequest("system prompt", user, 64, 7, question=question)


def _result(n: int, text: str) -> SearchResult:
    return SearchResult(f"doc-{n}#c0", f"doc-{n}", f"Guideline {n}", "Dosing", 1, 1, 0, len(text), text, 1.0, 1, 1,
                        version="2024")


def test_the_request_carries_model_prompt_and_bearer_key():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=REPLY)

    generator = _generator(handler)
    assert generator.complete(_request()) == "Give 50000IU weekly [1]."
    (request,) = seen
    assert request.method == "POST" and str(request.url) == "https://api.example.com/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.content)
    assert body["model"] == "m1" and body["temperature"] == 0.0 and body["seed"] == 7 and body["max_tokens"] == 64
    assert body["messages"] == [{"role": "system", "content": "system prompt"},
                                {"role": "user", "content": "Question: what dose?"}]


def test_only_the_question_is_redacted_and_the_passages_are_sent_untouched():
    passages = [
        "Record 50000IU doses of vitamin D given weekly for 8 weeks in the chart.",
        "Dr. Smith's regimen: call the poison centre at 800-222-1222 on 03/14/2021 if an overdose is suspected.",
    ]
    sent = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.content.decode())
        return httpx.Response(200, json=REPLY)

    drafter = LLMDrafter(_generator(handler), GenerationSettings(api_base_url="https://api.example.com/v1"))
    question = ("Patient Maria Garcia (MRN 00482913, DOB 03/14/1950, phone 617-555-0142) lives at 12 Cedar Lane, "
                "Springfield. What vitamin D dose should she get?")
    drafter.draft(question, [_result(1, passages[0]), _result(2, passages[1])])
    (body,) = sent
    user = json.loads(body)["messages"][1]["content"]
    for passage in passages:
        assert passage in user  # guideline text is data, never redacted
    for identifier in ("Maria", "Garcia", "00482913", "03/14/1950", "617-555-0142", "Cedar Lane", "Springfield"):
        assert identifier not in body
    assert "Patient [NAME] (MRN [MRN], DOB [DATE]/1950, phone [PHONE]) lives at [LOCATION], [LOCATION]." in user
    assert "What vitamin D dose should she get?" in user


def test_a_request_without_a_question_field_is_redacted_whole():
    prompt = "Patient John Smith asks: is 50000IU weekly safe?"
    assert OpenAICompatibleGenerator.redact_question_in_prompt(prompt, None) == "Patient [NAME] asks: is 50000IU weekly safe?"
    assert OpenAICompatibleGenerator.redact_question_in_prompt(prompt, "not in the prompt") == "Patient [NAME] asks: is 50000IU weekly safe?"


def test_rate_limits_and_server_errors_are_retried_with_exponential_backoff():
    replies = iter([httpx.Response(429, text="slow down"), httpx.Response(503, text="busy"), httpx.Response(200, json=REPLY)])
    sleeps: list[float] = []
    generator = _generator(lambda request: next(replies), sleeps=sleeps)
    assert generator.complete(_request()) == "Give 50000IU weekly [1]."
    assert sleeps == [0.5, 1.0]


def test_retry_after_is_honoured_and_capped():
    replies = iter([httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(429, headers={"Retry-After": "600"}),
                    httpx.Response(200, json=REPLY)])
    sleeps: list[float] = []
    _generator(lambda request: next(replies), sleeps=sleeps).complete(_request())
    assert sleeps == [3.0, OpenAICompatibleGenerator.BACKOFF_MAX_S]


def test_attempts_are_bounded_and_the_error_names_endpoint_status_and_fix():
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(500, text="internal error")

    sleeps: list[float] = []
    with pytest.raises(APIEndpointError) as caught:
        _generator(handler, sleeps=sleeps).complete(_request())
    assert len(calls) == GenerationSettings().api_max_attempts == 4
    assert sleeps == [0.5, 1.0, 2.0]
    message = str(caught.value)
    assert "https://api.example.com/v1" in message and "HTTP 500" in message and "after 4 attempts" in message
    assert "check its log" in message
    assert caught.value.status == 500 and caught.value.attempts == 4


def test_timeouts_and_refused_connections_are_retried_then_reported():
    def timeout(request):
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(APIEndpointError, match=r"no reply within 120 s \(timeout\) after 4 attempts; check that the server"):
        _generator(timeout).complete(_request())

    outcomes = iter([httpx.ConnectError("refused"), httpx.Response(200, json=REPLY)])

    def flaky(request):
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert _generator(flaky).complete(_request()) == "Give 50000IU weekly [1]."


def test_client_errors_are_not_retried_and_the_key_never_appears():
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(401, text=f"invalid api key {KEY}")

    generator = _generator(handler)
    with pytest.raises(APIEndpointError) as caught:
        generator.complete(_request())
    assert len(calls) == 1
    message = str(caught.value)
    assert "HTTP 401" in message and "CLINRAG_API_KEY" in message and KEY not in message and "***" in message
    assert KEY not in repr(generator) and KEY not in generator.name and "key=set" in repr(generator)


def test_a_reply_that_is_not_a_chat_completion_is_an_error():
    with pytest.raises(APIEndpointError, match="not a chat completion"):
        _generator(lambda request: httpx.Response(200, text="<html>login</html>")).complete(_request())
    with pytest.raises(APIEndpointError, match="HTTP 404.*ends with /v1"):
        _generator(lambda request: httpx.Response(404, text="not found")).complete(_request())


def test_plain_http_is_refused_off_loopback_unless_allowed():
    handler = lambda request: httpx.Response(200, json=REPLY)  # noqa: E731
    with pytest.raises(InsecureEndpointError, match=r"http://10\.1\.2\.3:8000/v1 uses plain http.*CLINRAG_ALLOW_INSECURE_API=1"):
        _generator(handler, url="http://10.1.2.3:8000/v1")
    with pytest.raises(InsecureEndpointError):
        _generator(handler, url="http://llm.internal.example/v1")
    assert _generator(handler, url="http://10.1.2.3:8000/v1", api_allow_insecure=True).complete(_request())
    for url in ("http://127.0.0.1:8001/v1", "http://localhost:8001/v1", "http://[::1]:8001/v1", "https://api.example.com/v1"):
        assert _generator(handler, url=url).complete(_request())
    with pytest.raises(ConfigError, match="must be http"):
        _generator(handler, url="ftp://example.com/v1")


def test_credentials_in_the_base_url_are_not_shown():
    generator = _generator(lambda request: httpx.Response(200, json=REPLY), url="https://user:hunter2@api.example.com/v1")
    assert "hunter2" not in generator.name and "hunter2" not in repr(generator)
    assert generator.name == "api:m1@https://api.example.com/v1"


def test_the_older_variables_reach_the_generator_through_settings(monkeypatch):
    from clinrag.settings import load_settings

    monkeypatch.setenv("CLINRAG_ALLOW_INSECURE_API", "1")
    monkeypatch.setenv("CLINRAG_API_KEY", KEY)
    settings = load_settings(generation={"api_base_url": "http://10.1.2.3:8000/v1", "api_model": "m1"})
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=REPLY)

    generator = OpenAICompatibleGenerator(settings.generation, transport=httpx.MockTransport(handler),
                                          api_key=settings.api_key.get_secret_value())
    assert generator.complete(_request()) and seen[0].headers["authorization"] == f"Bearer {KEY}"
