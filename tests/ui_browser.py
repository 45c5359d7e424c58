"""Drive the real Streamlit app in Debian's Chromium with playwright (used by tests/test_ui_browser.py and
bench/ui_browser_bench.py). Playwright's own browser download is never used: ``CHROMIUM`` is the system browser."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CLINRAG_CHROMIUM", "/usr/bin/chromium")


def browser_missing() -> str | None:
    """Why the browser tests cannot run here (None when they can)."""
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (install Debian's `chromium` with apt, or set CLINRAG_CHROMIUM)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (it is in requirements.txt; run scripts/setup.sh)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_app(index_dir: Path, log_path: Path, env: dict[str, str] | None = None, timeout_s: float = 120) -> Iterator[str]:
    """``streamlit run ui/app.py`` on a free loopback port for ``index_dir``; yields its URL."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(REPO / "ui" / "app.py"), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--client.showErrorDetails", "none"]
    # open sign-in (no accounts) unless the caller says otherwise: a developer's var/users.json must not apply here
    full_env = dict(os.environ, CLINRAG_INDEX_DIR=str(index_dir), CLINRAG_USERS_FILE=str(log_path.parent / "no-users.json"),
                    **(env or {}))
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, cwd=REPO, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the Streamlit server did not start; see {log_path}")
                time.sleep(0.5)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


@contextlib.contextmanager
def browser_page(width: int = 1400, height: int = 1000):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
            yield page
        finally:
            browser.close()


def ask(page, question: str, done_text, timeout_s: float = 300) -> dict[str, float | None]:
    """Type ``question`` into the chat and press Enter; wait until ``done_text`` (text or a compiled pattern)
    appears once more than before.
    Returns seconds to the first streamed draft words (None when nothing streamed) and to ``done_text``."""
    done = page.get_by_text(done_text, exact=False)
    before = done.count()
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    started = time.perf_counter()
    box.press("Enter")
    first_words = None
    draft = page.get_by_text("Draft, shown as the model writes it", exact=False)
    deadline = started + timeout_s
    while done.count() <= before:
        if first_words is None and draft.count() and draft.first.is_visible():
            first_words = time.perf_counter() - started
        if time.perf_counter() > deadline:
            raise TimeoutError(f"no {done_text!r} within {timeout_s:.0f} s for {question!r}")
        page.wait_for_timeout(100)
    return {"first_words_s": first_words, "final_s": time.perf_counter() - started}
