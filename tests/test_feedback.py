"""Feedback on answers: redacted, validated, appended one whole line at a time."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from clinrag.errors import FeedbackError
from clinrag.records import AnswerRecord, SearchResult, SentenceRecord
from clinrag.settings import Settings
from stores.feedback import FEEDBACK_FILE, feedback_entry, feedback_path, read_feedback, record_feedback

QUESTION = "Patient Maria Smith, MRN 12345678, 67 years old with septic shock: how fast should antibiotics start?"


def _evidence(chunk_id: str, doc_id: str, version: str, date: str) -> SearchResult:
    return SearchResult(chunk_id, doc_id, "Sepsis demo guideline", "Antibiotics", None, None, 0, 80,
                        "Give antimicrobials immediately, ideally within 1 hour of recognition.", 0.9, 1, 1,
                        version=version, date=date)


def _record(answer: str = "Give antimicrobials within 1 hour [1].", decision: str = "answer") -> AnswerRecord:
    evidence = [_evidence("sepsis:aaa", "sepsis-2021", "2021", "2021-10-04"), _evidence("sepsis:bbb", "sepsis-2016", "2016", "")]
    return AnswerRecord(
        question=QUESTION,
        decision=decision,
        answer=answer,
        sentences=[SentenceRecord(answer, ["sepsis:aaa"], 0.9)] if decision == "answer" else [],
        groundedness=0.83,
        refusal_reason=None,
        evidence=evidence,
        timings_s={"total": 0.5},
        models={"embedder": "hash", "generator": "extractive"},
        settings_fingerprint="fp-answer",
        refusal_code=None if decision == "answer" else "low_groundedness",
        generator="extractive",
    )


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index")


def test_the_stored_line_is_redacted_and_complete(tmp_path: Path, settings: Settings):
    path = feedback_path(settings.index_dir)
    assert path == settings.index_dir / FEEDBACK_FILE
    record = _record(answer="For Maria Smith, give antimicrobials within 1 hour [1].")
    written = record_feedback(path, record, "down", "Maria Smith (MRN 12345678) got a late dose", settings)

    raw = path.read_text(encoding="utf-8")
    for identifier in ("Maria", "Smith", "12345678"):
        assert identifier not in raw
    [line] = read_feedback(path)
    assert line == written
    assert line["question"].startswith("Patient [NAME], MRN [MRN]")
    assert line["question_redaction"]["kinds"] == {"MRN": 1, "NAME": 1}
    assert line["comment"] == "[NAME] (MRN [MRN]) got a late dose"
    assert line["comment_redaction"]["redacted"] is True
    assert line["answer"] == "For [NAME], give antimicrobials within 1 hour [1]."
    assert line["rating"] == "down"
    assert (line["decision"], line["refusal_code"], line["groundedness"]) == ("answer", None, 0.83)
    assert line["cited"] == [{"chunk_id": "sepsis:aaa", "doc_id": "sepsis-2021", "version": "2021", "date": "2021-10-04"}]
    assert (line["generator"], line["settings_fingerprint"]) == ("extractive", "fp-answer")
    assert line["models"] == {"embedder": "hash", "generator": "extractive"}
    assert line["active_settings_fingerprint"] == settings.fingerprint()
    assert line["time"].endswith("Z")


def test_a_refusal_can_be_rated_without_a_comment(tmp_path: Path, settings: Settings):
    entry = feedback_entry(_record(answer="", decision="refuse"), "up", "", settings, "2024-01-01T00:00:00.000Z")
    assert (entry["decision"], entry["refusal_code"], entry["cited"], entry["comment"]) == (
        "refuse", "low_groundedness", [], ""
    )
    assert entry["time"] == "2024-01-01T00:00:00.000Z"


@pytest.mark.parametrize("rating", ["sideways", "Up", "", None, 1, True])
def test_a_bad_rating_is_a_feedback_error(tmp_path: Path, settings: Settings, rating):
    path = tmp_path / "feedback.jsonl"
    with pytest.raises(FeedbackError, match="rating must be 'up' or 'down'"):
        record_feedback(path, _record(), rating, "", settings)
    assert not path.exists()


def test_comments_must_be_text_of_bounded_length(tmp_path: Path, settings: Settings):
    with pytest.raises(FeedbackError, match="comment must be text"):
        record_feedback(tmp_path / "f.jsonl", _record(), "up", ["a"], settings)  # type: ignore[arg-type]
    with pytest.raises(FeedbackError, match="limit; shorten it"):
        record_feedback(tmp_path / "f.jsonl", _record(), "up", "x" * 5000, settings)
    assert record_feedback(tmp_path / "f.jsonl", _record(), "up", None, settings)["comment"] == ""  # type: ignore[arg-type]


def test_two_appends_give_two_lines(tmp_path: Path, settings: Settings):
    path = tmp_path / "nested" / "feedback.jsonl"
    record_feedback(path, _record(), "up", "clear", settings)
    record_feedback(path, _record(), "down", "too long", settings)
    assert [line["rating"] for line in read_feedback(path)] == ["up", "down"]
    assert len(path.read_text(encoding="utf-8").splitlines()) == 2


def test_concurrent_appends_never_interleave(tmp_path: Path, settings: Settings):
    path = tmp_path / "feedback.jsonl"
    comment = "long comment " * 300  # several KB per line

    def rate(rating: str) -> None:
        for _ in range(15):
            record_feedback(path, _record(), rating, comment, settings)

    threads = [threading.Thread(target=rate, args=(r,)) for r in ("up", "down")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = read_feedback(path)
    assert len(lines) == 30 and sorted(line["rating"] for line in lines) == ["down"] * 15 + ["up"] * 15


def test_reading_names_a_damaged_line(tmp_path: Path, settings: Settings):
    path = tmp_path / "feedback.jsonl"
    assert read_feedback(path) == []
    record_feedback(path, _record(), "up", "", settings)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('{"rating": "up"\n')
    with pytest.raises(FeedbackError, match="line 2: not valid JSON"):
        read_feedback(path)
    path.write_text(json.dumps([1, 2]) + "\n", encoding="utf-8")
    with pytest.raises(FeedbackError, match="line 1: expected a JSON object"):
        read_feedback(path)
