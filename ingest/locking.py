"""The index's writer lock: ``fcntl.flock`` on ``<index>/.lock``, shared by every process and thread.

Writers (ingest, removal, library actions, the rebuild swap) hold it; readers never take it (SQLite gives them a
consistent snapshot, and searches only return chunks the catalog knows). The kernel releases a flock when its
holder dies, so a ``kill -9`` never leaves the index locked. The lock is re-entrant within a thread (a rebuild
holds it while the ingest it runs takes it per file) and exclusive between threads of one process (a flock is
per open file, so two threads would otherwise both get it through separate opens).

The lock file's content is informational only (who holds it, since when); it is never trusted.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from clinrag.errors import IndexBusyError, IndexStateError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".lock"
# TODO(settings): ``ingest.lock_timeout_s`` (float, default 600). How long a writer waits for another writer
# (an ingest commits per file, so waits are short; a --rebuild holds the lock for its whole run).
LOCK_TIMEOUT_S = 600.0


class _Held:
    def __init__(self) -> None:
        self.thread_lock = threading.RLock()
        self.depth = 0
        self.fd: int | None = None
        self.owner: int | None = None


_REGISTRY: dict[str, _Held] = {}
_REGISTRY_LOCK = threading.Lock()


class IndexLock:
    """Exclusive writer lock of one index folder. Cheap to create; opens nothing until ``hold``."""

    def __init__(self, root: Path, timeout_s: float = LOCK_TIMEOUT_S) -> None:
        self.path = Path(root) / LOCK_NAME
        self.timeout_s = timeout_s

    def _held(self) -> _Held:
        key = os.path.abspath(self.path)
        with _REGISTRY_LOCK:
            return _REGISTRY.setdefault(key, _Held())

    def held_here(self) -> bool:
        """Whether this thread holds the lock (re-entrant holds included)."""
        held = self._held()
        return held.depth > 0 and held.owner == threading.get_ident()

    @contextmanager
    def hold(self, purpose: str = "write") -> Iterator[None]:
        held = self._held()
        deadline = time.monotonic() + self.timeout_s
        if not held.thread_lock.acquire(timeout=max(0.0, self.timeout_s)):
            raise self._busy(purpose)
        try:
            if held.depth == 0:
                held.fd = self._acquire_file(purpose, deadline)
                held.owner = threading.get_ident()
            held.depth += 1
            try:
                yield
            finally:
                held.depth -= 1
                if held.depth == 0 and held.fd is not None:
                    fd, held.fd, held.owner = held.fd, None, None
                    try:
                        if fcntl is not None:
                            fcntl.flock(fd, fcntl.LOCK_UN)
                    finally:
                        os.close(fd)
        finally:
            held.thread_lock.release()

    def _acquire_file(self, purpose: str, deadline: float) -> int:
        if fcntl is None:  # pragma: no cover
            raise IndexStateError("index locking needs fcntl (Linux or macOS); this platform has none")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        delay = 0.01
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise self._busy(purpose) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.25)
            except BaseException:
                os.close(fd)
                raise
        try:
            info = json.dumps({"pid": os.getpid(), "purpose": purpose, "since": time.strftime("%Y-%m-%dT%H:%M:%S"),
                               "command": " ".join(sys.argv[:3])[:200]})
            os.ftruncate(fd, 0)
            os.pwrite(fd, info.encode(), 0)
        except OSError:
            pass  # informational only
        return fd

    def holder(self) -> str:
        try:
            info = json.loads(self.path.read_text(encoding="utf-8") or "{}")
            return f"pid {int(info.get('pid', 0))} ({str(info.get('purpose', '?'))[:40]}, since {str(info.get('since', '?'))[:25]})"
        except (OSError, ValueError, TypeError):
            return "another process"

    def _busy(self, purpose: str) -> IndexBusyError:
        return IndexBusyError(
            f"the index at {self.path.parent} is being written by {self.holder()}; waited {self.timeout_s:.0f}s "
            f"to {purpose}. Retry when that ingest finishes"
        )
