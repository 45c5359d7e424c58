"""The cache of suite indexes that ``clinrag eval`` builds: one folder per key under the setting ``eval_index_dir``
(key: sha256 of the corpus files' hashes, the excluded ids and ``settings.index_fingerprint()``). Suites that
share corpus files reuse embeddings: a cached index of a superset is copied and cut down, one of a subset is
extended with the missing files.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from clinrag.errors import SuiteError
from clinrag.records import sha256_file
from clinrag.settings import Settings
from eval.outputs import write_json
from eval.suites import Suite, corpus_hashes, index_key

MARKER = "eval-index.json"


def _log(message: str) -> None:
    print(f"clinrag eval: {message}", file=sys.stderr)


# ----------------------------------------------------------------------------- index cache
def index_root_dir(index_root: Path | None = None, settings: Settings | None = None) -> Path:
    """``index_root`` when given, else the setting ``eval_index_dir`` (``CLINRAG_EVAL_INDEX_DIR``, or the older
    ``CLINRAG_EVAL_INDEX_ROOT``; default ``<data_dir>/eval-index``)."""
    if index_root is not None:
        return Path(index_root)
    from clinrag.settings import load_settings

    return Path((settings or load_settings()).eval_index_dir)


def ensure_index(
    suite: Suite, settings: Settings, embedder: Any = None, index_root: Path | None = None
) -> tuple[Path, dict[str, Any]]:
    """The folder of the suite's index, built now unless a complete one with the same key exists."""
    from composition.app import App
    from ingest.pipeline import ingest_paths

    embedder_name = "" if embedder is None else str(getattr(embedder, "name", type(embedder).__name__))
    key = index_key(suite, settings.index_fingerprint(), embedder_name)
    folder = index_root_dir(index_root, settings) / key
    marker = folder / MARKER
    if marker.is_file():
        info = json.loads(marker.read_text(encoding="utf-8"))
        return folder, {**info, "dir": str(folder), "built": False}
    if folder.exists():  # an interrupted build: start again
        shutil.rmtree(folder)
    derived = _derive_from_cached_index(suite, settings, embedder, index_root, folder, key, embedder_name)
    if derived is not None:
        return folder, {**derived, "dir": str(folder), "built": True}
    _log(f"building the index of suite {suite.name!r} in {folder} (cached for later runs)")
    app = App(settings.model_copy(update={"index_dir": folder}), embedder=embedder)
    started = time.perf_counter()
    report = ingest_paths(
        list(suite.corpus), app.settings, app.embedder, app.store,
        on_event=lambda m: _log(m), exclude_doc_ids=set(suite.exclude_doc_ids),
    )
    if not (report.added or report.updated or report.unchanged):
        reasons = "; ".join(f"{p}: {r}" for p, r in report.failed) or "no documents"
        shutil.rmtree(folder, ignore_errors=True)
        raise SuiteError(f"{suite.root / 'suite.json'}: no corpus document could be indexed ({reasons}); fix the corpus entries")
    for path, reason in report.failed:
        _log(f"warning: corpus file {path} was not indexed: {reason}")
    info = {
        "key": key,
        "suite": suite.name,
        "corpus": [str(p) for p in suite.corpus],
        "corpus_files": sorted([list(x) for x in corpus_hashes(suite.corpus)]),
        "excluded_ids": len(suite.exclude_doc_ids),
        "index_fingerprint": settings.index_fingerprint(),
        "embedder": embedder_name or settings.embedding.package,
        "documents": len(report.added) + len(report.updated) + len(report.unchanged),
        "chunks": report.chunks_written,
        "failed": [{"path": p, "reason": r} for p, r in report.failed],
        "build_s": round(time.perf_counter() - started, 2),
    }
    write_json(marker, info)
    return folder, {**info, "dir": str(folder), "built": True}


def _derive_from_cached_index(
    suite: Suite, settings: Settings, embedder: Any, index_root: Path | None, folder: Path, key: str, embedder_name: str
) -> dict[str, Any] | None:
    """Reuse embeddings across suites: copy a cached index whose corpus files include this suite's, then remove the
    documents this suite must not see (excluded ids, and documents of corpus files it does not list). Removal costs
    no embedding. A suite with exclusions and no such index first builds its full-corpus index. Returns None (and
    the caller builds from scratch) when nothing can be reused or the copy does not come out consistent."""
    import dataclasses

    from composition.app import App

    wanted = {tuple(x) for x in corpus_hashes(suite.corpus)}
    fingerprint = settings.index_fingerprint()
    embedder_id = embedder_name or settings.embedding.package
    source = _superset_index(index_root_dir(index_root, settings), wanted, fingerprint, embedder_id)
    missing_files: list[Path] = []
    if source is None:
        subset = _subset_index(index_root_dir(index_root, settings), wanted, fingerprint, embedder_id)
        if subset is not None:  # extend a cached index of some of the files with the rest
            source, have = subset
            from ingest.loaders import iter_input_files

            missing_files = [p for p in iter_input_files(list(suite.corpus)) if (p.name, sha256_file(p)) not in have]
        elif not suite.exclude_doc_ids:
            return None
        else:
            source, _ = ensure_index(dataclasses.replace(suite, exclude_doc_ids=frozenset()), settings, embedder, index_root)
    started = time.perf_counter()
    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(source, staging)
    (staging / MARKER).unlink(missing_ok=True)
    app = App(settings.model_copy(update={"index_dir": staging}), embedder=embedder)
    names = {name for name, _ in wanted}
    removed = sorted(
        d["doc_id"] for d in app.store.documents()
        if d["doc_id"] in suite.exclude_doc_ids or Path(d["source_path"].split("#")[0]).name not in names
    )
    if removed:
        app.store.apply([], remove_doc_ids=removed)
    if missing_files:
        from ingest.pipeline import ingest_paths

        report = ingest_paths(missing_files, app.settings, app.embedder, app.store, on_event=_log,
                              exclude_doc_ids=set(suite.exclude_doc_ids))
        if report.failed:
            _log(f"warning: corpus files not indexed: {report.failed}")
    stats = app.store.stats()
    if stats.get("vectors") != stats.get("chunks") or not stats.get("documents"):
        _log(f"derived index of {suite.name} is inconsistent ({stats}); building from scratch")
        shutil.rmtree(staging, ignore_errors=True)
        return None
    info = {
        "key": key,
        "suite": suite.name,
        "corpus": [str(p) for p in suite.corpus],
        "corpus_files": sorted([list(x) for x in wanted]),
        "excluded_ids": len(suite.exclude_doc_ids),
        "removed_from_source_index": len(removed),
        "derived_from": source.name,
        "index_fingerprint": fingerprint,
        "embedder": embedder_name or settings.embedding.package,
        "documents": stats.get("documents"),
        "chunks": stats.get("chunks"),
        "failed": [],
        "build_s": round(time.perf_counter() - started, 2),
    }
    write_json(staging / MARKER, info)
    staging.rename(folder)
    return info


def _cached_indexes(root: Path, fingerprint: str, embedder: str):
    """(folder, corpus files, chunks) of every complete cached index built without exclusions for these settings."""
    for marker in root.glob(f"*/{MARKER}"):
        try:
            info = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        files = {tuple(x) for x in info.get("corpus_files") or []}
        if info.get("index_fingerprint") == fingerprint and info.get("embedder") == embedder and files and not info.get("excluded_ids"):
            yield marker.parent, files, int(info.get("chunks") or 0)


def _subset_index(
    root: Path, wanted: set[tuple[str, str]], fingerprint: str, embedder: str
) -> tuple[Path, set[tuple[str, str]]] | None:
    """The largest cached index whose corpus files are all in ``wanted``."""
    found = [(size, folder, files) for folder, files, size in _cached_indexes(root, fingerprint, embedder) if files <= wanted]
    if not found:
        return None
    _, folder, files = max(found, key=lambda t: t[0])
    return folder, files


def _superset_index(root: Path, wanted: set[tuple[str, str]], fingerprint: str, embedder: str) -> Path | None:
    """The smallest cached index whose corpus files include ``wanted``."""
    found = [(size, folder) for folder, files, size in _cached_indexes(root, fingerprint, embedder) if wanted <= files]
    return min(found, key=lambda t: t[0])[1] if found else None
