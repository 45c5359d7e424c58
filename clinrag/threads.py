"""torch's intra-op thread count, capped for a while: ``with capped_threads(1): model.encode(...)``.

Why: on a machine whose cores are also busy with other work (another process, an ingest), an operation split
over every core waits at each barrier for the thread that was not scheduled. Measured on 2 shared cores, one
MiniLM query encode took p50 237-353 ms with 2 threads and 19-23 ms with 1 (``clinrag bench``, "query encoding
alone"). A short query gains little from more threads even on an idle machine.

The count is process-wide in torch, so caps are counted: the first one saves the count, nested or concurrent
ones (two questions from two threads of the app) take the smallest cap asked, and the last one to end restores
the saved count. A cap never changes a result beyond the last float bits (a sum in another order).
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.Lock()
_CAPS: list[int] = []
_SAVED: int | None = None


@contextmanager
def capped_threads(threads: int) -> Iterator[None]:
    """At most ``threads`` torch threads inside the block (0, or torch not installed: nothing changes)."""
    if threads <= 0 or importlib.util.find_spec("torch") is None:
        yield
        return
    import torch

    global _SAVED
    with _LOCK:
        if not _CAPS:
            _SAVED = torch.get_num_threads()
        _CAPS.append(threads)
        wanted = min(min(_CAPS), _SAVED or threads)
        if torch.get_num_threads() != wanted:
            torch.set_num_threads(wanted)
    try:
        yield
    finally:
        with _LOCK:
            _CAPS.remove(threads)
            wanted = min(_CAPS) if _CAPS else _SAVED
            if wanted and torch.get_num_threads() != wanted:
                torch.set_num_threads(min(wanted, _SAVED or wanted))
            if not _CAPS:
                _SAVED = None
