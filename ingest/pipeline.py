"""Ingest files into the index: load, chunk, embed, then write each file in its own consistent step.

Isolation: a file (or a JSONL record) that fails at any stage, for any reason, is reported by name with its reason
and contributes nothing; the rest of the batch is still ingested. Each file is committed on its own (a large
JSONL corpus in batches of ``COMMIT_DOCS`` documents), so a crash loses at most what was in flight. Only errors
of the environment (the index was built with other settings, the model is missing, the index is locked) stop a
batch.

Ownership: a doc_id belongs to the source file that brought it. The same file re-ingested updates it; another
file claiming it is an error for that file unless ``replace`` or its front matter says ``supersedes: <doc_id>``;
within one batch a second file claiming a doc_id is an error for the second.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from clinrag.errors import ClinragError, DocIdConflictError, IngestError, MetadataError
from clinrag.protocols import Embedder
from clinrag.records import Document, sha256_file
from clinrag.settings import Settings
from ingest import ingest_log
from ingest.index import IndexStore
from ingest.library_records import file_of
from ingest.loaders import apply_metadata, discover, load_file_lenient
from ingest.ownership import claim_conflict, conflict_fix, source_key
from ingest.prepare import chunk_many, header_text, prepare_many
from ingest.priority import background
from ingest.sanitize import display, display_path

# Default of the setting ``ingest.commit_docs``: documents of one JSONL file written per commit.
COMMIT_DOCS = 256


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file as printable text, reason)
    files: int = 0
    chunks_written: int = 0
    timings_s: dict[str, float] = field(default_factory=dict)
    # documents written now whose text was neutralised or flagged (ingest.sanitize), with how many chunks are
    flagged: list[dict[str, Any]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # a sync: documents whose file left the folder
    restamped: list[str] = field(default_factory=list)  # unchanged under new chunking settings: marked, not rewritten
    chunks_reused: int = 0  # chunk vectors taken from the index instead of embedded again (same chunk, same text)
    # files every document of which is now in the index (absolute paths; what a sync may judge its removals by)
    clean_files: set[str] = field(default_factory=set, repr=False)

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        removed = f", {len(self.removed)} removed" if self.removed else ""
        line = (
            f"{self.files} file(s): {len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged{removed}, {len(self.failed)} failed; {self.chunks_written} chunks written"
        )
        if self.flagged:
            line += f"; {len(self.flagged)} document(s) flagged"
        return line

    def to_dict(self) -> dict:
        return {
            "files": self.files,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": [{"path": p, "reason": r} for p, r in self.failed],
            "flagged": self.flagged,
            "chunks_written": self.chunks_written,
            "timings_s": self.timings_s,
            "removed": self.removed,
            "restamped": self.restamped,
            "chunks_reused": self.chunks_reused,
        }

    def fail(self, path: str, reason: str) -> None:
        self.failed.append((display(path, 1000), display(reason, 1000)))

    def fail_with(self, error: IngestError) -> None:
        """The file and the reason, with the fix when the error names one."""
        self.fail(error.path, error.reason + (f" ({error.fix})" if error.fix else ""))


@dataclass
class _Batch:
    """What one ingest run knows and has decided so far."""

    settings: Settings
    embedder: Embedder
    store: IndexStore
    on_event: Callable[[str], None]
    exclude: frozenset[str]
    replace: bool
    follow_symlinks: bool
    report: IngestReport
    owners: dict[str, dict[str, str]]
    overrides: dict[str, Mapping[str, Any]] = field(default_factory=dict)  # absolute file path -> metadata overrides
    claimed: dict[str, str] = field(default_factory=dict)  # doc_id -> file (printable) that provided it in this batch
    user: str = ""
    released: frozenset[str] = frozenset()  # doc_ids another file may take over (their file left a synced folder)
    reprocess: bool = False  # documents processed with other chunking settings are re-processed (a sync)
    files_known: dict[str, dict[str, Any]] = field(default_factory=dict)  # store.source_files()
    by_file: dict[str, list[str]] = field(default_factory=dict)  # file (absolute) -> its doc_ids in the index
    engine: Callable[[list[str]], np.ndarray] | None = None  # texts -> vectors instead of the embedder
    t_load: float = 0.0
    t_embed: float = 0.0
    t_write: float = 0.0


def ingest_paths(
    paths: list[Path],
    settings: Settings,
    embedder: Embedder,
    store: IndexStore,
    on_event: Callable[[str], None] = lambda _msg: None,
    exclude_doc_ids: set[str] | frozenset[str] = frozenset(),
    *,
    replace: bool = False,
    follow_symlinks: bool = False,
    metadata: Mapping[str, Mapping[str, Any]] | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
    user: str = "",
    released: frozenset[str] = frozenset(),
    reprocess: bool = False,
    engine: Callable[[list[str]], np.ndarray] | None = None,
) -> IngestReport:
    """Ingest files and folders; documents whose id is in ``exclude_doc_ids`` are skipped (evaluation suites
    remove the evidence of must-refuse questions this way). ``replace`` lets a file take over a doc_id that
    another file holds; ``follow_symlinks`` reads what symbolic links point to (refused by name otherwise).

    ``metadata`` maps a file path (compared as ``os.path.abspath``) to fields that replace the loaded document's
    own (title, issuer, version, date, status, doc_id; ``ingest.loaders.apply_metadata``): an invalid value or an
    unknown field fails that file by name, as does metadata for a JSONL file (many documents) or for a path that is
    not among the files ingested. ``on_progress(files_done, files_total, file)`` is called after each file, whether
    it succeeded or failed, with the file's printable name.

    ``user`` is named in the ingest log (``ingest.ingest_log``), which records every document written and every
    failure. ``released`` doc_ids may be taken over by another file (a sync: their file left the folder);
    ``reprocess`` re-processes documents written with other chunking settings (``IndexStore.check_compatible``).
    ``engine`` embeds texts instead of the embedder (``ingest.ray_engine``); vectors are written here either way."""
    report = IngestReport()
    store.check_compatible(reprocess)
    follow_symlinks = follow_symlinks or settings.ingest.follow_symlinks
    overrides = {os.path.abspath(str(p)): dict(m) if isinstance(m, Mapping) else m for p, m in (metadata or {}).items()}
    files, refused = discover(list(paths), follow_symlinks)
    _report_unusable_inputs(report, files, refused, overrides, on_event)
    if not files:
        if not refused:
            report.fail(", ".join(map(display_path, paths)), "no supported files found (.pdf, .md, .markdown, .txt, .jsonl)")
        return report
    if store.exists():
        repaired = store.recover()
        if repaired:
            on_event(f"recovered from an interrupted write: {display(repaired, 300)}")
    batch = _Batch(settings, embedder, store, on_event, frozenset(exclude_doc_ids), replace, follow_symlinks, report,
                   store.document_owners(), overrides, user=user, released=frozenset(released), reprocess=reprocess,
                   files_known=store.source_files(), engine=engine)
    for doc_id, owner in batch.owners.items():
        batch.by_file.setdefault(file_of(owner.get("source_key") or ""), []).append(doc_id)
    with background(settings.ingest):  # questions first while this ingest runs (ingest/priority.py)
        for done, path in enumerate(files, start=1):
            report.files += 1
            shown = display_path(path)
            _ingest_file_isolated(batch, path, shown)
            if on_progress is not None:
                on_progress(done, len(files), shown)
    store.log_failures([ingest_log.entry("ingest", user=user, file=path, outcome="failed", detail=reason)
                        for path, reason in report.failed])
    report.timings_s = {
        "load": round(batch.t_load, 3),
        "chunk_and_embed": round(batch.t_embed, 3),
        "write": round(batch.t_write, 3),
    }
    return report


def _report_unusable_inputs(report: IngestReport, files: list[Path], refused: list[IngestError],
                            overrides: dict[str, Mapping[str, Any]], on_event: Callable[[str], None]) -> None:
    """Fail by name the paths that were refused (links, special files) and the metadata given for a path that is not
    among the files to ingest."""
    for error in refused:
        report.fail_with(error)
        on_event(f"FAILED  {display(error, 1000)}")
    unmatched = set(overrides) - {os.path.abspath(f) for f in files} - {os.path.abspath(e.path) for e in refused}
    for path in sorted(unmatched):
        error = MetadataError(display_path(path), "metadata was given for this file, but it is not among the files to "
                                                  "ingest", "key the metadata by the path of a file that is ingested")
        report.fail_with(error)
        on_event(f"FAILED  {display(error, 1000)}")


def _ingest_file_isolated(batch: _Batch, path: Path, shown: str) -> None:
    """One file: a failure of the file (or anything unexpected) costs this file only and is reported by name; an
    error of the index, the settings or the model stops the batch."""
    report, on_event = batch.report, batch.on_event
    try:
        _ingest_file(batch, path, shown)
    except IngestError as exc:
        report.fail_with(exc)
        on_event(f"FAILED  {display(exc, 1000)}")
    except ClinragError:
        raise  # the index, the settings or the model: nothing the next file could do better
    except Exception as exc:  # noqa: BLE001 - any other failure costs this file only
        report.fail(shown, f"unexpected {type(exc).__name__}: {exc}")
        on_event(f"FAILED  {shown}: unexpected {type(exc).__name__}: {display(exc, 300)}")


def _ingest_file(batch: _Batch, path: Path, shown: str) -> None:
    report = batch.report
    overrides = batch.overrides.get(os.path.abspath(path))
    if overrides is not None and path.suffix.lower() == ".jsonl":
        raise MetadataError(
            shown, "metadata overrides apply to single-document files (PDF, Markdown, text); a JSONL file holds many "
            "documents", "set title, version, date, status and doc_id in each JSONL record instead",
        )
    started = time.perf_counter()
    whole = os.path.abspath(path)
    file_sha = _file_sha(path)
    if overrides is None and not batch.exclude and _file_unchanged(batch, whole, file_sha):
        _skip_unchanged_file(batch, whole, shown, started)
        return
    documents, failures = _load_documents(batch, path, shown, overrides, started)
    many = len(documents) > 1 or path.suffix.lower() == ".jsonl"
    pending, unchanged, refused = _sort_by_claim(batch, documents, shown, many)
    failures += refused
    pending, restamp = _split_restamps(batch, pending)
    if restamp:
        _restamp(batch, restamp, shown)
        unchanged.extend(restamp)
    report.unchanged.extend(unchanged)
    written = _write_pending(batch, pending, shown)
    report.chunks_written += written
    if not failures:
        report.clean_files.add(whole)
        if overrides is None and not batch.exclude and file_sha and documents:
            batch.store.record_file(whole, file_sha, batch.store.index_fingerprint, len(documents))
    note = ""
    flagged = [f for f in report.flagged if f["doc_id"] in {d.doc_id for d in pending}]
    if flagged:
        note = "; flagged: " + ", ".join(f"{display(f['doc_id'], 80)} ({', '.join(f['flags'])})" for f in flagged[:5])
    batch.on_event(
        f"ok      {shown}: {len(documents)} document(s), {len(unchanged)} unchanged, {written} new chunks{note}"
    )


def _skip_unchanged_file(batch: _Batch, whole: str, shown: str, started: float) -> None:
    """A file the index holds whole and unchanged: its documents count as unchanged, nothing is parsed."""
    report = batch.report
    held = batch.by_file.get(whole, [])
    report.unchanged.extend(held)
    for doc_id in held:
        batch.claimed[doc_id] = shown
    report.clean_files.add(whole)
    batch.t_load += time.perf_counter() - started
    batch.on_event(f"ok      {shown}: unchanged ({len(held)} document(s), same sha256)")


def _load_documents(batch: _Batch, path: Path, shown: str, overrides: Mapping[str, Any] | None, started: float
                    ) -> tuple[list[Document], int]:
    """The file's documents, metadata overrides applied and excluded doc_ids left out, and how many of its records
    failed (each reported by name)."""
    documents, record_errors = load_file_lenient(
        path, int(batch.settings.max_file_mb * 1e6), follow_symlinks=batch.follow_symlinks,
        max_text_chars=batch.settings.ingest.max_text_chars
    )
    if overrides is not None:
        documents = [apply_metadata(d, overrides, shown) for d in documents]
    batch.t_load += time.perf_counter() - started
    for error in record_errors:
        batch.report.fail_with(error)
        batch.on_event(f"FAILED  {display(error, 1000)}")
    return [d for d in documents if d.doc_id not in batch.exclude], len(record_errors)


def _sort_by_claim(batch: _Batch, documents: list[Document], shown: str, many: bool
                   ) -> tuple[list[Document], list[str], int]:
    """(documents to write, doc_ids the index holds unchanged, how many records were refused): a record whose doc_id
    belongs elsewhere fails alone in a file of many; in a file of one it fails the file."""
    pending: list[Document] = []
    unchanged: list[str] = []
    refused = 0
    for document in documents:
        try:
            problem = _claim_problem(batch, document, shown, many)
        except IngestError as exc:
            if not many:
                raise
            batch.report.fail_with(exc)
            batch.on_event(f"FAILED  {display(exc, 1000)}")
            refused += 1
            continue
        if problem == "unchanged":
            unchanged.append(document.doc_id)
            batch.claimed[document.doc_id] = shown
        else:
            pending.append(document)
    return pending, unchanged, refused


def _restamp(batch: _Batch, doc_ids: list[str], shown: str) -> None:
    """Documents the current settings chunk into the very chunks they hold: stamped, not rewritten."""
    batch.store.restamp(doc_ids)
    for doc_id in doc_ids:
        batch.owners[doc_id] = {**batch.owners[doc_id], "fingerprint": batch.store.index_fingerprint}
        batch.claimed[doc_id] = shown
    batch.report.restamped.extend(doc_ids)


def _write_pending(batch: _Batch, pending: list[Document], shown: str) -> int:
    """Chunk, embed and write the documents, ``ingest.commit_docs`` of them a commit; returns the chunks written."""
    report = batch.report
    written = 0
    step = batch.settings.ingest.commit_docs
    for start in range(0, len(pending), step):
        group = pending[start : start + step]
        begin = time.perf_counter()
        prepared = prepare_many(group, batch.settings, batch.embedder, batch.on_event, reuse=batch.store,
                                embed=batch.engine)
        batch.t_embed += time.perf_counter() - begin
        begin = time.perf_counter()
        result = batch.store.apply(prepared, replace=batch.replace, user=batch.user, released=batch.released,
                                   reprocess=batch.reprocess)
        batch.t_write += time.perf_counter() - begin
        report.chunks_reused += sum(p.reused for p in prepared)
        report.added.extend(result.added)
        report.updated.extend(result.updated)
        for p in prepared:
            d = p.document
            batch.claimed[d.doc_id] = shown
            batch.owners[d.doc_id] = {"sha256": d.sha256, "source_path": d.source_path, "source_key": source_key(d),
                                      "fingerprint": batch.store.index_fingerprint}
            written += len(p.chunks)
            flagged_chunks = sum(1 for c in p.chunks if c.flags)
            if d.flags or flagged_chunks:
                report.flagged.append({
                    "doc_id": d.doc_id, "source_path": d.source_path, "flags": list(d.flags),
                    "flagged_chunks": flagged_chunks, "chunks": len(p.chunks),
                })
    return written


def _claim_problem(batch: _Batch, document: Document, shown: str, many: bool) -> str | None:
    """``"unchanged"`` when the index holds this very document; raises when the doc_id belongs elsewhere."""
    label = f"record {display(document.doc_id, 120)}: " if many else ""
    owner = batch.claimed.get(document.doc_id)
    if owner is not None:
        raise DocIdConflictError(
            shown, f"{label}doc_id {display(document.doc_id, 120)} is already provided by {owner} in this batch",
            "give one of the two documents another doc_id",
        )
    existing = batch.owners.get(document.doc_id)
    if existing is not None and existing.get("sha256") == document.sha256 and (
            existing.get("fingerprint", batch.store.index_fingerprint) == batch.store.index_fingerprint):
        return "unchanged"
    problem = claim_conflict(existing, document, batch.replace or document.doc_id in batch.released)
    if problem:
        raise DocIdConflictError(shown, label + problem, conflict_fix(document.doc_id))
    return None


def _file_sha(path: Path) -> str:
    try:
        return sha256_file(path)
    except OSError:
        return ""  # the loader names the problem


def _file_unchanged(batch: _Batch, whole: str, file_sha: str) -> bool:
    """The index holds every document of this very file, processed with these settings, and none is claimed yet."""
    known = batch.files_known.get(whole)
    if not file_sha or known is None or known["sha256"] != file_sha or known["fingerprint"] != batch.store.index_fingerprint:
        return False
    held = batch.by_file.get(whole, [])
    return (len(held) == known["documents"] and not any(d in batch.claimed for d in held)
            and all(batch.owners[d].get("fingerprint") == batch.store.index_fingerprint for d in held))


def _split_restamps(batch: _Batch, pending: list[Document]) -> tuple[list[Document], list[str]]:
    """Documents of unchanged content written with other chunking settings: those that the current settings chunk
    into the very same chunks and embedded texts need only a new stamp; the others are re-processed."""
    stale = [d for d in pending if (batch.owners.get(d.doc_id) or {}).get("sha256") == d.sha256]
    if not stale:
        return pending, []
    same: list[str] = []
    header = batch.settings.embedding.contextual_header
    for document, chunks, texts in chunk_many(stale, batch.settings):
        held = batch.store.document_chunks(document.doc_id)
        now = [(c.chunk_id, t) for c, t in zip(chunks, texts)]
        before = [(r["chunk_id"], header_text(r["title"] or "", r["section"] or "", r["text"] or "", header)) for r in held]
        if now == before:
            same.append(document.doc_id)
    return [d for d in pending if d.doc_id not in set(same)], same
