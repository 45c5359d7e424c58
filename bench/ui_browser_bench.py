"""Time from question to first streamed words and to the final verified answer, in a real browser.

Serves ui/app.py on loopback, drives Debian's Chromium with playwright, picks the generator in the page and asks
each question once (the first question also pays for loading the models; it is reported apart).
Usage: .venv/bin/python bench/ui_browser_bench.py [--index var/index] [--generator local] [--shots DIR]
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.ui_browser import ask, browser_missing, browser_page, serve_app  # noqa: E402

QUESTIONS = (
    "How long should nitrofurantoin be given for uncomplicated cystitis in women?",
    "What blood pressure target is recommended for most adults with hypertension?",
    "my dad is 70, does he still need colon cancer checks?",
    "How quickly should antimicrobials be given in possible septic shock?",
    "Which first-line drug is recommended for type 2 diabetes?",
)
LABELS = {"extractive": "extractive: quotes", "local": "local: a small local LLM", "api": "api: an OpenAI"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=REPO / "var" / "index")
    parser.add_argument("--generator", default="local", choices=sorted(LABELS))
    parser.add_argument("--shots", type=Path, default=REPO / "var" / "bench" / "ui-browser")
    args = parser.parse_args()
    reason = browser_missing()
    if reason:
        print(json.dumps({"skipped": reason}))
        return 0
    args.shots.mkdir(parents=True, exist_ok=True)
    rows = []
    with serve_app(args.index, args.shots / "server.log") as url, browser_page() as page:
        page.goto(url)
        page.get_by_test_id("stChatInputTextArea").wait_for(timeout=60_000)
        page.get_by_text(LABELS[args.generator], exact=False).first.click()
        for i, question in enumerate(QUESTIONS):
            timing = ask(page, question, re.compile(r"(Verified answer|Refused) after"), timeout_s=600)
            rows.append({"question": question, **timing})
            page.screenshot(path=str(args.shots / f"{args.generator}-{i + 1}.png"), full_page=True)
            print(json.dumps(rows[-1]), file=sys.stderr)
    warm = rows[1:]
    firsts = [r["first_words_s"] for r in warm if r["first_words_s"] is not None]
    print(json.dumps({
        "generator": args.generator,
        "first_question": rows[0],
        "warm_n": len(warm),
        "warm_first_words_s_median": statistics.median(firsts) if firsts else None,
        "warm_final_s_median": statistics.median(r["final_s"] for r in warm),
        "rows": rows,
        "screenshots": str(args.shots),
    }, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
