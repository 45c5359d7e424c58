"""Questions first while an ingest runs (setting ``ingest.priority``, default ``background``).

On 2 cores an ingest that embeds with every core made each search about 17 times slower. A background ingest
(``background(settings.ingest)``, around the whole batch in ``ingest_paths``) therefore

- lowers the scheduling priority of the thread that runs it by ``ingest.nice_increment`` (Linux keeps a nice
  value per thread, so in the app's process only the upload's thread yields, not the threads answering
  questions; threads it starts, such as Chroma's, inherit it), and puts it back afterwards where the process
  may (raising a priority needs root or ``RLIMIT_NICE``; otherwise that thread stays lowered until it ends);
- caps torch at ``ingest.embed_threads`` threads while it runs (0, the default: one fewer than the cores, at
  least one), so the embedder leaves a core to questions (process-wide, ``clinrag.threads``: an answer
  computed meanwhile in the same process also uses that many; the former count comes back when it ends).

``normal`` leaves both alone. Neither changes what is written: the same chunks, terms and postings; a vector may
differ in its last float bits (another thread count sums in another order), as it may between two machines.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from clinrag.settings import IngestSettings
from clinrag.threads import capped_threads


@contextmanager
def background(settings: IngestSettings) -> Iterator[None]:
    if settings.priority != "background":
        yield
        return
    lowered = _lower_priority(settings.nice_increment)
    try:
        with capped_threads(settings.embed_threads or max(1, (os.cpu_count() or 2) - 1)):
            yield
    finally:
        if lowered is not None:
            try:
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), lowered)
            except OSError:  # not permitted to raise it again: this thread stays lowered
                pass


def _lower_priority(increment: int) -> int | None:
    """The thread's former nice value, or None when nothing was changed."""
    if increment <= 0 or not hasattr(os, "setpriority"):
        return None
    try:
        me = threading.get_native_id()
        before = os.getpriority(os.PRIO_PROCESS, me)
        os.setpriority(os.PRIO_PROCESS, me, min(19, before + increment))
        return before
    except OSError:
        return None
