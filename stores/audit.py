"""The audit log: one append-only, hash-chained JSONL record per answer or refusal.

Where: ``<index_dir>/audit.jsonl`` by default; the setting ``audit.log_path`` (also ``CLINRAG_AUDIT_LOG``, mapped by
``clinrag.settings``) names another file. Beside it, ``audit.jsonl.head`` holds the sequence number and hash of the last line, and
``audit.jsonl.lock`` is the lock file that serialises appenders (``fcntl.flock``: safe across threads and processes
on one machine; not across machines sharing a network file system).

What a line holds: ``seq`` (0 for the anchor, then 1, 2, ...), ``prev`` (the previous line's ``hash``; 64 zeros for
the anchor), ``hash`` (sha256 of the line's canonical JSON without its ``hash`` field: keys sorted, no spaces,
UTF-8), and the entry: UTC time, the redacted question (the setting ``audit.question=hash``, also
``CLINRAG_AUDIT_QUESTION=hash``, keeps only the sha256 of the redacted question), what was redacted (kinds only), decision, refusal code,
groundedness, retrieved and cited chunk ids with their document versions, models, settings fingerprints, and
``user``: who asked (an app account, ``shared-password``, ``anonymous``, or ``cli:<login>``). Nothing unredacted is
written: not the question, not the answer text (a model may echo a name), not the focused query.

Beside answers (``type`` answer or refusal) the same chain holds the events of people (``record_event``), each naming
its ``user``: ``library`` (supersede, retire, restore, delete: ``action``, ``doc_id``, ``detail``), ``ingest`` (the
doc_ids added, updated and failed), ``evaluation`` (suite, sample, report folder) and ``users`` (an account added,
changed or removed, with its roles). Free text in them (a librarian's reason) is redacted like a question.
``export_csv`` / ``export_jsonl`` write what ``clinrag audit export`` and the app's Audit page download.

What the chain detects (``verify``), naming the first bad line: an edited field (the line's own hash fails), an
inserted, deleted or reordered line (a ``prev`` or ``seq`` mismatch), a damaged anchor, and a torn or truncated last
line (not JSON). What a hash chain alone cannot detect: dropping whole lines from the end (the shorter chain is still
consistent) and a rewrite of the entire chain by someone who recomputes every hash. The head file catches the first
(the log ends before the head's ``seq``) unless it is rewritten too; against both, copy the head hash that
``clinrag audit verify`` prints to somewhere the writer cannot change (a ticket, a WORM store) and check it later
with ``clinrag audit verify --expect-head HASH``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from clinrag.chain import GENESIS, canonical, line_hash, link_problem
from clinrag.errors import AuditLogError
from stores.file_lock import exclusive_file_lock

AUDIT_FILE = "audit.jsonl"
FORMAT = "clinrag-audit/1"


def audit_path(index_dir: Path | str, settings=None) -> Path:
    """The audit log of an index: the setting ``audit.log_path`` when set (``CLINRAG_AUDIT_LOG`` is read into it by
    ``clinrag.settings``), else ``<index_dir>/audit.jsonl``."""
    configured = getattr(getattr(settings, "audit", None), "log_path", None)
    return Path(configured) if configured else Path(index_dir) / AUDIT_FILE


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ------------------------------------------------------------------------------------------- pure: entries
def entry_from_record(record, settings, question_mode: str | None = None) -> dict[str, Any]:
    """The audit entry for an ``AnswerRecord`` (pure; no time, seq or hashes yet). Holds nothing unredacted."""
    from clinrag.privacy import redact_text

    configured = getattr(getattr(settings, "audit", None), "question", None)
    mode = (question_mode or configured or "redacted").lower()
    if mode not in {"redacted", "hash"}:
        from clinrag.errors import ConfigError

        raise ConfigError(f"the audit question mode must be 'redacted' or 'hash', found {mode!r}; set audit.question "
                          "(CLINRAG_AUDIT__QUESTION) to one of them")
    redaction = redact_text(record.question)
    versions = {e.chunk_id: (e.doc_id, e.version or e.date or "") for e in record.evidence}
    cited: list[str] = []
    for sentence in record.sentences:
        cited += [c for c in sentence.citations if c not in cited]

    def chunk(chunk_id: str) -> dict[str, str]:
        doc_id, version = versions.get(chunk_id, ("", ""))
        return {"chunk_id": chunk_id, "doc_id": doc_id, "version": version}

    question: dict[str, Any] = (
        {"question": redaction.text} if mode == "redacted"
        else {"question_sha256": hashlib.sha256(redaction.text.encode("utf-8")).hexdigest()}
    )
    return {
        "type": "answer" if record.decision == "answer" else "refusal",
        **question,
        "redaction": redaction.summary(),
        "decision": record.decision,
        "refusal_code": record.refusal_code,
        "groundedness": record.groundedness,
        "answerability": record.answerability,
        "verdict": record.verdict,
        "retrieved": [chunk(e.chunk_id) for e in record.evidence],
        "cited": [chunk(c) for c in cited],
        "models": dict(record.models),
        "generator": record.generator,
        "settings_fingerprint": record.settings_fingerprint,
        "active_settings_fingerprint": settings.fingerprint(),
        "index_fingerprint": settings.index_fingerprint(),
    }


# ------------------------------------------------------------------------------------------- the log (IO)
@dataclass(frozen=True)
class Verification:
    ok: bool
    path: str
    records: int  # lines after the anchor
    head: str  # hash of the last good line
    bad_line: int | None = None  # 1-based line number of the first problem
    problem: str = ""

    def message(self) -> str:
        if self.ok:
            return f"ok: {self.path} holds {self.records} record(s) after its anchor; head {self.head}"
        where = f"line {self.bad_line}: " if self.bad_line else ""
        return f"audit log {self.path}: {where}{self.problem}"


class AuditLog:
    """One audit file with its head and lock files. Cheap to construct; every method opens what it needs."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.head_path = self.path.with_name(self.path.name + ".head")
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with exclusive_file_lock(self.lock_path, lambda exc: AuditLogError(
                self.path, f"cannot open the lock file ({exc.strerror}); check the folder's permissions")):
            yield

    def append(self, entry: dict[str, Any], now: str | None = None) -> dict[str, Any]:
        """Append one entry under the lock; the first append writes the anchor line. Returns the line written."""
        with self._locked():
            last = self._last_line()
            if last is None:
                anchor = {"seq": 0, "prev": GENESIS, "type": "anchor", "format": FORMAT, "time": now or utc_now()}
                anchor["hash"] = line_hash(anchor)
                self._write(anchor)
                last = anchor
            line = {**entry, "seq": last["seq"] + 1, "prev": last["hash"], "time": now or utc_now()}
            line["hash"] = line_hash(line)
            self._write(line)
            return line

    def _last_line(self) -> dict[str, Any] | None:
        """The parsed last line, or None for a new log. A torn or unparsable tail is an error: appending after it
        would bury the damage."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            if self.head_path.exists():
                raise AuditLogError(self.path, "the log is missing or empty but its head file exists: it was deleted or "
                                               "emptied; restore it from a backup before answering more questions")
            return None
        with open(self.path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            block = b""
            position = size
            while position > 0 and block.count(b"\n") < 2:
                step = min(4096, position)
                position -= step
                handle.seek(position)
                block = handle.read(step) + block
        if not block.endswith(b"\n"):
            raise AuditLogError(self.path, "the last line is incomplete (a crash or a full disk during a write?); "
                                           "run `clinrag audit verify` and restore the log before answering more questions")
        try:
            last = json.loads(block.rstrip(b"\n").rsplit(b"\n", 1)[-1])
            if not isinstance(last, dict) or "hash" not in last or not isinstance(last.get("seq"), int):
                raise ValueError("not an audit line")
        except ValueError as exc:
            raise AuditLogError(self.path, f"the last line is not an audit record ({exc}); run `clinrag audit verify`") from exc
        return last

    def _write(self, line: dict[str, Any]) -> None:
        data = (canonical(line) + "\n").encode("utf-8")
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            tmp = self.head_path.with_name(self.head_path.name + ".tmp")
            tmp.write_text(canonical({"seq": line["seq"], "hash": line["hash"]}) + "\n", encoding="utf-8")
            os.replace(tmp, self.head_path)
        except OSError as exc:
            raise AuditLogError(self.path, f"cannot write ({exc.strerror}); check free space and permissions") from exc

    def read(self) -> list[dict[str, Any]]:
        """Every parsed line (anchor included). Raises AuditLogError on a line that is not JSON."""
        if not self.path.exists():
            return []
        lines = []
        with open(self.path, encoding="utf-8") as handle:
            for number, raw in enumerate(handle, start=1):
                try:
                    lines.append(json.loads(raw))
                except ValueError as exc:
                    raise AuditLogError(self.path, f"not valid JSON ({exc.msg}); run `clinrag audit verify`", line=number) from exc
        return lines

    def verify(self, expect_head: str | None = None) -> Verification:
        """Walk the chain; the first problem found names its line."""
        path = str(self.path)
        head = self._read_head()
        if not self.path.exists():
            if head is not None:
                return Verification(False, path, 0, GENESIS, None, "the log file is missing but its head file exists (deleted)")
            if expect_head:
                return Verification(False, path, 0, GENESIS, None, f"no log, but head {expect_head} was expected")
            return Verification(True, path, 0, GENESIS)
        previous: dict[str, Any] | None = None
        number = 0
        with open(self.path, "rb") as handle:
            raw_lines = handle.read().split(b"\n")
        if raw_lines and raw_lines[-1] == b"":
            raw_lines.pop()
        elif raw_lines:
            return self._bad(len(raw_lines), previous, "the line is incomplete (no newline): the tail was truncated or torn")
        for number, raw in enumerate(raw_lines, start=1):
            try:
                line = json.loads(raw.decode("utf-8"))
                if not isinstance(line, dict):
                    raise ValueError("not an object")
            except (ValueError, UnicodeDecodeError) as exc:
                return self._bad(number, previous, f"not valid JSON ({exc}): edited, or the tail was truncated")
            problem = link_problem(line, previous, first_check=_anchor_problem)
            if problem:
                return self._bad(number, previous, problem)
            previous = line
        if previous is None:
            return Verification(False, path, 0, GENESIS, None, "the log is empty (it should start with its anchor line)")
        records = previous["seq"]
        if head is None:
            return Verification(False, path, records, previous["hash"], None,
                                f"the head file {self.head_path.name} is missing, so a truncated tail cannot be ruled out")
        if head.get("seq") != previous["seq"] or head.get("hash") != previous["hash"]:
            if isinstance(head.get("seq"), int) and head["seq"] > previous["seq"]:
                problem = (f"the log ends at record {previous['seq']} but the head file records {head['seq']}: "
                           f"{head['seq'] - previous['seq']} line(s) were removed from the end")
            else:
                problem = "the last line does not match the head file: the tail was replaced"
            return Verification(False, path, records, previous["hash"], number + 1, problem)
        if expect_head and expect_head != previous["hash"]:
            return Verification(False, path, records, previous["hash"], None,
                                f"the head is {previous['hash']}, not the expected {expect_head}: the log was rewritten "
                                "or truncated after that head was recorded")
        return Verification(True, path, records, previous["hash"])

    def _bad(self, number: int, previous: dict[str, Any] | None, problem: str) -> Verification:
        records = previous["seq"] if previous else 0
        return Verification(False, str(self.path), records, previous["hash"] if previous else GENESIS, number, problem)

    def _read_head(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.head_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError:
            return {"seq": None, "hash": None}


def _anchor_problem(line: dict[str, Any]) -> str | None:
    if line.get("type") != "anchor" or line.get("prev") != GENESIS or line.get("seq") != 0:
        return "the first line is not the anchor (seq 0, prev 000...): the start was removed or replaced"
    return None


def record_answer(index_dir: Path | str, record, settings, user: str | None = None) -> dict[str, Any]:
    """Append the audit entry of an answer or refusal to the index's audit log (what the CLI and the UI call),
    naming ``user`` (default: the operating-system user, ``cli:<login>``)."""
    entry = {**entry_from_record(record, settings), "user": user or _local_user()}
    return AuditLog(audit_path(index_dir, settings)).append(entry)


EVENT_TYPES = ("library", "ingest", "evaluation", "users")
ANSWER_TYPES = ("answer", "refusal")
_FREE_TEXT = ("detail", "reason")


def _local_user() -> str:
    from stores.users import local_identity

    return local_identity().name


def event_entry(kind: str, user: str, **fields: Any) -> dict[str, Any]:
    """The audit entry of a person's action (pure): ``kind`` one of ``EVENT_TYPES``, the acting ``user``, and the
    action's fields, free text redacted."""
    if kind not in EVENT_TYPES:
        raise ValueError(f"unknown audit event type {kind!r}; known: {', '.join(EVENT_TYPES)}")
    from clinrag.privacy import redact_text

    clean = {k: (redact_text(v).text if k in _FREE_TEXT and isinstance(v, str) else v) for k, v in fields.items()}
    return {"type": kind, "user": user, **clean}


def record_event(settings, kind: str, user: str, **fields: Any) -> dict[str, Any] | None:
    """Append a person's action (library change, ingest, evaluation run, account change) to the audit log of
    ``settings.index_dir``; None when auditing is switched off (``audit.enabled``)."""
    if not settings.audit.enabled:
        return None
    return AuditLog(audit_path(settings.index_dir, settings)).append(event_entry(kind, user, **fields))


# ------------------------------------------------------------------------------------------- pure: reading and export
EXPORT_COLUMNS = (
    "seq", "time", "type", "user", "decision", "refusal_code", "groundedness", "answerability", "verdict", "question",
    "question_sha256", "redacted", "cited", "retrieved", "generator", "action", "doc_id", "detail", "other",
    "settings_fingerprint", "index_fingerprint", "hash", "prev",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def records_of(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records of a log (every line but the anchor)."""
    return [line for line in lines if line.get("type") != "anchor"]


def filter_records(
    lines: list[dict[str, Any]],
    types: Iterable[str] | None = None,
    users: Iterable[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    text: str | None = None,
) -> list[dict[str, Any]]:
    """Records whose type and user are among those given (None: any), whose time lies in [since, until] (ISO dates
    or times, compared as text, so ``until`` ``2025-01-31`` includes that whole day), and that contain ``text``
    (case-insensitive) in their question, doc ids, user or detail."""
    wanted_types = set(types) if types is not None else None
    wanted_users = set(users) if users is not None else None
    needle = (text or "").strip().lower()
    out = []
    for line in records_of(lines):
        when = str(line.get("time") or "")
        if wanted_types is not None and line.get("type") not in wanted_types:
            continue
        if wanted_users is not None and line.get("user", "") not in wanted_users:
            continue
        if since and when < since:
            continue
        if until and when[: len(until)] > until:
            continue
        if needle and needle not in _haystack(line):
            continue
        out.append(line)
    return out


def _haystack(line: dict[str, Any]) -> str:
    parts = [line.get("question"), line.get("user"), line.get("doc_id"), line.get("detail"), line.get("action"),
             line.get("refusal_code"), line.get("suite"), line.get("target")]
    parts += [c.get("doc_id") for c in line.get("cited") or [] if isinstance(c, dict)]
    parts += [str(i) for key in ("added", "updated", "failed") for i in line.get(key) or []]
    return " ".join(str(p) for p in parts if p).lower()


def _chunks(items: Any) -> str:
    return "; ".join(f"{c.get('chunk_id', '')}@{c.get('version') or '-'}" for c in items or [] if isinstance(c, dict))


def export_row(line: dict[str, Any]) -> dict[str, Any]:
    """One flat row of ``EXPORT_COLUMNS`` for a record; fields without a column go, as JSON, into ``other``."""
    row: dict[str, Any] = {column: line.get(column, "") for column in EXPORT_COLUMNS}
    row["redacted"] = ", ".join(f"{k} {v}" for k, v in sorted(((line.get("redaction") or {}).get("kinds") or {}).items()))
    row["cited"] = _chunks(line.get("cited"))
    row["retrieved"] = _chunks(line.get("retrieved"))
    if row["groundedness"] == "" and "groundedness" in line:
        row["groundedness"] = line["groundedness"]
    known = set(EXPORT_COLUMNS) | {"redaction", "models", "active_settings_fingerprint"}
    rest = {k: v for k, v in line.items() if k not in known}
    row["other"] = canonical(rest) if rest else ""
    return {k: ("" if v is None else v) for k, v in row.items()}


def _cell(value: Any) -> Any:
    """A text cell a spreadsheet will not run: one starting with = + - @ or a control character gets a quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_csv(records: list[dict[str, Any]]) -> str:
    """The records as CSV (``EXPORT_COLUMNS``, one header line); cells that a spreadsheet would read as a formula
    are prefixed with a quote."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(EXPORT_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for line in records:
        writer.writerow({k: _cell(v) for k, v in export_row(line).items()})
    return buffer.getvalue()


def export_jsonl(records: list[dict[str, Any]]) -> str:
    """The records exactly as the log holds them (canonical JSON, one a line), hashes included: each line can be
    checked against its hash, and an unfiltered export with the anchor is the log itself."""
    return "".join(canonical(line) + "\n" for line in records)
