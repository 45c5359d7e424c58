"""Finding and reading input files: folders walked in sorted order, links refused unless asked, only regular
files read and never more than the size limit. The only part of ingest/ that touches the file system."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from clinrag.errors import FileTooLargeError, IngestError, UnsafePathError
from ingest.sanitize import display_path, has_lone_surrogate

SUPPORTED_SUFFIXES = {".pdf", ".md", ".markdown", ".txt", ".text", ".jsonl"}
SPECIAL_ROOTS = ("/proc", "/sys", "/dev")
_SKIPPED_STEMS = {"README", "NOTICE", "LICENSE"}


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
