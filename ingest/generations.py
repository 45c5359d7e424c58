"""Generation folders: a new index starts in one, ``--rebuild`` builds the next beside the live one and swaps it in
with one atomic replace of ``CURRENT``, and ``recover`` clears what an interrupted writer left.

A part of ``ingest.index.IndexStore`` (a mixin: it uses the store's lock, connections and writes).
"""

from __future__ import annotations

import os
import shutil
from contextlib import closing
from pathlib import Path
from typing import Any, Callable

from ingest.catalog_schema import CATALOG, CURRENT, GENERATION as _GENERATION
from ingest.chroma_store import ChromaVectors


class Generations:
    root: Path
    lock: Any
    server: Any
    _pinned: Path | None

    def _generations(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.iterdir() if p.is_dir() and _GENERATION.fullmatch(p.name))

    def _next_generation(self) -> Path:
        numbers = [int(_GENERATION.fullmatch(p.name).group(1)) for p in self._generations()]  # type: ignore[union-attr]
        return self.root / f"gen-{max(numbers, default=0) + 1:06d}"

    def _initialise(self) -> None:
        """A new index starts in the generation layout (under the writer lock)."""
        if self._pinned is not None or (self.root / CURRENT).exists() or (self.root / CATALOG).exists():
            return
        self._remove_stray_generations()  # no live index yet: left by a writer killed before its first commit
        folder = self._next_generation()
        folder.mkdir(parents=True, exist_ok=True)
        self._point_to(folder)

    def _point_to(self, folder: Path) -> None:
        """Make ``folder`` the live generation in one atomic step."""
        tmp = self.root / f"{CURRENT}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(folder.name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.root / CURRENT)
        try:
            dir_fd = os.open(self.root, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError:
            pass

    def remove_orphan_vectors(self) -> int:
        """Delete vectors the catalog does not know (left by a process killed mid-write)."""
        with closing(self._connect()) as conn:
            live = {r[0] for r in conn.execute("SELECT chunk_id FROM chunks")}
        vectors = self.vectors
        if vectors.count() == len(live):
            return 0
        orphans = sorted(vectors.ids() - live)
        if orphans:
            vectors.delete(orphans)
        return len(orphans)

    def recover(self) -> dict[str, Any]:
        """Clear what an interrupted writer left (under the writer lock): generation folders that never became
        live, temporary files, vectors the catalog does not know; documents whose vectors went missing are removed
        from the catalog, so the next ingest adds them again. Returns what was done."""
        done: dict[str, Any] = {}
        with self.lock.hold("recover"):
            stray = self._remove_stray_generations()
            if stray:
                done["removed_generations"] = stray
            if self._pinned is None and (self.root / CURRENT).exists() and (self.root / CATALOG).exists():
                self._remove_old(self.root, legacy=True)  # a first rebuild was killed after its swap
                done["removed_former_layout"] = True
            (self.root / f"{CURRENT}.tmp").unlink(missing_ok=True)
            if not self.exists():
                return done
            folder = self.data_dir()
            for old in folder.glob("bm25-*.pkl*"):
                old.unlink(missing_ok=True)
            with closing(self._connect()) as conn:
                catalog = {r[0]: r[1] for r in conn.execute("SELECT chunk_id, doc_id FROM chunks")}
            vectors = self.vectors
            if vectors.count() != len(catalog):
                have = vectors.ids()
                orphans = sorted(have - set(catalog))
                if orphans:
                    vectors.delete(orphans)
                    done["removed_vectors"] = len(orphans)
                missing_docs = sorted({catalog[c] for c in set(catalog) - have})
                if missing_docs:
                    self._apply([], missing_docs, False)
                    done["removed_documents_without_vectors"] = missing_docs
        return done

    def _remove_stray_generations(self) -> list[str]:
        """Delete generation folders that are not live (under the writer lock: none is being built then)."""
        if self._pinned is not None:
            return []
        live = self.data_dir() if (self.root / CURRENT).exists() else None
        stray = [p for p in self._generations() if p != live]
        for folder in stray:
            ChromaVectors.drop(folder / "chroma", self.server)
            shutil.rmtree(folder, ignore_errors=True)
        return [p.name for p in stray]


    def rebuild(self, build: Callable[["IndexStore"], Any], keep: Callable[[Any], bool]) -> Any:
        """Build a new generation with ``build(staging_store)`` and, if ``keep(result)``, make it live with one
        atomic replace of ``CURRENT``; otherwise delete it. The writer lock is held throughout, so no other
        writer's change can be lost in the swap. Library decisions (retired, superseded) carry over."""
        with self.lock.hold("rebuild"):
            if self.exists():  # upgrade a catalog of the former layout now, not while readers wait on the lock
                self._connect().close()
            self._remove_stray_generations()  # a rebuild killed earlier left its folder
            folder = self._next_generation()
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            staging = self._staging(folder)
            try:
                result = build(staging)
                swap = keep(result)
                if swap and self.exists():
                    self._copy_library(staging)
            except BaseException:
                ChromaVectors.drop(folder / "chroma", self.server)
                shutil.rmtree(folder, ignore_errors=True)
                raise
            if not swap:
                ChromaVectors.drop(folder / "chroma", self.server)
                shutil.rmtree(folder, ignore_errors=True)
                return result
            old = self.data_dir()
            legacy = old == self.root
            self._point_to(folder)
            self._remove_old(old, legacy)
            return result

    def _remove_old(self, old: Path, legacy: bool) -> None:
        ChromaVectors.drop(old / "chroma", self.server)
        if legacy:  # the former layout kept the index in the folder itself
            for name in (CATALOG, f"{CATALOG}-journal", f"{CATALOG}-wal", f"{CATALOG}-shm"):
                (old / name).unlink(missing_ok=True)
            shutil.rmtree(old / "chroma", ignore_errors=True)
            for pkl in old.glob("bm25-*.pkl*"):
                pkl.unlink(missing_ok=True)
        else:
            shutil.rmtree(old, ignore_errors=True)
        self._schema_ready.discard(str(old))
        self._postings_caches.pop(str(old), None)
