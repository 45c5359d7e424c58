"""LangChain adapter: exposes a HybridRetriever as a ``BaseRetriever``. LangChain types stay in this module."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict


class ClinragLangChainRetriever(BaseRetriever):
    """``ClinragLangChainRetriever(retriever=HybridRetriever(...), k=5).invoke("question")``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    retriever: Any
    k: int = 5

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        response = self.retriever.search(query, k=self.k)
        documents = []
        for result in response.results:
            metadata = result.to_dict()
            text = metadata.pop("text")
            documents.append(LCDocument(page_content=text, metadata=metadata, id=result.chunk_id))
        return documents
