"""Answer drafters: ``extractive`` (no LLM), ``local`` (llama.cpp) and ``api`` (OpenAI-compatible endpoint).

A drafter turns a question and numbered evidence into a draft answer whose sentences carry [n] markers.
LLM drafters go through the ``Generator`` seam, so tests can script the model.
"""

from __future__ import annotations

import math
import re
import threading
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from clinrag.errors import GenerationError
from clinrag.protocols import Generator, Reader
from clinrag.records import Draft, GenerationRequest, SearchResult
from clinrag.settings import GenerationSettings
from clinrag.text import content_terms, split_sentences
from rag import prompts
from rag.population import Population, population_fit, read_population
from rag.recommendation import parse_recommendation
from rag.rerank import logit

# a recommendation sentence is preferred (logit scale) when the question asks what is recommended or its grade
RECOMMENDATION_BONUS = 1.0

_AUX = (
    r"(?:is|are|am|does|do|did|should|can|could|may|might|must|will|would|has|have|had|was|were|shall|"
    r"isn't|aren't|doesn't|don't|shouldn't|can't|won't|wouldn't)"
)
_YESNO_CLAUSE = re.compile(rf"^{_AUX}\b", re.I)
_WH_START = re.compile(r"^(?:what|which|when|where|why|who|whom|whose|how)\b", re.I)


_AUX_WORDS = ("should", "could", "would", "does", "have", "were", "shall", "might", "must")


def _fix_auxiliary_typos(question: str) -> str:
    """'Shoud I test ...' -> 'should I test ...': a first word one edit away from a long auxiliary verb."""
    match = re.match(r"([A-Za-z]{4,7})\b", question)
    if not match or match.group(1).lower() in _AUX_WORDS:
        return question
    word = match.group(1).lower()
    if word.startswith(("wh", "th")) or word in {"dose", "doses", "hove", "hive", "wore", "mist", "most", "must", "shale", "world", "would"}:
        return question
    for aux in _AUX_WORDS:
        if abs(len(aux) - len(word)) <= 1 and _edit_distance(word, aux) == 1:
            return aux + question[match.end():]
    return question


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def is_yes_no_question(question: str) -> bool:
    """Whether the question asks for yes or no: its asking sentence (the last one ending in '?', else the last),
    or a clause of it after a comma, colon or semicolon, starts with an auxiliary verb ("My dad is 70, does he
    still need ...?"); a question opening with a wh-word is not one ("How often should ...?")."""
    question = _fix_auxiliary_typos(question.strip())
    if re.search(r"\byes or no\b", question, re.I) or (
        _YESNO_CLAUSE.match(question) and (question.endswith("?") or not re.search(r"[.!?]\s+\S", question))
    ):
        return True
    parts = [p.strip() for p in re.split(r"(?<=[.?!])\s+", question) if p.strip()]
    if not parts:
        return False
    asking = [p for p in parts if p.endswith("?")] or [parts[-1]]
    for sentence in asking[-2:]:
        clauses = [c.strip() for c in re.split(r"[,;:]\s*|\b(?:and|but|so|then|or)\s+(?=" + _AUX + r"\b)", sentence)]
        if _WH_START.match(sentence) and (len(clauses) == 1 or not re.match(r"(?:when|where|why)\b", sentence, re.I)):
            continue  # "How often should ...?"; but "When starting X, does Y ...?" asks yes or no
        if any(_YESNO_CLAUSE.match(c) for c in clauses if c):
            return True
    return False




_RECOMMENDATION_ASK = re.compile(
    r"\b(?:recommend\w*|suggest\w*|advis\w*|endorse\w*|support\w*|favou?r\w*|grade|should|need|needs|offer\w*|screen\w*|"
    r"tested|test|checked|get|take|taking|use|start|give|receive|prescrib\w*|worth\w*|supposed to|okay|ok to|acceptable|"
    r"cover\w*|conclude\w*|routine\w*|indicated|appropriate|say about|position)\b",
    re.I,
)


QUANTITY_BONUS = 1.0  # a sentence that states a number, for a question that asks for one
_QUANTITY_ASK = re.compile(
    r"\b(?:how (?:many|much|often|long|frequently|large|big|soon|high|low|old)|at what (?:age|dose|level|interval|point)|"
    r"what (?:[\w-]+\s+){0,3}(?:dose|dosage|level|range|threshold|cut-?off|target|interval|percentage|duration|age|amount|"
    r"number|value|frequency|concentration|rate)s?\b|for how long|within how)", re.I)
_UNIT_AFTER = re.compile(r"\bhow (?:many|much)\s+(?:\w+\s+)?([a-z]+)", re.I)
_NUMBER = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
                     r"half|once|twice|daily|weekly|monthly|annual(?:ly)?|yearly)\b", re.I)


def asks_for_quantity(question: str) -> bool:
    """Whether the question asks for a number: a dose, an interval, a level, a duration, an age."""
    return bool(_QUANTITY_ASK.search(question))


def quantity_term(question: str, sentence: str) -> float:
    """``QUANTITY_BONUS`` for a sentence that states a number when the question asks for one, half as much again
    when it names the unit asked about ("how many days" -> "days"); 0 otherwise."""
    if not asks_for_quantity(question) or not _NUMBER.search(sentence):
        return 0.0
    unit = _UNIT_AFTER.search(question)
    stem = unit.group(1).lower().rstrip("s")[:5] if unit else ""
    return QUANTITY_BONUS * (1.5 if stem and re.search(rf"\b{re.escape(stem)}", sentence, re.I) else 1.0)


def asks_for_recommendation(question: str) -> bool:
    """Whether the question asks what a guideline recommends (to do, offer, screen, test, give), or its grade."""
    return bool(_RECOMMENDATION_ASK.search(question))


# ------------------------------------------------------------------------------------------- extractive
class ExtractiveDrafter:
    """Quotes the evidence sentences the reader says answer the question, each with its citation. Deterministic.

    Every candidate sentence of the shown evidence is read with the question (sentence-level relevance); the
    passage's own relevance is a prior. The best sentence is taken, and others that the reader also finds
    relevant and that score within ``margin`` of it (logit scale), up to ``extractive_max_sentences``.
    """

    name = "extractive"

    def __init__(self, reader: Reader, settings: GenerationSettings, margin: float = 2.5, population_weight: float = 1.5) -> None:
        self.reader = reader
        self.settings = settings
        self.margin = margin
        self.population_weight = population_weight

    def draft(self, question: str, evidence: Sequence[SearchResult], on_token: Callable[[str], None] | None = None) -> Draft:
        evidence = list(evidence[: self.settings.evidence_chunks])
        candidates = candidate_sentences(evidence)
        if not candidates:
            return Draft("", cannot_answer=True, model=self.name)
        relevance = [float(p) for p in self.reader.relevance(question, [s for _, _, s in candidates])]
        asked = read_population(question, question=True)
        wants_recommendation = asks_for_recommendation(question)
        scored = []
        for (n, pos, sentence), rel, meta in zip(candidates, relevance, _meta_flags(candidates, evidence)):
            prior = evidence[n - 1].reader_score
            score = logit(rel) + 0.5 * (logit(prior) if prior is not None else 0.0) - (1.0 if meta else 0.0)
            score += self._population_term(asked, sentence) + quantity_term(question, sentence)
            if wants_recommendation and parse_recommendation(sentence) is not None:
                score += RECOMMENDATION_BONUS
            scored.append((score, n, pos, sentence, rel))
        scored.sort(key=lambda t: (-t[0], t[1], t[2]))
        best = scored[0]
        chosen = [best]
        disagreement = self._disagreement(best, scored, evidence)
        if disagreement is not None:
            chosen.append(disagreement["other"])
        for item in scored[1:]:
            if len(chosen) >= self.settings.extractive_max_sentences:
                break
            if item in chosen:
                continue
            if item[4] >= 0.5 and item[0] >= best[0] - self.margin and not any(_similar(item[3], c[3]) for c in chosen):
                chosen.append(item)
        chosen.sort(key=lambda t: (t[1], t[2]))
        text = " ".join(f"{_as_sentence(s)} [{n}]" for _, n, _, s, _ in chosen)
        extra = {
            "selection_score": round(best[0], 4),
            "sentence_relevance": [round(c[4], 4) for c in chosen],
            "best_sentence_relevance": round(best[4], 4),
            "candidate_relevance": {sentence: rel for _, _, _, sentence, rel in scored},  # read again by rag/conflicts.py
        }
        if disagreement is not None:
            extra["disagreement"] = {"markers": disagreement["markers"], "p_contradicted": disagreement["p"]}
        return Draft(text, model=self.name, extra=extra)

    def _population_term(self, asked: Population, sentence: str) -> float:
        """The population fit as a score: a sentence about another group (another age band, sex, pregnancy status or
        smoking history than the question's) loses twice the weight; one that names the question's group gains."""
        if asked.empty:
            return 0.0
        fit = population_fit(asked, read_population(sentence))
        return -2.0 * self.population_weight if fit <= -1.0 else self.population_weight * fit * 0.5

    def _disagreement(self, best, scored, evidence: Sequence[SearchResult]):
        """The best relevant sentence of another current document that contradicts the best sentence (either way
        round), or None. Documents of one issuer and version count as one source."""
        def source(n: int) -> tuple[str, str]:
            return evidence[n - 1].doc_id, evidence[n - 1].status

        rivals = [item for item in scored[1:8] if item[4] >= 0.5 and source(item[1])[0] != source(best[1])[0]
                  and evidence[item[1] - 1].status != "superseded"][:2]
        if not rivals:
            return None
        claims = [r[3] for r in rivals] + [best[3]] * len(rivals)
        premises = [best[3]] * len(rivals) + [r[3] for r in rivals]
        probabilities = self.reader.support_pairs(claims, premises)
        for i, rival in enumerate(rivals):
            p = max(float(probabilities[i][1]), float(probabilities[i + len(rivals)][1]))
            if p >= 0.5:
                return {"other": rival, "markers": [best[1], rival[1]], "p": round(p, 4)}
        return None


_META_SECTION = re.compile(r"\b(scope|introduction|purpose|about|background|overview|what changed|changes since)\b", re.I)
_META_SENTENCE = re.compile(r"^(this|the present) (summary|document|guideline|statement|update)\b", re.I)


def _heading(result: SearchResult) -> str:
    return result.section.split(" > ")[-1] if result.section else result.title


def _meta_flags(candidates: list[tuple[int, int, str]], evidence: Sequence[SearchResult]) -> list[bool]:
    """Sentences that describe the document (its scope, what changed) rather than state a recommendation."""
    flags = []
    for n, _, sentence in candidates:
        section = evidence[n - 1].section.split(" > ")[-1] if evidence[n - 1].section else ""
        flags.append(bool(_META_SECTION.search(section) or _META_SENTENCE.match(sentence)))
    return flags


def candidate_sentences(evidence: Sequence[SearchResult]) -> list[tuple[int, int, str]]:
    """(evidence number, position, sentence) for every answer-worthy sentence of the evidence."""
    out = []
    for n, result in enumerate(evidence, start=1):
        heading = result.section.split(" > ")[-1].strip() if result.section else ""
        for pos, (s, e) in enumerate(split_sentences(result.text)):
            sentence = result.text[s:e].strip()
            if heading and sentence.startswith(heading) and len(sentence) > len(heading) + 20:
                sentence = sentence[len(heading) :].strip()  # a PDF heading line runs into the first sentence
            sentence = re.sub(r"^(?:[-*•]|\d+[.)])\s+", "", sentence)
            if sentence.startswith("#") or sentence.endswith("?") or len(sentence) < 25 or len(content_terms(sentence)) < 3:
                continue  # headings, questions (a question is not an answer) and fragments
            out.append((n, pos, " ".join(sentence.split())))
    return out


def _as_sentence(sentence: str) -> str:
    sentence = sentence.rstrip()
    return sentence if sentence.endswith((".", "!", "?", ":")) else sentence + "."


def _similar(a: str, b: str) -> bool:
    ta, tb = set(content_terms(a)), set(content_terms(b))
    return bool(ta and tb) and len(ta & tb) / min(len(ta), len(tb)) > 0.8


# ----------------------------------------------------------------------------------------------- LLMs
class LLMDrafter:
    """Prompts a ``Generator`` with fenced, numbered evidence."""

    def __init__(self, generator: Generator, settings: GenerationSettings) -> None:
        self.generator = generator
        self.settings = settings
        self.name = generator.name
        prompts.validate_prompts()

    def draft(self, question: str, evidence: Sequence[SearchResult], on_token: Callable[[str], None] | None = None) -> Draft:
        """``on_token`` receives the model's text as it is written, when the generator can stream."""
        shown = evidence[: self.settings.evidence_chunks]
        passages = "\n".join(
            prompts.PASSAGE.format(
                n=n,
                title=_attr(r.title),
                version=_attr(r.version or r.date or "unversioned"),
                section=_attr(r.section or "-"),
                text=_defuse(focus(r.text, question, self.settings.evidence_chars)),
            )
            for n, r in enumerate(shown, start=1)
        )
        user = prompts.ANSWER_USER.format(passages=passages, question=question)
        request = GenerationRequest(
            prompts.ANSWER_SYSTEM, user, self.settings.max_tokens, self.settings.seed, question=question
        )
        stream = getattr(self.generator, "stream", None)
        if on_token is not None and stream is not None:
            pieces = []
            for piece in stream(request):
                pieces.append(piece)
                on_token(piece)
            raw = "".join(pieces).strip()
        else:
            raw = self.generator.complete(request).strip()
        if prompts.CANNOT_ANSWER in raw or not raw:
            return Draft("", cannot_answer=True, model=self.name, extra={"raw": raw[:500]})
        text, model_verdict = _split_verdict(raw)
        # the model's own "Yes."/"No." is recorded but never shown: the reader decides verdicts (rag/verdict.py)
        return Draft(text, model=self.name, extra={"model_verdict": model_verdict})


def focus(text: str, question: str, budget: int) -> str:
    """The chunk cut to ``budget`` characters, keeping its sentences most relevant to the question."""
    if len(text) <= budget:
        return text
    wanted = set(content_terms(question))
    spans = split_sentences(text)
    ranked = sorted(range(len(spans)), key=lambda i: (-len(wanted & set(content_terms(text[spans[i][0]:spans[i][1]]))), i))
    keep, used = set(), 0
    for i in ranked:
        length = spans[i][1] - spans[i][0] + 1
        if used + length > budget and keep:
            continue
        keep.add(i)
        used += length
    return " ".join(text[spans[i][0] : spans[i][1]] for i in sorted(keep))[: budget + 200]


def _attr(value: str) -> str:
    return value.replace('"', "'").replace("\n", " ")[:120]


def _defuse(text: str) -> str:
    """Evidence cannot close its own fence or forge a chat-template turn."""
    text = re.sub(r"</?\s*passage[^>]*>", "[passage tag removed]", text, flags=re.I)
    return re.sub(r"<\|[^|>]{1,40}\|>", "[token removed]", text)


def _split_verdict(raw: str) -> tuple[str, str | None]:
    match = re.match(r"^\s*(yes|no)\b[.,!:;]?\s*", raw, re.I)
    if not match:
        return raw, None
    return raw[match.end() :].strip(), match.group(1).lower()


class LlamaGenerator:
    """A GGUF model through llama-cpp-python; greedy decoding with a fixed seed."""

    def __init__(self, model: str, settings: GenerationSettings, cache_dir: Path | None = None) -> None:
        self.model = model
        self.settings = settings
        self.cache_dir = cache_dir
        self.name = f"local:{model}"
        self._lock = threading.Lock()

    def _llama(self):
        from rag.models import load_llama

        s = self.settings
        return load_llama(self.model, s.n_ctx, s.n_threads, s.seed, self.cache_dir)

    def complete(self, request: GenerationRequest) -> str:
        llama = self._llama()
        with self._lock:
            llama.reset()
            out = llama.create_chat_completion(
                messages=[{"role": "system", "content": request.system}, {"role": "user", "content": request.user}],
                temperature=0.0,
                top_k=1,
                seed=request.seed,
                max_tokens=request.max_tokens,
            )
        return out["choices"][0]["message"]["content"] or ""

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        """The same greedy completion, piece by piece as the model writes it."""
        llama = self._llama()
        with self._lock:
            llama.reset()
            chunks = llama.create_chat_completion(
                messages=[{"role": "system", "content": request.system}, {"role": "user", "content": request.user}],
                temperature=0.0,
                top_k=1,
                seed=request.seed,
                max_tokens=request.max_tokens,
                stream=True,
            )
            for chunk in chunks:
                piece = chunk["choices"][0].get("delta", {}).get("content")
                if piece:
                    yield piece


class LlamaJudge:
    """P(yes) from the first-token logits of a yes/no support question to the local model."""

    def __init__(self, model: str, settings: GenerationSettings, cache_dir: Path | None = None) -> None:
        self.model = model
        self.settings = settings
        self.cache_dir = cache_dir
        self.name = f"judge:{model}"
        self._lock = threading.Lock()

    def support_probability(self, claim: str, passage: str) -> float:
        from rag.models import load_llama

        s = self.settings
        llama = load_llama(self.model, s.n_ctx, s.n_threads, s.seed, self.cache_dir)
        prompt = (
            f"<|im_start|>system\n{prompts.JUDGE_SYSTEM}<|im_end|>\n<|im_start|>user\n"
            f"{prompts.JUDGE_USER.format(passage=_defuse(passage[:1500]), claim=claim)}<|im_end|>\n<|im_start|>assistant\n"
        )
        with self._lock:
            llama.reset()
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


class OpenAICompatibleGenerator:
    """Any OpenAI-compatible chat-completions endpoint.

    Before anything is sent, identifiers in the question are redacted (``rag.privacy``); the guideline passages in the
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
