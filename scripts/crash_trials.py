"""Crash trials: kill -9 an ingest at random moments and check that the index stays whole.

Each trial starts `clinrag`'s ingest (through ``App.ingest`` with the deterministic hash embedder of
``tests/fakes.py``, in a subprocess) on a small generated corpus, kills it with SIGKILL after a random delay,
then checks:

1. the three parts agree for readers: every catalog chunk has its BM25 postings and its vector, the BM25
   totals match the catalog, ``CURRENT`` names a live generation (``IndexStore.verify().visible_ok``);
2. the next ingest (not killed) completes with no failed file;
3. after it the index is exactly whole (``verify().ok``: no stray vector, generation folder or temporary file)
   and holds every document of the corpus with its current content.

Trials alternate incremental ingests, ingests after the corpus changed (updates: stale vectors to delete) and
``--rebuild`` runs (a new generation folder swapped in). ``--kind sync`` runs every trial as ``clinrag ingest --sync``
of a corpus that changes between trials: a third of the files edited, a quarter of them and a seventh of the JSONL
records gone (their documents must be removed) and the ones gone before back again; after the next sync the index
must hold exactly the corpus, and the ingest log must verify. Prints one line per trial and a summary; exits 1 if any
trial failed. ``tests/test_index_concurrency.py`` runs a reduced form (2 trials).

    .venv/bin/python scripts/crash_trials.py --trials 20 [--seed 0] [--workdir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

TOPICS = ["hypertension", "sepsis", "asthma", "diabetes", "gout", "pneumonia", "cystitis", "heart failure",
          "anaemia", "migraine", "epilepsy", "psoriasis", "glaucoma", "malaria", "tuberculosis", "osteoporosis"]


SIZES = {"full": (16, 20, 1500), "small": (6, 8, 300)}  # topics, sections per file, JSONL records


def write_corpus(folder: Path, version: int, rng: random.Random, size: str = "full", drop: bool = False) -> dict[str, str]:
    """Markdown guidelines and a JSONL corpus; returns doc_id -> a phrase its current text must contain. ``drop``
    leaves out a quarter of the files (deleting them) and a seventh of the records, a different share each version."""
    n_topics, n_sections, n_records = SIZES[size]
    folder.mkdir(parents=True, exist_ok=True)
    expected: dict[str, str] = {}
    for i, topic in enumerate(TOPICS[:n_topics]):
        doc_id = f"crash-{topic.replace(' ', '-')}"
        if drop and i % 4 == version % 4:
            (folder / f"{doc_id}.md").unlink(missing_ok=True)
            continue
        edit = version if i % 3 == version % 3 else 0  # a third of the files change each version
        marker = f"revision {edit}"
        sections = []
        for s in range(n_sections):
            sentences = " ".join(
                f"For adults with {topic} in setting {s}, dose step {j} is {rng.randint(1, 900)} mg ({marker})."
                for j in range(6)
            )
            sections.append(f"## Section {s}\n\n{sentences}\n")
        (folder / f"{doc_id}.md").write_text(
            f"---\ndoc_id: {doc_id}\ntitle: {topic.title()} crash-test guideline\nversion: '{edit}'\n---\n"
            f"# {topic.title()}\n\n" + "\n".join(sections),
            encoding="utf-8",
        )
        expected[doc_id] = marker
    with (folder / "records.jsonl").open("w", encoding="utf-8") as handle:
        for r in range(n_records):
            doc_id = f"crash-record-{r:04d}"
            if drop and r % 7 == version % 7:
                continue
            marker = f"record revision {version if r % 5 == version % 5 else 0}"
            handle.write(json.dumps({"doc_id": doc_id, "title": f"Record {r}",
                                     "text": f"Question {r} about {TOPICS[r % len(TOPICS)]}. Answer: {marker}."}) + "\n")
            expected[doc_id] = marker
    return expected


# ----------------------------------------------------------------------------- child process
def child(args: argparse.Namespace) -> int:
    from composition.app import App
    from clinrag.settings import load_settings
    from tests.fakes import HashEmbedder

    app = App(load_settings(index_dir=Path(args.index)), embedder=HashEmbedder())

    def event(message: str) -> None:
        print(f"{time.monotonic():.3f} {message}", file=sys.stderr, flush=True)

    event("start")
    if args.sync:
        report = app.sync(Path(args.corpus), on_event=event, user="crash-trials")
    else:
        report = app.ingest([Path(args.corpus)], on_event=event, rebuild=args.rebuild)
    event("done")
    print(json.dumps(report.to_dict()))
    return 0 if report.ok else 1


def run_child(index: Path, corpus: Path, rebuild: bool, kill_after: float | None,
              sync: bool = False) -> tuple[int, str, str, float, float]:
    """(return code, stdout, stderr, wall seconds, seconds until the ingest started, i.e. imports done)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--index", str(index), "--corpus", str(corpus)]
    if rebuild:
        command.append("--rebuild")
    if sync:
        command.append("--sync")
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1")
    started = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    if kill_after is None:
        out, err = proc.communicate(timeout=600)
    else:
        try:
            out, err = proc.communicate(timeout=kill_after)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            out, err = proc.communicate()
    first = [line for line in err.splitlines() if line.endswith(" start")]
    began = float(first[0].split()[0]) - started if first else 0.0
    return proc.returncode, out, err, time.monotonic() - started, began


def last_event(stderr: str) -> str:
    lines = [line.split(" ", 1)[1] for line in stderr.strip().splitlines() if line[:1].isdigit() and " " in line]
    return (lines[-1] if lines else "(before the first event)")[:70]


# ----------------------------------------------------------------------------- checks
def check(index: Path, expected: dict[str, str] | None) -> tuple[bool, bool, list[str]]:
    """(readers see a whole index, index exactly whole, problems)."""
    from clinrag.settings import load_settings
    from ingest.chroma_store import ChromaVectors
    from ingest.index import IndexStore

    settings = load_settings(index_dir=index)
    store = IndexStore(index, settings.index_fingerprint(), settings.embedding.package)
    if store.exists():
        ChromaVectors.forget(store.data_dir() / "chroma")  # a fresh view of what the child wrote
    report = store.verify()
    problems = list(report.problems)
    if expected is not None:
        docs = {d["doc_id"]: d for d in store.documents()}
        if set(docs) != set(expected):
            problems.append(f"documents: {len(docs)} held, {len(expected)} expected "
                            f"(missing {sorted(set(expected) - set(docs))[:3]}, extra {sorted(set(docs) - set(expected))[:3]})")
        stale = [d for d, phrase in expected.items() if d in docs and not any(
            phrase in row["text"] for row in store.document_chunks(d))]
        if stale:
            problems.append(f"{len(stale)} document(s) hold old text, e.g. {stale[0]}")
        log = store.verify_log()
        if not log.ok:
            problems.append(f"the ingest log does not verify: {log.message()}")
    ChromaVectors.forget(store.data_dir() / "chroma")
    return report.visible_ok, report.ok and not problems, problems + report.leftovers



@dataclass
class Trial:
    """One kill-then-recover trial: the run killed after ``delay`` seconds, then the same run again to the end."""

    passed: bool
    killed: bool
    state: str
    report: dict
    visible_ok: bool
    after_kill: object
    rc2: int
    err2: str
    problems: object

    def diagnosis(self, again: str) -> list[str]:
        return [f"   after the kill: {'whole for readers' if self.visible_ok else self.after_kill}",
                f"   {again}: rc {self.rc2}, failed {self.report.get('failed')}; {self.err2[-1500:] if self.rc2 else ''}",
                f"   after the {again}: {self.problems}"]


def kill_and_recover(index: Path, corpus: Path, expected, delay: float, rebuild: bool, sync: bool = False) -> Trial:
    """Kill an ingest (or sync) ``delay`` seconds in, check readers still see a whole index, run it again and check
    the index holds ``expected``."""
    rc, _, err, wall, _ = run_child(index, corpus, rebuild, delay, sync=sync)
    killed = rc == -signal.SIGKILL
    visible_ok, _, after_kill = check(index, None)
    rc2, out2, err2, _, _ = run_child(index, corpus, rebuild, None, sync=sync)
    try:
        report = json.loads(out2.strip().splitlines()[-1]) if out2.strip() else {}
    except json.JSONDecodeError:
        report = {}
    completed = rc2 == 0 and not report.get("failed")
    _, whole, problems = check(index, expected)
    state = f"killed at {wall:4.1f}s during: {last_event(err)}" if killed else f"finished before the kill (rc {rc})"
    return Trial(visible_ok and completed and whole, killed, state, report, visible_ok, after_kill, rc2, err2, problems)

def sync_trials(n: int, seed: int, workdir: Path, quiet: bool = False, size: str = "full") -> int:
    """Every trial a ``--sync`` of a corpus that changed (edits, files and records gone, earlier ones back)."""
    rng = random.Random(seed)
    corpus, index = workdir / "corpus", workdir / "index"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    version = 0
    expected = write_corpus(corpus, version, rng, size, drop=True)
    rc, out, err, full, began = run_child(index, corpus, False, None, sync=True)
    ok, whole, problems = check(index, expected)
    if rc != 0 or not whole:
        print(f"the uninterrupted sync failed (rc {rc}): {problems}\n{err[-3000:]}")
        return 1
    window = (max(0.2, began * 0.9), max(began + 0.1, full * 0.95))
    if not quiet:
        print(f"an uninterrupted sync of {len(expected)} documents takes {full:.1f}s; kills land between "
              f"{window[0]:.1f}s and {window[1]:.1f}s", flush=True)
    outcomes = []
    for trial in range(1, n + 1):
        version += 1
        expected = write_corpus(corpus, version, rng, size, drop=True)
        t = kill_and_recover(index, corpus, expected, rng.uniform(*window), rebuild=False, sync=True)
        outcomes.append((t.passed, t.killed))
        if not quiet or not t.passed:
            print(f"trial {trial:2d} sync    {'PASS' if t.passed else 'FAIL'}  {t.state}; then removed "
                  f"{len(t.report.get('removed') or [])}", flush=True)
        if not t.passed:
            for line in t.diagnosis("re-sync"):
                print(line)
    passed = sum(p for p, _ in outcomes)
    killed = sum(k for _, k in outcomes)
    print(f"crash trials (sync): {passed}/{len(outcomes)} passed ({killed} killed mid-sync, "
          f"{len(outcomes) - killed} finished before the kill); seed {seed}")
    return 0 if passed == len(outcomes) else 1


def trials(n: int, seed: int, workdir: Path, quiet: bool = False, size: str = "full") -> int:
    rng = random.Random(seed)
    corpus = workdir / "corpus"
    index = workdir / "index"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    version = 0
    expected = write_corpus(corpus, version, rng, size)

    def say(text: str) -> None:
        if not quiet:
            print(text, flush=True)

    # one uninterrupted run of each kind, so kills land while that kind of run is still working
    windows: dict[str, tuple[float, float]] = {}
    for kind in ("fresh", "update", "rebuild"):
        if kind == "update":
            version += 1
            expected = write_corpus(corpus, version, rng, size)
        rc, out, err, full, began = run_child(index, corpus, kind == "rebuild", None)
        if rc != 0:
            print(f"the uninterrupted {kind} ingest failed (rc {rc}):\n{err[-3000:]}")
            return 1
        ok, whole, problems = check(index, expected)
        if not whole:
            print(f"the index after an uninterrupted {kind} ingest is not whole: {problems}")
            return 1
        windows[kind] = (max(0.2, began * 0.9), max(began + 0.1, full * 0.95))
        say(f"an uninterrupted {kind} ingest of {len(expected)} documents takes {full:.1f}s ({began:.1f}s to start); "
            f"kills land between {windows[kind][0]:.1f}s and {windows[kind][1]:.1f}s")
    outcomes = []
    for trial in range(1, n + 1):
        kind = ("rebuild", "update", "fresh")[trial % 3]
        if kind == "update":
            version += 1
            expected = write_corpus(corpus, version, rng, size)
        if kind == "fresh":
            shutil.rmtree(index, ignore_errors=True)
        t = kill_and_recover(index, corpus, expected, rng.uniform(*windows[kind]), rebuild=kind == "rebuild")
        outcomes.append((t.passed, t.killed))
        say(f"trial {trial:2d} {kind:<7} {'PASS' if t.passed else 'FAIL'}  {t.state}")
        if not t.passed:
            for line in t.diagnosis("re-ingest"):
                say(line)
    passed = sum(p for p, _ in outcomes)
    killed = sum(k for _, k in outcomes)
    print(f"crash trials: {passed}/{len(outcomes)} passed ({killed} killed mid-ingest, "
          f"{len(outcomes) - killed} finished before the kill); seed {seed}")
    return 0 if passed == len(outcomes) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--size", choices=sorted(SIZES), default="full", help="corpus size (small: for the test suite)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--index", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--rebuild", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sync", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--kind", choices=["mixed", "sync"], default="mixed",
                        help="mixed: fresh, update and rebuild ingests; sync: `ingest --sync` of a changing corpus")
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="clinrag-crash-"))
    try:
        run = sync_trials if args.kind == "sync" else trials
        return run(args.trials, args.seed, workdir, args.quiet, args.size)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
