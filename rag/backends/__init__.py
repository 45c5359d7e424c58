"""Model backends behind the ``Generator`` seam (and the local judge): llama.cpp in-process (``llama``) and an
OpenAI-compatible endpoint over HTTP (``openai_http``). Drafters that use them are in ``rag/drafting/``."""
