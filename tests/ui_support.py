"""The App the UI tests run against (``CLINRAG_UI_APP_FACTORY=tests.ui_support:make_app``): the tiny corpus's
index with deterministic fakes, and a scripted, streaming "local" model so the streaming path runs without an LLM."""

from __future__ import annotations

from typing import Iterator

from composition.app import App
from rag.drafting.llm import LLMDrafter
from tests.conftest import unit_calibration
from tests.fakes import HashEmbedder, LexicalReader, ScriptedGenerator

STREAMED_ANSWER = "The blood pressure target for most adults with hypertension is below 130/80 mm Hg [1]."


class StreamingScriptedGenerator(ScriptedGenerator):
    """A scripted generator that also streams its reply word by word (what ``LlamaGenerator.stream`` does)."""

    def stream(self, request) -> Iterator[str]:
        words = self.complete(request).split(" ")
        for i, word in enumerate(words):
            yield word if i == 0 else " " + word


def make_app(settings) -> App:
    reader = LexicalReader()
    local = LLMDrafter(StreamingScriptedGenerator([STREAMED_ANSWER], name="scripted-local"), settings.generation)
    return App(settings, embedder=HashEmbedder(), reader=reader, calibration=unit_calibration(), drafters={"local": local})
