"""Text files: decoding (UTF-8 with or without BOM, BOM-marked UTF-16; anything else refused) and plain text."""

from __future__ import annotations

from pathlib import Path

from clinrag.errors import EmptyDocumentError, EncodingError
from clinrag.records import Document
from ingest.documents import CONTROL_CHARS, build_document, first_line
from ingest.sanitize import display_path, neutralise

def decode_text(path: Path, data: bytes) -> str:
    """UTF-8 (with or without BOM) or BOM-marked UTF-16; anything else is refused rather than guessed."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")
        else:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        encoding = "UTF-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "UTF-8"
        raise EncodingError(
            display_path(path),
            f"not valid {encoding} (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            "re-save the file as UTF-8",
        ) from exc
    text = CONTROL_CHARS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip():
        raise EmptyDocumentError(display_path(path), "file holds no text")
    return text


def parse_plain_text(path: Path, text: str, sha256: str) -> Document:
    text, findings = neutralise(text)
    return build_document(path, text, sha256, {}, default_title=first_line(text), findings=findings)
