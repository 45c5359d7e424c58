"""The app in a real browser (Debian's Chromium via playwright) on the bundled corpus with the real models: one
answerable question gets an answer with its source card open, one unanswerable question gets a refusal card.
Screenshots go to var/test-output/ui-browser/ (or $CLINRAG_TEST_OUTPUT/ui-browser/)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.ui_browser import REPO, ask, browser_missing, browser_page, serve_app

pytestmark = [pytest.mark.model, pytest.mark.timeout(900)]

OUTPUT = Path(os.environ.get("CLINRAG_TEST_OUTPUT") or REPO / "var" / "test-output") / "ui-browser"


@pytest.fixture(scope="module")
def browser_ready():
    reason = browser_missing()
    if reason:
        pytest.skip(f"real-browser UI test skipped: {reason}")


def test_browser_answers_with_an_open_source_card_and_refuses_off_topic(browser_ready, demo_app):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with serve_app(demo_app.settings.index_dir, OUTPUT / "server.log") as url, browser_page(height=2200) as page:
        page.goto(url)
        page.get_by_test_id("stChatInputTextArea").wait_for(timeout=60_000)
        timing = ask(page, "How long should nitrofurantoin be given for uncomplicated cystitis in women?",
                     "Verified answer after")
        card = page.locator("[id^='source-1-']").first
        card.wait_for(timeout=10_000)
        assert "cystitis" in card.inner_text().lower()
        assert page.get_by_text("Groundedness", exact=False).first.is_visible()
        page.screenshot(path=str(OUTPUT / "answer.png"))
        card.scroll_into_view_if_needed()
        page.screenshot(path=str(OUTPUT / "answer-source-card.png"))

        ask(page, "Which vaccination schedule is recommended for dogs travelling abroad?", "Refused after")
        refusal = page.get_by_text("No answer given", exact=False)
        assert refusal.count() >= 1 and refusal.first.is_visible()
        refusal.first.scroll_into_view_if_needed()
        page.screenshot(path=str(OUTPUT / "refusal.png"))
    print(f"screenshots in {OUTPUT}; answer after {timing['final_s']:.1f} s")
