"""Turn files into Documents. Parsing of text formats is pure; only ``load_pdf`` touches the PDF library and
only ``read_input`` and ``discover`` touch the file system.

Every failure raises an ``IngestError`` subclass that names the file, the reason and the fix. Input is treated
as hostile: symbolic links are not followed unless asked, only regular files are read (never more than the size
limit), YAML front matter may not use anchors or aliases, every parser runs in linear time, and the text is
neutralised (``ingest.sanitize``) before it is chunked.
"""

from __future__ import annotations

import datetime
import errno
import json
import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from clinrag.errors import (
    CorruptFileError,
    EmptyDocumentError,
    EncodingError,
    EncryptedFileError,
    FileTooLargeError,
    IngestError,
    MetadataError,
    UnsafePathError,
    UnsupportedFormatError,
)
from clinrag.records import Document, Page, Section, sha256_bytes
from ingest.sanitize import (
    Finding,
    display_path,
    flags_of,
    has_lone_surrogate,
    inline,
    neutralise,
    neutralise_inline,
)

SUPPORTED_SUFFIXES = {".pdf", ".md", ".markdown", ".txt", ".text", ".jsonl"}
PDF_META_KEY = "/ClinragMeta"
# Default of the setting ``ingest.max_text_chars``: what one file may hold once extracted:
# about 20 MB of text, some 25,000 chunks to embed; above that the file is refused by name.
MAX_TEXT_CHARS = 20_000_000
MAX_FRONT_MATTER_CHARS = 64_000
MAX_FRONT_MATTER_DEPTH = 20
MAX_DOC_ID_CHARS = 200
SPECIAL_ROOTS = ("/proc", "/sys", "/dev")
# C0 controls except tab and newline, DEL, and C1 controls (\x9b is a one-byte escape sequence introducer)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Linear: the title is the rest of the line, its closing #s stripped in Python. The former pattern
# ``(.+?)[ \t#]*$`` backtracked over every run of spaces (a 40 KB heading line took 37 s).
_HEADING = re.compile(r"^(#{1,6})[ \t]+([^\n]*)$", re.MULTILINE)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n")
_FRONT_MATTER_END = re.compile(r"^---[ \t]*$", re.MULTILINE)
_KNOWN_KEYS = {"doc_id", "title", "issuer", "version", "date", "effective_date", "status", "text"}
_SKIPPED_STEMS = {"README", "NOTICE", "LICENSE"}
STATUSES = ("current", "superseded")
# fields that ``apply_metadata`` may override (what a person can correct when uploading a file)
METADATA_KEYS = frozenset({"title", "issuer", "version", "date", "status", "doc_id"})


# ----------------------------------------------------------------------------- finding and reading files
def discover(paths: list[Path], follow_symlinks: bool = False) -> tuple[list[Path], list[IngestError]]:
    """The files to ingest, and an error for each path that is refused before reading (a symbolic link that is
    not to be followed, a special file, a name that is not UTF-8). Folders are walked in sorted order, skipping
    names that start with ``_`` or ``.`` and README/NOTICE/LICENSE files, which describe a folder rather than
    belong to it."""
    files: list[Path] = []
    refused: list[IngestError] = []
    for path in paths:
        path = Path(path)
        problem = _path_problem(path, follow_symlinks)
        if problem is not None:
            refused.append(problem)
            continue
        if path.is_dir():
            found: list[Path] = []
            _walk(path, path, follow_symlinks, found, refused, set())
            files.extend(sorted(found, key=lambda p: p.parts))
        else:
            files.append(path)
    return files, refused


def iter_input_files(paths: list[Path], follow_symlinks: bool = False) -> Iterator[Path]:
    """The files ``discover`` accepts (refused paths are left out silently; ``discover`` reports them)."""
    yield from discover(paths, follow_symlinks)[0]


def _walk(top: Path, folder: Path, follow: bool, found: list[Path], refused: list[IngestError], seen: set) -> None:
    try:
        info = folder.stat()
        key = (info.st_dev, info.st_ino)
        if key in seen:  # a link loop
            return
        seen.add(key)
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        refused.append(IngestError(display_path(folder), f"folder could not be read ({exc.strerror})"))
        return
    for entry in entries:
        if entry.name.startswith(("_", ".")):
            continue
        child = folder / entry.name
        is_link = entry.is_symlink()
        if is_link and not follow:
            if entry.is_dir() or Path(entry.name).suffix.lower() in SUPPORTED_SUFFIXES:
                refused.append(_link_refusal(child))
            continue
        if entry.is_dir():
            problem = _path_problem(child, follow) if is_link else None
            if problem is not None:
                refused.append(problem)
            else:
                _walk(top, child, follow, found, refused, seen)
        elif entry.is_file() and Path(entry.name).suffix.lower() in SUPPORTED_SUFFIXES:
            if Path(entry.name).stem.upper() in _SKIPPED_STEMS:
                continue
            problem = _path_problem(child, follow)
            if problem is not None:
                refused.append(problem)
            else:
                found.append(child)


def _link_refusal(path: Path) -> UnsafePathError:
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    return UnsafePathError(
        display_path(path), f"is a symbolic link (to {display_path(target)}); links are not followed",
        "pass --follow-symlinks to ingest what it points to, or copy the file here",
    )


def _path_problem(path: Path, follow: bool) -> IngestError | None:
    text = str(path)
    if has_lone_surrogate(text) >= 0:
        return UnsafePathError(display_path(path), "the file name is not valid UTF-8", "rename the file")
    if path.is_symlink() and not follow:
        return _link_refusal(path)
    real = os.path.realpath(path)
    if any(real == root or real.startswith(root + "/") for root in SPECIAL_ROOTS):
        return UnsafePathError(
            display_path(path), f"resolves to {display_path(real)}, a special file system (not a document)",
            "name a regular file",
        )
    return None


def read_input(path: Path, max_bytes: int, follow_symlinks: bool = False) -> bytes:
    """The bytes of a regular file, at most ``max_bytes`` of them. Opens with O_NOFOLLOW (a link swapped in after
    ``discover`` is still refused) and O_NONBLOCK (a FIFO never blocks), then checks what was opened."""
    problem = _path_problem(path, follow_symlinks)
    if problem is not None:
        raise problem
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _link_refusal(path) from exc
        if exc.errno == errno.ENOENT:
            raise IngestError(display_path(path), "file not found", "check the path") from exc
        raise IngestError(display_path(path), f"file could not be opened ({exc.strerror})") from exc
    with os.fdopen(fd, "rb", closefd=True) as handle:
        info = os.fstat(handle.fileno())
        if stat.S_ISDIR(info.st_mode):
            raise IngestError(display_path(path), "is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise UnsafePathError(display_path(path), "not a regular file (a FIFO, socket or device)", "name a regular file")
        if info.st_size > max_bytes:
            raise _too_large(path, info.st_size, max_bytes)
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:  # the file grew, or its size was not what stat said
        raise _too_large(path, len(data), max_bytes)
    return data


def _too_large(path: Path, size: int, max_bytes: int) -> FileTooLargeError:
    return FileTooLargeError(
        display_path(path), f"file is {size / 1e6:.1f} MB, above the {max_bytes / 1e6:.0f} MB limit",
        "raise CLINRAG_MAX_FILE_MB or split it",
    )


# ----------------------------------------------------------------------------- loading
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
        raise _text_too_large(path, len(text), max_text_chars)
    if suffix in {".md", ".markdown"}:
        return [parse_markdown(path, text, sha256_bytes(data))], []
    return [parse_plain_text(path, text, sha256_bytes(data))], []


def _text_too_large(path: Path | str, n_chars: int, limit: int) -> FileTooLargeError:
    return FileTooLargeError(
        display_path(path),
        f"extracted text is {n_chars / 1e6:.1f} million characters, above the {limit / 1e6:.0f} million-character "
        "limit of what is embedded",
        "split the document into smaller files",
    )


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
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip():
        raise EmptyDocumentError(display_path(path), "file holds no text")
    return text


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80] or "document"


def split_front_matter(path: Path, text: str) -> tuple[dict[str, Any], str]:
    """(front-matter mapping, body). The block between the first two ``---`` lines is YAML: safe types only, no
    anchors or aliases (an alias bomb of 400 bytes expands to gigabytes), at most 64 KB and 20 levels deep."""
    opening = _FRONT_MATTER.match(text)
    if not opening:
        return {}, text
    closing = _FRONT_MATTER_END.search(text, opening.end())
    if closing is None:
        return {}, text
    block = text[opening.end() : max(opening.end(), closing.start() - 1)]
    body = text[closing.end() + 1 :] if closing.end() < len(text) else ""
    if len(block) > MAX_FRONT_MATTER_CHARS:
        raise CorruptFileError(
            display_path(path), f"front matter is {len(block):,} characters, above the {MAX_FRONT_MATTER_CHARS:,} limit",
            "keep metadata short; put the content in the body",
        )
    loaded = _safe_yaml(path, block)
    if loaded is not None and not isinstance(loaded, dict):
        raise CorruptFileError(display_path(path), "front matter must be a mapping of keys to values")
    return {str(k): v for k, v in (loaded or {}).items()}, body


def _safe_yaml(path: Path, block: str) -> Any:
    depth = 0
    try:
        for event in yaml.parse(block, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise CorruptFileError(
                    display_path(path),
                    f"front matter uses a YAML anchor or alias ({'*' if isinstance(event, yaml.AliasEvent) else '&'}"
                    f"{display_path(event.anchor)[:40]}), which clinrag does not accept",
                    "write each value out in full",
                )
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_FRONT_MATTER_DEPTH:
                    raise CorruptFileError(
                        display_path(path), f"front matter nests deeper than {MAX_FRONT_MATTER_DEPTH} levels",
                        "flatten the metadata",
                    )
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
        return yaml.safe_load(block)
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:  # PyYAML raises ValueError on 2023-13-45
        raise CorruptFileError(
            display_path(path), f"front matter is not valid YAML: {inline(str(exc), 300)}", "fix the block between the --- lines"
        ) from exc


def parse_markdown(path: Path, text: str, sha256: str) -> Document:
    meta, body = split_front_matter(path, text)
    if not body.strip():
        raise EmptyDocumentError(display_path(path), "markdown has no body text after its front matter")
    body, findings = neutralise(body)
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    for heading in _HEADING.finditer(body):
        level, rest = len(heading.group(1)), heading.group(2)
        title = inline(rest.rstrip(" \t#") or rest.strip()[:1])
        if not title:
            continue
        stack = [(lvl, t) for lvl, t in stack if lvl < level] + [(level, title)]
        sections.append(Section(heading.start(), tuple(t for _, t in stack)))
    first_heading = next((s.path[0] for s in sections), "")
    return _document(
        path, body, sha256, meta, default_title=first_heading or _first_line(body), sections=tuple(sections), findings=findings
    )


def parse_plain_text(path: Path, text: str, sha256: str) -> Document:
    text, findings = neutralise(text)
    return _document(path, text, sha256, {}, default_title=_first_line(text), findings=findings)


def parse_jsonl(path: Path, text: str) -> list[Document]:
    documents, errors = parse_jsonl_lenient(path, text)
    if errors:
        raise errors[0]
    return documents


def parse_jsonl_lenient(
    path: Path, text: str, max_text_chars: int = MAX_TEXT_CHARS
) -> tuple[list[Document], list[IngestError]]:
    """One document a line; a bad line is an error for that record (named ``file line N``), not for the file."""
    documents: list[Document] = []
    errors: list[IngestError] = []
    seen: dict[str, int] = {}
    shown = display_path(path)
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            document = _jsonl_record(path, shown, number, line, seen, max_text_chars)
        except IngestError as exc:
            errors.append(exc)
            continue
        except Exception as exc:  # noqa: BLE001 - one record must never cost the file
            errors.append(CorruptFileError(shown, f"line {number}: unexpected {type(exc).__name__}: {inline(str(exc), 200)}"))
            continue
        seen[document.doc_id] = number
        documents.append(document)
    if not documents and not errors:
        raise EmptyDocumentError(shown, "JSONL file holds no documents")
    return documents, errors


def _jsonl_record(path: Path, shown: str, number: int, line: str, seen: dict[str, int], max_text_chars: int) -> Document:
    try:
        return _jsonl_document(path, shown, line, seen, max_text_chars)
    except IngestError as exc:  # name the line: "corpus.jsonl: line 12: ..."
        raise type(exc)(shown, f"line {number}: {exc.reason}", exc.fix) from exc


def _jsonl_document(path: Path, where: str, line: str, seen: dict[str, int], max_text_chars: int) -> Document:
    if len(line) > max_text_chars:
        raise FileTooLargeError(
            where, f"the record is {len(line) / 1e6:.1f} million characters, above the {max_text_chars / 1e6:.0f} "
            "million-character limit of what is embedded", "split the document into several records",
        )
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CorruptFileError(where, f"not valid JSON ({exc.msg})", "one JSON object per line") from exc
    except RecursionError as exc:
        raise CorruptFileError(where, "JSON nested too deeply", "one flat JSON object per line") from exc
    if not isinstance(record, dict):
        raise CorruptFileError(where, f"is a JSON {type(record).__name__}, expected a JSON object")
    _check_strings(where, record)
    doc_id, body = record.get("doc_id"), record.get("text")
    if not isinstance(doc_id, str) or not doc_id.strip():
        raise CorruptFileError(where, "no string 'doc_id'", "every line needs a \"doc_id\"")
    if not isinstance(body, str) or not body.strip():
        raise CorruptFileError(where, f"doc_id {display_path(doc_id)[:80]} has no text")
    if doc_id in seen:
        raise CorruptFileError(
            where, f"repeats doc_id {display_path(doc_id)[:80]} of line {seen[doc_id]}", "doc_ids must be unique in a file"
        )
    body = _CONTROL.sub("", body)
    body, findings = neutralise(body)
    meta = {k: v for k, v in record.items() if k != "text"}
    return _document(
        Path(f"{path}#{doc_id}"), body, sha256_bytes(line.encode()), meta, default_title=_first_line(body), findings=findings,
        where=where, origin=f"{os.path.abspath(path)}#{doc_id}",
    )


def _check_strings(where: str, value: Any, field: str = "") -> None:
    """A lone surrogate (``"\\ud800"`` in JSON or YAML) cannot be stored or printed: name the field."""
    if isinstance(value, str):
        offset = has_lone_surrogate(value)
        if offset >= 0:
            raise EncodingError(
                where,
                f"field {field or 'value'!r} holds a lone surrogate U+{ord(value[offset]):04X} at character {offset}",
                "fix the \\u escape (a surrogate pair needs both halves)",
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(where, str(key), f"{field}.key" if field else "key")
            _check_strings(where, item, f"{field}.{key}" if field else str(key))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_strings(where, item, f"{field}[{i}]")


def load_pdf(path: Path, data: bytes, max_text_chars: int = MAX_TEXT_CHARS) -> Document:
    """Extract page-aware text with pypdf; bookmarks (the outline) become the section paths."""
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    shown = display_path(path)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # pypdf raises several types for unsupported encryption
                raise EncryptedFileError(shown, f"PDF is encrypted ({inline(str(exc), 200)})", "supply an unencrypted copy") from exc
            if not opened:
                raise EncryptedFileError(shown, "PDF is password-protected", "supply an unencrypted copy")
        page_texts: list[str] = []
        total = 0
        for page in reader.pages:
            page_text = _CONTROL.sub("", page.extract_text() or "")
            total += len(page_text)
            if total > max_text_chars:
                raise _text_too_large(path, total, max_text_chars)
            page_texts.append(page_text)
        raw_meta = dict(reader.metadata or {})
        outline = _flatten_outline(reader)
    except (EncryptedFileError, FileTooLargeError):
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError, AttributeError, OSError, RecursionError) as exc:
        raise CorruptFileError(
            shown, f"PDF could not be parsed ({type(exc).__name__}: {inline(str(exc), 200)})", "re-export or re-download it"
        ) from exc
    if not page_texts:
        raise EmptyDocumentError(shown, "PDF has no pages")
    if not any(t.strip() for t in page_texts):
        raise EmptyDocumentError(
            shown, f"PDF has no text layer on any of its {len(page_texts)} pages (scanned or image-only)", "run OCR first"
        )
    pages: list[Page] = []
    parts: list[str] = []
    findings: list[Finding] = []
    offset = 0
    for number, page_text in enumerate(page_texts, start=1):
        page_text = _SURROGATES.sub("\ufffd", page_text.strip("\n"))
        page_text, page_findings = neutralise(page_text)
        findings.extend(Finding(f.start + offset, f.end + offset, f.flag) for f in page_findings)
        pages.append(Page(number, offset, offset + len(page_text)))
        parts.append(page_text)
        offset += len(page_text) + 2
    text = "\n\n".join(parts)
    meta = _pdf_metadata(raw_meta)
    meta["pages_without_text"] = [p.number for p, t in zip(pages, page_texts) if not t.strip()]
    sections = _locate_outline(text, pages, outline)
    default_title = inline(_SURROGATES.sub("\ufffd", str(raw_meta.get("/Title") or ""))) or _first_line(text)
    return _document(
        path, text, sha256_bytes(data), meta, default_title=default_title, pages=tuple(pages), sections=sections,
        findings=tuple(findings),
    )


_SURROGATES = re.compile("[\ud800-\udfff]")


def _pdf_metadata(raw: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if raw.get(PDF_META_KEY):
        try:
            loaded = json.loads(str(raw[PDF_META_KEY]))
            if isinstance(loaded, dict):
                meta.update(loaded)
        except (json.JSONDecodeError, RecursionError):
            pass
    if raw.get("/Author") and "issuer" not in meta:
        meta["issuer"] = str(raw["/Author"])
    return _replace_surrogates(meta)


def _replace_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_replace_surrogates(str(k)): _replace_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_surrogates(v) for v in value]
    return value


def _flatten_outline(reader: Any) -> list[tuple[int, str, int]]:
    """(depth, title, 0-based page index) for every bookmark, in document order."""
    flat: list[tuple[int, str, int]] = []

    def walk(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                if depth < 50:
                    walk(item, depth + 1)
                continue
            try:
                page_index = reader.get_destination_page_number(item)
            except Exception:  # a broken bookmark must not cost the document
                continue
            if page_index is not None and page_index >= 0:
                flat.append((depth, inline(_SURROGATES.sub("\ufffd", str(item.title))), page_index))

    try:
        walk(reader.outline, 0)
    except Exception:
        return []
    return flat


def _locate_outline(text: str, pages: list[Page], outline: list[tuple[int, str, int]]) -> tuple[Section, ...]:
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    last = 0
    for depth, title, page_index in outline:
        if page_index >= len(pages) or not title:
            continue
        page = pages[page_index]
        pattern = r"\s+".join(map(re.escape, title.split()[:40]))
        found = re.search(pattern, text[max(page.start, last) : page.end])
        start = (max(page.start, last) + found.start()) if found else page.start
        stack = [(d, t) for d, t in stack if d < depth] + [(depth, title)]
        if start < last:
            start = last
        sections.append(Section(start, tuple(t for _, t in stack)))
        last = start
    return tuple(sections)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return inline(line[:400])[:200]
    return ""


def _doc_id(where: str, value: Any, path: Path) -> str:
    if value is None or value == "":
        return slug(Path(str(path).split("#")[0]).stem)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise CorruptFileError(where, f"doc_id must be text, found a {type(value).__name__}")
    doc_id = str(value).strip()
    if not doc_id or len(doc_id) > MAX_DOC_ID_CHARS or inline(doc_id, MAX_DOC_ID_CHARS + 1) != doc_id:
        raise CorruptFileError(
            where, f"doc_id {display_path(doc_id)[:80]!s} is not one line of printable text of at most {MAX_DOC_ID_CHARS} characters",
            "use letters, digits and dashes",
        )
    return doc_id


def _document(
    path: Path,
    text: str,
    sha256: str,
    meta: dict[str, Any],
    *,
    default_title: str,
    pages: tuple[Page, ...] = (),
    sections: tuple[Section, ...] = (),
    findings: tuple[Finding, ...] = (),
    where: str | None = None,
    origin: str | None = None,
) -> Document:
    where = where or display_path(path)
    _check_strings(where, meta)
    _check_strings(where, text, "text")
    if not text.strip():
        raise EmptyDocumentError(where, "document has no text")
    status = _status(meta.get("status"))
    if status is None:
        raise CorruptFileError(where, _status_problem(meta.get("status")))
    flags = set(flags_of(findings))
    fields: dict[str, str] = {}
    for key in ("title", "issuer", "version"):
        value, found = neutralise_inline(str(meta.get(key) or ""))
        fields[key] = value
        flags |= found
    date = inline(str(meta.get("effective_date") or meta.get("date") or ""), 40)
    extra = {k: _plain(v) for k, v in meta.items() if k not in _KNOWN_KEYS}
    return Document(
        doc_id=_doc_id(where, meta.get("doc_id"), path),
        title=fields["title"] or default_title or inline(Path(path).stem),
        text=text,
        source_path=display_path(path),
        sha256=sha256,
        issuer=fields["issuer"],
        version=fields["version"],
        date=date,
        status=status,
        pages=pages,
        sections=sections,
        metadata=extra,
        findings=findings,
        flags=tuple(sorted(flags)),
        origin=origin or os.path.abspath(path),
    )


def _status(value: Any) -> str | None:
    """``current`` (the default) or ``superseded`` in lower case; None for anything else."""
    status = str(value or "current").lower()
    return status if status in STATUSES else None


def _status_problem(value: Any) -> str:
    return f"status must be 'current' or 'superseded', found {display_path(str(value).lower())[:40]!r}"


def apply_metadata(document: Document, overrides: Mapping[str, Any], where: str) -> Document:
    """``document`` with its fields replaced by ``overrides`` (keys among ``METADATA_KEYS``), validated and
    neutralised as front matter is: title, issuer and version flattened to one line with hidden or instruction-like
    text neutralised (its flags join the document's), date one line of at most 40 characters, status ``current`` or
    ``superseded``, doc_id one line of printable text. An empty value (or None) keeps the file's own value.

    The document's ``sha256`` becomes a hash of the file's hash and the overrides applied, so the same file ingested
    with other metadata is an update rather than "unchanged"; ``metadata`` keeps the file's hash under
    ``file_sha256`` and the overrides under ``metadata_overrides``. Raises ``MetadataError`` naming ``where`` and
    the key."""
    if not isinstance(overrides, Mapping):
        raise MetadataError(where, f"metadata overrides must be a mapping of field to value, found a {type(overrides).__name__}")
    unknown = sorted(str(k) for k in overrides if k not in METADATA_KEYS)
    if unknown:
        raise MetadataError(
            where, f"unknown metadata field {display_path(unknown[0])[:60]!r}",
            f"use only {', '.join(sorted(METADATA_KEYS))}",
        )
    try:
        _check_strings(where, dict(overrides))
        applied = _overrides(document, overrides, where)
    except MetadataError:
        raise
    except IngestError as exc:
        raise MetadataError(where, f"metadata override: {exc.reason}", exc.fix) from exc
    if not applied:
        return document
    flags = set(document.flags) | set(applied.pop("_flags", ()))
    canonical_overrides = json.dumps(applied, sort_keys=True, ensure_ascii=False)
    return replace(
        document,
        **applied,
        sha256=sha256_bytes(f"{document.sha256}\n{canonical_overrides}".encode()),
        flags=tuple(sorted(flags)),
        metadata={**document.metadata, "file_sha256": document.sha256, "metadata_overrides": applied},
    )


def _overrides(document: Document, overrides: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The validated new values of the fields ``overrides`` changes (empty values left out), plus ``_flags``
    when neutralising a value found something."""
    applied: dict[str, Any] = {}
    found: set[str] = set()
    for key in sorted(overrides):
        value = overrides[key]
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int, float, datetime.date)):
            raise MetadataError(where, f"metadata field {key!r} must be text, found a {type(value).__name__}",
                                "give it as a string")
        text = value.isoformat() if isinstance(value, datetime.date) else str(value)
        if key in ("title", "issuer", "version"):
            clean, flags = neutralise_inline(text)
            if clean:
                applied[key] = clean
                found |= flags
        elif key == "date":
            if inline(text, 40):
                applied[key] = inline(text, 40)
        elif key == "status":
            status = _status(text)
            if status is None:
                raise MetadataError(where, f"metadata override: {_status_problem(text)}", "choose current or superseded")
            applied[key] = status
        else:  # doc_id
            applied[key] = _doc_id(where, text, Path(document.source_path))
    if found:
        applied["_flags"] = sorted(found)
    return applied


def _plain(value: Any) -> Any:
    """Front-matter values as JSON-safe data (YAML dates become ISO strings)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)
