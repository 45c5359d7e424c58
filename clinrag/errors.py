"""One error hierarchy. Every message says what was expected, what was found, and how to fix it."""

from __future__ import annotations

from pathlib import Path


class ClinragError(Exception):
    """Base class of every error the application raises on purpose."""


class ConfigError(ClinragError):
    """A setting, settings file or environment variable has an invalid value."""


class IngestError(ClinragError):
    """A file could not be turned into a document. Always names the file and the reason."""

    def __init__(self, path: Path | str, reason: str, fix: str = "") -> None:
        self.path = str(path)
        self.reason = reason
        self.fix = fix
        message = f"{self.path}: {reason}"
        if fix:
            message += f" ({fix})"
        super().__init__(message)


class UnsupportedFormatError(IngestError):
    pass


class EmptyDocumentError(IngestError):
    pass


class CorruptFileError(IngestError):
    pass


class EncryptedFileError(IngestError):
    pass


class EncodingError(IngestError):
    pass


class FileTooLargeError(IngestError):
    pass


class UnsafePathError(IngestError):
    """A symbolic link that was not to be followed, a special file (/proc, /dev, a FIFO), or a file name that
    cannot be shown or stored (not valid UTF-8)."""


class DocIdConflictError(IngestError):
    """A file claims a doc_id that another source file already holds (in the index or earlier in the batch)."""


class MetadataError(IngestError):
    """Metadata given at ingest to override a file's own (title, issuer, version, date, status, doc_id) is invalid,
    or was given for a file that cannot take it (a JSONL corpus holds many documents)."""


class IndexStateError(ClinragError):
    """The index on disk is missing, inconsistent, or was built with other settings."""


class IndexBusyError(IndexStateError):
    """Another process held the index's writer lock for longer than we were willing to wait."""


class LibraryError(ClinragError):
    """A library action names a document that is not in the index, or cannot be applied to it."""


class ModelUnavailableError(ClinragError):
    """A model package is not installed, or its weights failed their integrity check."""


class GenerationError(ClinragError):
    """A generator (local model or API endpoint) failed to produce an answer."""


class APIEndpointError(GenerationError):
    """An OpenAI-compatible endpoint failed or answered something unusable. Names the endpoint (never the key), the
    HTTP status when there was one, and what to do."""

    def __init__(self, endpoint: str, problem: str, fix: str, status: int | None = None, attempts: int = 1) -> None:
        self.endpoint = endpoint
        self.status = status
        self.attempts = attempts
        tried = f" after {attempts} attempts" if attempts > 1 else ""
        super().__init__(f"API endpoint {endpoint}: {problem}{tried}; {fix}")


class InsecureEndpointError(ConfigError):
    """An API base URL would send questions in plain text over a network (http:// to a host other than loopback)."""


class AuditLogError(ClinragError):
    """The audit log cannot be written or read, or its hash chain does not verify. Names the file and the line."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class FeedbackError(ClinragError):
    """Feedback on an answer is invalid (a rating other than up or down, a comment too long), or the feedback file
    cannot be written or read. Names the file when it is the file's fault."""


class UserStoreError(ClinragError):
    """An account cannot be added, changed or removed (a bad name, role or password, an unknown or existing user),
    or the user store cannot be read or written. Names the file when it is the file's fault."""


class AccessDeniedError(ClinragError):
    """The signed-in user's roles do not allow this page or action. Names the action and the roles that may."""


class QuestionError(ClinragError):
    """The question itself is unusable (empty, too long)."""


class SuiteError(ClinragError):
    """An evaluation suite folder or judge file does not follow the documented format."""


class CalibrationError(ClinragError):
    """The fitted calibration is missing, unreadable, lacks a model or threshold, or was fitted for other settings."""
