"""The names of the drafting modules as they were imported before the split (issue 17): tests, eval, the CLI and
``rag.answer`` import them from here. New code imports from where each thing lives:

- ``rag/question_kind.py``: what a question asks for (yes/no, a quantity, a recommendation);
- ``rag/drafting/extractive.py``: the extractive drafter (the reader picks sentences, no LLM);
- ``rag/drafting/llm.py``: the LLM drafter over any ``Generator``;
- ``rag/backends/llama.py``: llama.cpp in-process (generator and judge, one ``LlamaBackend`` per instance);
- ``rag/backends/openai_http.py``: an OpenAI-compatible endpoint over HTTP.
"""

from __future__ import annotations

from rag.backends.llama import LlamaBackend, LlamaGenerator, LlamaJudge
from rag.backends.openai_http import OpenAICompatibleGenerator
from rag.drafting.extractive import (
    QUANTITY_BONUS,
    RECOMMENDATION_BONUS,
    ExtractiveDrafter,
    candidate_sentences,
    quantity_term,
)
from rag.drafting.llm import LLMDrafter, focus
from rag.question_kind import asks_for_quantity, asks_for_recommendation, is_yes_no_question

__all__ = [
    "QUANTITY_BONUS",
    "RECOMMENDATION_BONUS",
    "ExtractiveDrafter",
    "LLMDrafter",
    "LlamaBackend",
    "LlamaGenerator",
    "LlamaJudge",
    "OpenAICompatibleGenerator",
    "asks_for_quantity",
    "asks_for_recommendation",
    "candidate_sentences",
    "focus",
    "is_yes_no_question",
    "quantity_term",
]
