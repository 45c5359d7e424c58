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


def test_browser_drives_library_evaluation_and_audit_pages(browser_ready, demo_app):
    """The librarian's, the evaluator's and the admin's pages as a user opens them: the indexed documents, the
    benchmark runner, and the audit chain verified with its button (open sign-in: every role)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with serve_app(demo_app.settings.index_dir, OUTPUT / "server-pages.log") as url, browser_page(height=1800) as page:
        page.goto(url)
        page.get_by_role("tab", name="Library").wait_for(timeout=60_000)
        page.get_by_role("tab", name="Library").click()
        documents = page.get_by_text("Indexed documents (", exact=False).first
        documents.wait_for(timeout=30_000)
        count = int(documents.inner_text().split("(")[1].split()[0].rstrip(")"))
        assert count == len(demo_app.store.documents())
        page.get_by_test_id("stDataFrame").first.wait_for(timeout=30_000)  # the table of documents itself
        page.get_by_text("Documents", exact=True).first.wait_for(timeout=30_000)  # the sidebar renders last
        page.screenshot(path=str(OUTPUT / "library.png"))

        page.get_by_role("tab", name="Evaluation").click()
        page.get_by_text("Run a bundled benchmark suite", exact=False).first.wait_for(timeout=30_000)
        page.screenshot(path=str(OUTPUT / "evaluation.png"))

        page.get_by_role("tab", name="Audit").click()
        page.get_by_role("button", name="Verify chain").click()
        verdict = page.get_by_text("The chain verifies", exact=False).or_(page.get_by_text("The chain is broken", exact=False))
        verdict.first.wait_for(timeout=30_000)
        assert "verifies" in verdict.first.inner_text()
        page.screenshot(path=str(OUTPUT / "audit.png"))


def test_browser_shows_a_clinician_only_the_ask_page(browser_ready, demo_app):
    """Shared-password sign-in with the clinician role only: after the password the Ask tab is there and the
    Library, Evaluation, Audit and Users tabs are not."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    env = {"CLINRAG_UI_PASSWORD": "browser-test-secret", "CLINRAG_AUTH__MODE": "password",
           "CLINRAG_AUTH__SHARED_ROLES": '["clinician"]'}
    with serve_app(demo_app.settings.index_dir, OUTPUT / "server-roles.log", env=env) as url, browser_page() as page:
        page.goto(url)
        page.get_by_label("Password", exact=True).wait_for(timeout=60_000)
        page.get_by_label("Password", exact=True).fill("browser-test-secret")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_test_id("stChatInputTextArea").wait_for(timeout=60_000)
        tabs = [t.inner_text().strip() for t in page.get_by_role("tab").all()]
        assert tabs == ["Ask"]  # Library, Evaluation, Audit and Users are not offered
        page.screenshot(path=str(OUTPUT / "clinician-only.png"))
