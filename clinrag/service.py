"""The application service the CLI and the UI both call: answer a question and audit it, in one place."""

from __future__ import annotations

from typing import Callable

from clinrag.app import App
from clinrag.audit import record_answer


class AnswerService:
    """``ask`` answers (or refuses) with the configured or named generator and appends the redacted audit record
    before the answer is returned: an answer that cannot be audited is not shown."""

    def __init__(self, app: App, audit: bool = True) -> None:
        self.app = app
        self.audit = audit

    def ask(self, question: str, generator: str | None = None, on_event: Callable[[str, str], None] | None = None):
        record = self.app.answerer(generator).ask(question, on_event=on_event)
        if self.audit:
            record_answer(self.app.settings.index_dir, record, self.app.settings)
        return record
