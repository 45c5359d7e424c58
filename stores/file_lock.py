"""The lock every record store appends or rewrites its file under: an exclusive ``fcntl.flock`` on a lock file
beside it (safe across threads and processes on one machine; not across machines sharing a network file system)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator


@contextmanager
def exclusive_file_lock(lock_path: Path, failure: Callable[[OSError], Exception]) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``lock_path`` (its folder is created) so appends from other processes and
    threads never interleave; ``failure`` turns an ``OSError`` opening it into the caller's named error."""
    import fcntl

    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+")  # noqa: SIM115 - closed by the with block below
    except OSError as exc:
        raise failure(exc) from exc
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
