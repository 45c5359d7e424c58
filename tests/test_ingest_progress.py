"""Ingest progress: on_progress(files_done, files_total, file) after each file, whether it succeeded or failed."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import TINY_DOCS


def test_progress_is_reported_after_every_file(fake_app, tiny_corpus: Path):
    (tiny_corpus / "broken.md").write_bytes(b"caf\xe9 \xff not UTF-8")  # fails: not valid UTF-8
    calls: list[tuple[int, int, str]] = []
    report = fake_app.ingest([tiny_corpus], on_progress=lambda *call: calls.append(call))
    total = len(TINY_DOCS) + 1
    assert [(done, n) for done, n, _ in calls] == [(i, total) for i in range(1, total + 1)]
    assert sorted(Path(name).name for _, _, name in calls) == sorted([*TINY_DOCS, "broken.md"])
    assert [f for f, _ in report.failed] == [name for _, _, name in calls if name.endswith("broken.md")]
    assert len(report.added) == len(TINY_DOCS)


def test_progress_covers_metadata_failures_and_rebuilds(fake_app, tiny_corpus: Path):
    calls: list[tuple[int, int, str]] = []
    htn = tiny_corpus / "htn.md"
    report = fake_app.ingest([tiny_corpus], rebuild=True, metadata={str(htn): {"status": "draft"}},
                             on_progress=lambda *call: calls.append(call))
    assert len(report.failed) == 1
    assert calls[-1][:2] == (len(TINY_DOCS), len(TINY_DOCS))
    assert str(htn) in [name for _, _, name in calls]


def test_no_files_means_no_progress_calls(fake_app, tmp_path: Path):
    calls: list[tuple[int, int, str]] = []
    report = fake_app.ingest([tmp_path], on_progress=lambda *call: calls.append(call))
    assert calls == [] and not report.ok
