"""``clinrag bench``: one command that measures ingest, retrieval against the naive LangChain stack at several
corpus sizes, answers, cold start, updates and search during an ingest (README, "clinrag bench").

``corpus`` makes the synthetic corpora, ``measure`` holds the pure timing helpers, ``naive`` the LangChain stack,
``workers`` the child processes that build indexes, ``run`` the orchestration and ``report`` the table, JSON and PNG.
"""
