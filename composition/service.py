"""The application service the CLI and the UI both call: answer a question and audit it, in one place."""

from __future__ import annotations

from typing import Callable

from composition.app import App
from stores.audit import record_answer


class AnswerService:
    """``ask`` answers (or refuses) with the configured or named generator and appends the redacted audit record
    before the answer is returned: an answer that cannot be audited is not shown. The record names ``user`` (the
    app's signed-in user; default the operating-system user, ``cli:<login>``)."""

    def __init__(self, app: App, audit: bool = True, user: str | None = None) -> None:
        self.app = app
        self.audit = audit
        self.user = user

    def ask(self, question: str, generator: str | None = None, on_event: Callable[[str, str], None] | None = None):
        record = self.app.answerer(generator).ask(question, on_event=on_event)
        if self.audit and self.app.settings.audit.enabled:
            record_answer(self.app.settings.index_dir, record, self.app.settings, user=self.user)
        return record
