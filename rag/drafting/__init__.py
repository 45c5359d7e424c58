"""Drafters (``clinrag.protocols.Drafter``): turn a question and numbered evidence into a draft whose sentences
carry [n] citations. ``extractive`` quotes the sentences the reader picks; ``llm`` prompts a ``Generator`` backend
(``rag/backends/``). What a question asks for is read by ``rag/question_kind.py``."""
