"""Make the index match a folder: ``clinrag ingest --sync DIR``.

New and changed files are ingested, unchanged ones skipped (by the sha256 of the file, without parsing it), and the
documents whose file has disappeared from the folder are removed (``report.removed``), all in one commit at the
end. Only documents that came from inside the folder are ever removed; documents from elsewhere are left alone.

What is never removed: a document whose file is still in the folder but failed to load this time (corrupt, too
large, a malformed JSONL record): its previous version stays searchable and the failure is reported and logged. A
document whose file was renamed (or that moved to another file of the folder) is taken over by its new file.

Settings: documents written with other chunking settings are re-processed (``reprocess``): those whose chunks come
out the same are only re-stamped, the others re-chunked, and only their new chunks embedded. An embedder change
cannot be done document by document (vectors of two models do not mix); it needs ``--rebuild``.

Crash safety: every file is committed on its own and the removals in one transaction, so a process killed during a
sync leaves a whole index (some files done, the rest not); the next sync finishes the job.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from clinrag.errors import IngestError
from clinrag.protocols import Embedder
from clinrag.settings import Settings
from ingest.files import discover
from ingest.index import IndexStore
from ingest.library_records import file_of
from ingest.pipeline import IngestReport, ingest_paths
from ingest.sanitize import display, display_path


def inside(key: str, folder: str) -> bool:
    """Whether the source key (an absolute path, ``#doc_id`` for a JSONL record) lies in ``folder``."""
    path = file_of(key)
    return bool(path) and os.path.commonpath([path, folder]) == folder if os.path.isabs(path) else False


def sync_folder(
    folder: Path,
    settings: Settings,
    embedder: Embedder,
    store: IndexStore,
    on_event: Callable[[str], None] = lambda _m: None,
    *,
    user: str = "",
    follow_symlinks: bool = False,
    on_progress: Callable[[int, int, str], None] | None = None,
    engine: Callable[[list[str]], np.ndarray] | None = None,
) -> IngestReport:
    root = os.path.abspath(folder)
    if not os.path.isdir(root):
        raise IngestError(display_path(folder), "--sync needs a folder", "name the folder the index should match")
    follow = follow_symlinks or settings.ingest.follow_symlinks
    files, refused = discover([Path(root)], follow)
    present = {os.path.abspath(f) for f in files} | {os.path.abspath(e.path) for e in refused}
    owned = {doc_id: o for doc_id, o in store.document_owners().items() if inside(o.get("source_key") or "", root)}
    gone = frozenset(d for d, o in owned.items() if file_of(o["source_key"]) not in present)
    if files:
        report = ingest_paths([Path(root)], settings, embedder, store, on_event, follow_symlinks=follow,
                              on_progress=on_progress, user=user, released=gone, reprocess=True, engine=engine)
    else:
        report = IngestReport()
    seen = set(report.added) | set(report.updated) | set(report.unchanged)
    # a document not seen goes when its file left the folder, or when its file loaded whole and no longer holds it
    remove = sorted(d for d, o in owned.items() if d not in seen and (
        d in gone or file_of(o["source_key"]) in report.clean_files))
    if remove:
        result = store.apply([], remove_doc_ids=remove, audit=("remove", f"its file is no longer in {display(root, 300)}"),
                             user=user, reprocess=True)
        report.removed = result.removed
        for doc_id in report.removed:
            on_event(f"removed {display(doc_id, 120)} ({display(owned[doc_id]['source_path'], 300)} is gone)")
    return report
