"""Feedback on answers: one JSON line per thumbs up or down, appended to a local file.

Where: ``<index_dir>/feedback.jsonl`` (``feedback_path``); ``feedback.jsonl.lock`` beside it serialises appenders
(``fcntl.flock``: safe across threads and processes on one machine, so two Streamlit sessions never interleave
lines; not across machines sharing a network file system).

What a line holds: UTC time, the rating (``up`` or ``down``), the comment and the question after PHI redaction
(``clinrag.privacy.redact_text``) with what was redacted (kinds and counts only), the decision, refusal code,
groundedness, the answer text (redacted too: a model may echo a name from the question), the cited chunk ids with
the doc_id, version and date of each, the generator, the models and the settings fingerprints. Never the raw
question or comment, nor the focused query. The file is not hash-chained: the audit log (``stores.audit``) is the
tamper-evident record of answers; feedback is for people improving the corpus and the settings.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from clinrag.errors import FeedbackError
from stores.audit import utc_now
from stores.file_lock import exclusive_file_lock

FEEDBACK_FILE = "feedback.jsonl"
FORMAT = "clinrag-feedback/1"
RATINGS = ("up", "down")
MAX_COMMENT_CHARS = 4000


def feedback_path(index_dir: Path | str) -> Path:
    """The feedback file of an index: ``<index_dir>/feedback.jsonl``."""
    return Path(index_dir) / FEEDBACK_FILE


# ------------------------------------------------------------------------------------------- pure: the entry
def feedback_entry(record: Any, rating: str, comment: str, settings: Any, now: str) -> dict[str, Any]:
    """The line for feedback on an ``AnswerRecord`` (pure). Raises ``FeedbackError`` for a rating other than
    ``up``/``down`` or a comment that is not text or longer than ``MAX_COMMENT_CHARS``."""
    from clinrag.privacy import redact_text

    if not isinstance(rating, str) or rating not in RATINGS:
        raise FeedbackError(f"rating must be 'up' or 'down', found {rating!r}; pass one of {', '.join(RATINGS)}")
    comment = "" if comment is None else comment
    if not isinstance(comment, str):
        raise FeedbackError(f"comment must be text, found a {type(comment).__name__}; pass a string ('' for none)")
    if len(comment) > MAX_COMMENT_CHARS:
        raise FeedbackError(
            f"comment is {len(comment):,} characters, above the {MAX_COMMENT_CHARS:,}-character limit; shorten it"
        )
    question = redact_text(_storable(str(record.question)))
    remark = redact_text(_storable(comment.strip()))
    answer = redact_text(_storable(str(record.answer or "")))
    evidence = {e.chunk_id: e for e in record.evidence}
    cited = list(dict.fromkeys(c for sentence in record.sentences for c in sentence.citations))

    def source(chunk_id: str) -> dict[str, str]:
        e = evidence.get(chunk_id)
        return {
            "chunk_id": chunk_id,
            "doc_id": e.doc_id if e else "",
            "version": e.version if e else "",
            "date": e.date if e else "",
        }

    return {
        "format": FORMAT,
        "time": now,
        "rating": rating,
        "comment": remark.text,
        "comment_redaction": remark.summary(),
        "question": question.text,
        "question_redaction": question.summary(),
        "decision": record.decision,
        "refusal_code": record.refusal_code,
        "groundedness": record.groundedness,
        "answer": answer.text,
        "answer_redaction": answer.summary(),
        "cited": [source(c) for c in cited],
        "generator": record.generator,
        "models": dict(record.models),
        "settings_fingerprint": record.settings_fingerprint,
        "active_settings_fingerprint": settings.fingerprint(),
    }


def _storable(text: str) -> str:
    """Text that UTF-8 can hold: a lone surrogate (it cannot be written) becomes ``?``."""
    return text.encode("utf-8", "replace").decode("utf-8")


# ------------------------------------------------------------------------------------------- the file (IO)
def record_feedback(path: Path | str, record: Any, rating: str, comment: str, settings: Any) -> dict[str, Any]:
    """Append the feedback line for ``record`` to ``path`` under an exclusive lock; returns the line written."""
    entry = feedback_entry(record, rating, comment, settings, utc_now())
    data = (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    path = Path(path)
    with _locked(path):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise FeedbackError(f"{path}: cannot write feedback ({exc.strerror}); check free space and permissions") from exc
    return entry


def read_feedback(path: Path | str) -> list[dict[str, Any]]:
    """Every feedback line, oldest first ([] when there is no file yet). A line that is not a JSON object is a
    ``FeedbackError`` naming it."""
    path = Path(path)
    if not path.exists():
        return []
    lines: list[dict[str, Any]] = []
    try:
        with open(path, encoding="utf-8") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    line = json.loads(raw)
                except ValueError as exc:
                    raise FeedbackError(f"{path}, line {number}: not valid JSON ({exc}); remove or repair that line") from exc
                if not isinstance(line, dict):
                    raise FeedbackError(f"{path}, line {number}: expected a JSON object, found a {type(line).__name__}; "
                                        "remove or repair that line")
                lines.append(line)
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedbackError(f"{path}: cannot read feedback ({exc}); check the file's permissions and encoding") from exc
    return lines


def _locked(path: Path):
    lock_path = path.with_name(path.name + ".lock")
    return exclusive_file_lock(lock_path, lambda exc: FeedbackError(
        f"{path}: cannot open the lock file {lock_path.name} ({exc.strerror}); check the folder's permissions"))
