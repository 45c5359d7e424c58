"""Turn files into Documents: ``load_file`` picks the reader of a file by its suffix. This module is the front
door (every name that was here before is importable from here); the work is split by kind:

- ``ingest.files``: finding and reading files (``discover``, ``read_input``), the only file-system access;
- ``ingest.plaintext``: decoding text and plain-text files; ``ingest.markdown``: front matter and headings;
  ``ingest.jsonl``: corpus files of one document a line; ``ingest.pdf``: pypdf, the only module that imports it;
- ``ingest.documents``: a Document from text and metadata, shared by every format, and metadata overrides.

Parsing is pure. Every failure raises an ``IngestError`` subclass that names the file, the reason and the fix.
Input is treated as hostile: symbolic links are not followed unless asked, only regular files are read (never
more than the size limit), YAML front matter may not use anchors or aliases, every parser runs in linear time,
and the text is neutralised (``ingest.sanitize``) before it is chunked. To add a format, see ARCHITECTURE.md.
"""

from __future__ import annotations

from pathlib import Path

from clinrag.errors import EmptyDocumentError, IngestError, UnsupportedFormatError
from clinrag.records import Document, sha256_bytes
from ingest.documents import MAX_TEXT_CHARS, METADATA_KEYS, STATUSES, apply_metadata, slug, text_too_large
from ingest.files import SUPPORTED_SUFFIXES, discover, iter_input_files, read_input
from ingest.jsonl import parse_jsonl, parse_jsonl_lenient
from ingest.markdown import parse_markdown, split_front_matter
from ingest.pdf import PDF_META_KEY, load_pdf
from ingest.plaintext import decode_text, parse_plain_text
from ingest.sanitize import display_path

__all__ = [
    "MAX_TEXT_CHARS",
    "METADATA_KEYS",
    "PDF_META_KEY",
    "STATUSES",
    "SUPPORTED_SUFFIXES",
    "apply_metadata",
    "decode_text",
    "discover",
    "iter_input_files",
    "load_file",
    "load_file_lenient",
    "load_pdf",
    "parse_jsonl",
    "parse_jsonl_lenient",
    "parse_markdown",
    "parse_plain_text",
    "read_input",
    "slug",
    "split_front_matter",
]


def load_file(
    path: Path, max_bytes: int, *, follow_symlinks: bool = False, max_text_chars: int = MAX_TEXT_CHARS
) -> list[Document]:
    """Documents of one file (a JSONL corpus file holds many); the first bad JSONL record fails the file."""
    documents, errors = load_file_lenient(path, max_bytes, follow_symlinks=follow_symlinks, max_text_chars=max_text_chars)
    if errors:
        raise errors[0]
    return documents


def load_file_lenient(
    path: Path, max_bytes: int, *, follow_symlinks: bool = False, max_text_chars: int = MAX_TEXT_CHARS
) -> tuple[list[Document], list[IngestError]]:
    """Documents of one file, and an error for each JSONL record that could not be read (the other records of
    the file are kept). A problem with the file as a whole raises."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFormatError(
            display_path(path), f"unsupported file type {display_path(suffix) or '(none)'}",
            f"supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}",
        )
    data = read_input(path, max_bytes, follow_symlinks)
    if not data.strip():
        raise EmptyDocumentError(display_path(path), "file is empty")
    if suffix == ".pdf":
        return [load_pdf(path, data, max_text_chars)], []
    text = decode_text(path, data)
    if suffix == ".jsonl":  # the limit applies to each record: a corpus file may hold thousands
        return parse_jsonl_lenient(path, text, max_text_chars)
    if len(text) > max_text_chars:
        raise text_too_large(path, len(text), max_text_chars)
    if suffix in {".md", ".markdown"}:
        return [parse_markdown(path, text, sha256_bytes(data))], []
    return [parse_plain_text(path, text, sha256_bytes(data))], []
