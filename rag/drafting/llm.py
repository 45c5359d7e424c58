"""The LLM drafter: any ``Generator`` (llama.cpp, an OpenAI-compatible endpoint, a scripted fake) prompted with
fenced, numbered evidence; the reply's [n] markers are the citations. Backends are in ``rag/backends/``."""

from __future__ import annotations

import re
from typing import Callable, Sequence

from clinrag.protocols import Generator
from clinrag.records import Draft, GenerationRequest, SearchResult
from clinrag.settings import GenerationSettings
from clinrag.text import content_terms, split_sentences
from rag import prompts


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
                text=prompts.defuse(focus(r.text, question, self.settings.evidence_chars)),
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


def _split_verdict(raw: str) -> tuple[str, str | None]:
    match = re.match(r"^\s*(yes|no)\b[.,!:;]?\s*", raw, re.I)
    if not match:
        return raw, None
    return raw[match.end() :].strip(), match.group(1).lower()
