"""The OpenAI-compatible HTTP backend: a ``Generator`` that posts chat completions to a configured endpoint, with
the question redacted, retries with backoff, and errors that say what failed and how to fix it."""

from __future__ import annotations

from clinrag.errors import GenerationError
from clinrag.records import GenerationRequest
from clinrag.settings import GenerationSettings


class OpenAICompatibleGenerator:
    """Any OpenAI-compatible chat-completions endpoint.

    Before anything is sent, identifiers in the question are redacted (``clinrag.privacy``); the guideline passages in the
    prompt are sent as they are. Failures are retried with exponential backoff (429, 5xx, timeouts, refused
    connections; ``generation.api_max_attempts`` in all, first wait ``generation.api_backoff_s``). A plain ``http://`` URL is refused unless it points at this machine
    (loopback) or ``generation.api_allow_insecure`` (or ``CLINRAG_ALLOW_INSECURE_API=1``) allows it. The API key (``CLINRAG_API_KEY``) never appears in an error, a
    name or a repr.
    """

    BACKOFF_MAX_S = 8.0
    ALLOW_INSECURE_ENV = "CLINRAG_ALLOW_INSECURE_API"
    RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})

    def __init__(self, settings: GenerationSettings, transport=None, sleep=None, api_key: str = "") -> None:
        import time

        import httpx

        if not settings.api_base_url:
            raise GenerationError(
                "the api generator needs a base URL: set CLINRAG_GENERATION__API_BASE_URL (e.g. http://127.0.0.1:8001/v1)"
            )
        self.settings = settings
        self.MAX_ATTEMPTS = settings.api_max_attempts
        self.BACKOFF_S = settings.api_backoff_s
        allow_insecure = settings.api_allow_insecure  # CLINRAG_ALLOW_INSECURE_API=1 is mapped onto it by clinrag.settings
        self.endpoint = self._check_base_url(settings.api_base_url, allow_insecure)
        self.name = f"api:{settings.api_model or 'default'}@{self.endpoint}"
        self._key = api_key  # the secret setting api_key (CLINRAG_API_KEY), passed by the App
        self._transport = transport  # tests inject httpx.MockTransport
        self._sleep = sleep or time.sleep
        self._url = settings.api_base_url.rstrip("/") + "/chat/completions"
        self._httpx = httpx

    def __repr__(self) -> str:
        model = self.settings.api_model or "default"
        return f"OpenAICompatibleGenerator(endpoint={self.endpoint!r}, model={model!r}, key={'set' if self._key else 'none'})"

    def body(self, request: GenerationRequest) -> dict:
        """The JSON body sent: the question's identifiers redacted, the passages untouched."""
        return {
            "model": self.settings.api_model or "default",
            "messages": [
                {"role": "system", "content": request.system},
                {"role": "user", "content": self.redact_question_in_prompt(request.user, request.question)},
            ],
            "temperature": 0.0,
            "seed": request.seed,
            "max_tokens": request.max_tokens,
        }

    def complete(self, request: GenerationRequest) -> str:
        httpx = self._httpx
        headers = {"Content-Type": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        body = self.body(request)
        timeout = self.settings.api_timeout_s
        problem, fix, status = "", "", None
        with httpx.Client(transport=self._transport, timeout=timeout) as client:
            for attempt in range(1, self.MAX_ATTEMPTS + 1):
                delay = min(self.BACKOFF_S * 2 ** (attempt - 1), self.BACKOFF_MAX_S)
                try:
                    response = client.post(self._url, json=body, headers=headers)
                except httpx.TimeoutException:
                    problem = f"no reply within {timeout:g} s (timeout)"
                    fix = "check that the server is running and not overloaded, or raise generation.api_timeout_s"
                    status = None
                except httpx.TransportError as exc:
                    problem = f"could not connect ({type(exc).__name__})"
                    fix = "check that the server is running and that the base URL (host, port, /v1) is right"
                    status = None
                else:
                    status = response.status_code
                    if status == 200:
                        return self._content(response)
                    problem, fix = self._http_problem(response)
                    if status not in self.RETRY_STATUS:
                        raise self._error(problem, fix, status, attempt)
                    delay = self._retry_after(response, delay)
                if attempt < self.MAX_ATTEMPTS:
                    self._sleep(delay)
        raise self._error(problem, fix, status, self.MAX_ATTEMPTS)

    def _content(self, response) -> str:
        try:
            return response.json()["choices"][0]["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise self._error(
                f"HTTP 200 but the reply is not a chat completion ({type(exc).__name__}: {self._excerpt(response.text)})",
                "check that the base URL is an OpenAI-compatible /v1 endpoint", 200, 1,
            ) from None

    def _error(self, problem: str, fix: str, status: int | None, attempts: int):
        from clinrag.errors import APIEndpointError

        if self._key:
            problem = problem.replace(self._key, "***")
        return APIEndpointError(self.endpoint, problem, fix, status=status, attempts=attempts)

    @staticmethod
    def redact_question_in_prompt(user: str, question: str | None) -> str:
        """The prompt with the question's identifiers redacted and nothing else changed. The question is the last
        occurrence of ``question`` in ``user`` (the template puts it after the passages); when it is not given or not
        found, the whole prompt is redacted, since nothing tells where the patient's words are."""
        from clinrag.privacy import redact_text

        if question is None or question not in user:
            return redact_text(user).text
        head, _, tail = user.rpartition(question)
        return head + redact_text(question).text + tail

    @staticmethod
    def _check_base_url(url: str, allow_insecure: bool) -> str:
        """The endpoint as shown in names and errors (no user or password); refuses http:// to a non-loopback host."""
        import ipaddress
        from urllib.parse import urlsplit

        from clinrag.errors import ConfigError, InsecureEndpointError

        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ConfigError(
                f"the API base URL must be http(s)://host[:port]/v1, found {url!r}; set CLINRAG_GENERATION__API_BASE_URL"
            )
        shown = f"{parts.scheme}://{parts.hostname if ':' not in parts.hostname else f'[{parts.hostname}]'}" + (
            f":{parts.port}" if parts.port else "") + parts.path.rstrip("/")
        host = parts.hostname
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost" or host.endswith(".localhost")
        if parts.scheme == "http" and not loopback and not allow_insecure:
            raise InsecureEndpointError(
                f"the API base URL {shown} uses plain http:// to a host other than this machine, so questions would cross "
                f"the network unencrypted; use https://, or a loopback address (127.0.0.1, ::1, localhost), or set "
                f"{OpenAICompatibleGenerator.ALLOW_INSECURE_ENV}=1 if the network is trusted"
            )
        return shown

    @staticmethod
    def _http_problem(response) -> tuple[str, str]:
        status = response.status_code
        problem = f"HTTP {status} ({OpenAICompatibleGenerator._excerpt(response.text)})"
        if status in {401, 403}:
            return problem, "check CLINRAG_API_KEY (the key is sent as a Bearer token)"
        if status == 404:
            return problem, "check that the base URL ends with /v1 and that generation.api_model names a served model"
        if status == 429:
            return problem, "the endpoint is rate limiting: wait, or lower the request rate"
        if status >= 500:
            return problem, "the server failed: check its log, then try again"
        return problem, "the endpoint rejected the request: check generation.api_model and max_tokens"

    @staticmethod
    def _retry_after(response, default: float) -> float:
        """Seconds from a Retry-After header (capped), else the backoff delay."""
        try:
            return min(max(float(response.headers.get("retry-after", "")), 0.0), OpenAICompatibleGenerator.BACKOFF_MAX_S)
        except ValueError:
            return default

    @staticmethod
    def _excerpt(text: str, limit: int = 160) -> str:
        text = " ".join((text or "").split())
        return (text[:limit] + "...") if len(text) > limit else (text or "empty body")
