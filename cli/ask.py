"""``clinrag search`` (cited passages) and ``clinrag ask`` (a verified answer, or a refusal)."""

from __future__ import annotations

import argparse

from cli.output import print_json
from cli.parser import settings_from_args


def cmd_search(args: argparse.Namespace) -> int:
    from composition.app import App

    app = App(settings_from_args(args))
    app.store.require_ready()
    response = app.search(args.query, k=args.k, mode=args.mode)
    if args.json:
        print_json(response.to_dict())
        return 0
    for i, r in enumerate(response.results, start=1):
        pages = "" if r.page_start is None else f", p. {r.page_start}" + ("" if r.page_end == r.page_start else f"-{r.page_end}")
        flag = "  [SUPERSEDED]" if r.status == "superseded" else ""
        print(f"[{i}] {r.title} ({r.version or 'no version'}, {r.date or 'no date'}{pages}){flag}")
        reader = "" if r.reader_score is None else f", reader {r.reader_score:.3f}"
        print(f"    {r.section or '-'} | score {r.score:.4f} (bm25 #{r.bm25_rank}, dense #{r.dense_rank}{reader})")
        print("    " + " ".join(r.text.split())[:300])
    if not response.results:
        print("no results")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from composition.app import App

    app = App(settings_from_args(args))
    app.store.require_ready()
    from composition.service import AnswerService

    record = AnswerService(app).ask(args.question, args.generator)  # audited before it is shown
    if args.json:
        print_json(record.to_dict())
        return 0
    from rag.render import render_text

    print(render_text(record))
    return 0
