"""The hash-chained audit log (stores/audit.py): what a record holds, tamper detection, concurrent appenders, the
``clinrag audit`` command and the hook in ``clinrag ask``."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from cli.main import main
from clinrag.chain import canonical, line_hash
from stores.audit import AuditLog, audit_path, entry_from_record, record_answer

# the lexical fake reader refuses when identifiers dilute the question, so the answered one carries a name only
PHI_QUESTION = "How soon should antimicrobials be given in possible septic shock for Maria Garcia?"
PHI_REFUSED = "Maria Garcia, MRN 00482913, DOB 03/14/1950, phone 617-555-0142, asks about rituximab for pemphigus vulgaris."
IDENTIFIERS = ("Maria", "Garcia", "00482913", "03/14", "617-555-0142")


@pytest.fixture
def answered(tiny_app):
    return tiny_app, tiny_app.answerer("extractive").ask(PHI_QUESTION)


def _log_with(tmp_path: Path, n: int = 5) -> AuditLog:
    log = AuditLog(tmp_path / "audit.jsonl")
    for i in range(n):
        log.append({"type": "answer", "decision": "answer", "question": f"question {i}", "groundedness": 0.5 + i / 100})
    return log


def _lines(log: AuditLog) -> list[str]:
    return log.path.read_text(encoding="utf-8").splitlines(keepends=True)


def _write(log: AuditLog, lines: list[str]) -> None:
    log.path.write_text("".join(lines), encoding="utf-8")


def test_an_entry_holds_what_an_auditor_needs_and_nothing_unredacted(answered):
    app, record = answered
    assert record.decision == "answer", record.refusal_reason
    refusal = app.answerer("extractive").ask(PHI_REFUSED)
    refused = record_answer(app.settings.index_dir, refusal, app.settings)
    line = record_answer(app.settings.index_dir, record, app.settings)
    text = audit_path(app.settings.index_dir).read_text(encoding="utf-8")
    assert not any(identifier in text for identifier in IDENTIFIERS)
    assert refused["question"] == "[NAME], MRN [MRN], DOB [DATE]/1950, phone [PHONE], asks about rituximab for pemphigus vulgaris."
    assert refused["redaction"] == {"redacted": True, "count": 4, "kinds": {"DATE": 1, "MRN": 1, "NAME": 1, "PHONE": 1}}
    assert refused["type"] == "refusal" and refused["refusal_code"] == "topic_not_in_library"
    assert "'pemphigus'" in refusal.refusal_reason and not any(i in refusal.refusal_reason for i in IDENTIFIERS)
    assert line["question"] == "How soon should antimicrobials be given in possible septic shock for [NAME]?"
    assert line["decision"] == record.decision and line["refusal_code"] == record.refusal_code
    assert line["groundedness"] == record.groundedness and line["models"] == record.models
    assert line["settings_fingerprint"] == record.settings_fingerprint == app.settings.fingerprint()
    assert [c["chunk_id"] for c in line["retrieved"]] == [e.chunk_id for e in record.evidence]
    cited = {c for s in record.sentences for c in s.citations}
    assert {c["chunk_id"] for c in line["cited"]} == cited and cited
    assert all(c["version"] == "2021" and c["doc_id"] == "sepsis-demo-2021" for c in line["cited"])
    assert line["time"].endswith("Z") and line["seq"] == 2 and line["hash"] == line_hash(line)
    assert "answer" not in line and "focused_question" not in line


def test_the_question_can_be_kept_as_a_hash_only(answered):
    app, record = answered
    entry = entry_from_record(record, app.settings, question_mode="hash")
    assert "question" not in entry and len(entry["question_sha256"]) == 64


def test_a_fresh_log_starts_with_an_anchor_and_verifies(tmp_path):
    log = _log_with(tmp_path, 5)
    lines = [json.loads(line) for line in _lines(log)]
    assert lines[0]["type"] == "anchor" and lines[0]["seq"] == 0 and lines[0]["prev"] == "0" * 64
    assert [line["seq"] for line in lines] == [0, 1, 2, 3, 4, 5]
    assert all(b["prev"] == a["hash"] for a, b in zip(lines, lines[1:]))
    assert all(canonical(line) + "\n" == raw for line, raw in zip(lines, _lines(log)))
    result = log.verify()
    assert result.ok and result.records == 5 and result.head == lines[-1]["hash"]


def _edit_field(log):
    lines = _lines(log)
    lines[3] = lines[3].replace('"groundedness":0.52', '"groundedness":0.99')
    _write(log, lines)


def _insert_copy(log):
    lines = _lines(log)
    _write(log, lines[:3] + [lines[1]] + lines[3:])


def _insert_forged(log):
    lines = _lines(log)
    previous = json.loads(lines[2])
    forged = {"type": "answer", "decision": "answer", "question": "forged", "seq": previous["seq"] + 1,
              "prev": previous["hash"], "time": "2024-01-01T00:00:00.000Z"}
    forged["hash"] = line_hash(forged)
    _write(log, lines[:3] + [canonical(forged) + "\n"] + lines[3:])


def _reorder(log):
    lines = _lines(log)
    lines[2], lines[3] = lines[3], lines[2]
    _write(log, lines)


def _delete_middle(log):
    lines = _lines(log)
    _write(log, lines[:3] + lines[4:])


def _delete_last(log):
    _write(log, _lines(log)[:-1])


def _truncate_tail(log):
    data = log.path.read_bytes()
    log.path.write_bytes(data[:-20])


def _delete_anchor(log):
    _write(log, _lines(log)[1:])


@pytest.mark.parametrize(
    "tamper, bad_line, words",
    [
        (_edit_field, 4, "edited"),
        (_insert_copy, 4, "inserted"),
        (_insert_forged, 5, "inserted"),  # a consistent forged line breaks the chain at the line after it
        (_reorder, 3, "moved"),
        (_delete_middle, 4, "deleted"),
        (_delete_last, 6, "removed from the end"),
        (_truncate_tail, 6, "truncated"),
        (_delete_anchor, 1, "anchor"),
    ],
    ids=["edit-field", "insert-copy", "insert-forged", "reorder", "delete-middle", "delete-last", "truncate-tail",
         "delete-anchor"],
)
def test_tampering_is_detected_and_the_first_bad_line_named(tmp_path, tamper, bad_line, words, capsys):
    log = _log_with(tmp_path, 5)  # lines 1 (anchor) to 6
    tamper(log)
    result = log.verify()
    assert not result.ok and result.bad_line == bad_line and words in result.problem, result.message()
    assert main(["audit", "verify", "--index", str(tmp_path)]) == 1
    assert f"line {bad_line}: " in capsys.readouterr().err


def test_a_missing_head_file_or_an_unexpected_head_fails(tmp_path, capsys):
    log = _log_with(tmp_path, 3)
    head = log.verify().head
    assert main(["audit", "verify", "--index", str(tmp_path), "--expect-head", head]) == 0
    assert head in capsys.readouterr().out
    log.append({"type": "answer", "decision": "refuse", "question": "later"})
    assert "not the expected" in log.verify(expect_head=head).problem  # rewritten or extended since it was recorded
    log.head_path.unlink()
    assert not log.verify().ok and "head file" in log.verify().problem


def test_appending_after_a_torn_tail_is_refused(tmp_path):
    from clinrag.errors import AuditLogError

    log = _log_with(tmp_path, 2)
    _truncate_tail(log)
    with pytest.raises(AuditLogError, match="incomplete"):
        log.append({"type": "answer", "question": "x"})
    log.path.unlink()
    with pytest.raises(AuditLogError, match="head file exists"):
        log.append({"type": "answer", "question": "x"})


def _append_many(path: str, worker: int, n: int) -> None:
    log = AuditLog(path)
    for i in range(n):
        log.append({"type": "answer", "decision": "answer", "question": f"worker {worker} question {i}"})


def test_concurrent_appenders_keep_one_valid_chain(tmp_path):
    path = str(tmp_path / "audit.jsonl")
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_many, args=(path, w, 15)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=60)
        assert p.exitcode == 0
    result = AuditLog(path).verify()
    assert result.ok and result.records == 60, result.message()
    questions = [line.get("question") for line in AuditLog(path).read()[1:]]
    assert sorted(questions) == sorted(f"worker {w} question {i}" for w in range(4) for i in range(15))


def test_ask_appends_to_the_audit_log_and_audit_show_reads_it(tiny_app, monkeypatch, capsys):
    monkeypatch.setattr("composition.app.App", lambda settings: tiny_app)
    index = str(tiny_app.settings.index_dir)
    assert main(["ask", PHI_QUESTION, "--index", index, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["question"] == PHI_QUESTION and printed["decision"] == "answer"  # the command's output is unchanged
    assert main(["ask", PHI_REFUSED, "--index", index]) == 0
    capsys.readouterr()
    assert main(["audit", "verify", "--index", index]) == 0
    assert "2 record(s)" in capsys.readouterr().out
    assert main(["audit", "show", "--index", index, "--json", "--last", "1"]) == 0
    (last,) = json.loads(capsys.readouterr().out)
    assert last["decision"] == "refuse" and last["refusal_code"] == "topic_not_in_library"
    assert main(["audit", "show", "--index", index]) == 0
    out = capsys.readouterr().out
    assert "2 of 2 record(s)" in out and "[NAME]" in out and "Garcia" not in out


def test_the_log_can_live_elsewhere(tmp_path, monkeypatch):
    from clinrag.settings import load_settings

    elsewhere = tmp_path / "elsewhere" / "audit.jsonl"
    monkeypatch.setenv("CLINRAG_AUDIT_LOG", str(elsewhere))  # the older name, mapped onto audit.log_path
    settings = load_settings(index_dir=tmp_path / "index")
    assert settings.audit.log_path == elsewhere and audit_path(settings.index_dir, settings) == elsewhere
    monkeypatch.delenv("CLINRAG_AUDIT_LOG")
    assert audit_path(tmp_path / "index", load_settings(index_dir=tmp_path / "index")) == tmp_path / "index" / "audit.jsonl"
    assert audit_path(tmp_path / "index") == tmp_path / "index" / "audit.jsonl"
    monkeypatch.setenv("CLINRAG_AUDIT__LOG_PATH", str(tmp_path / "newer.jsonl"))
    assert audit_path(tmp_path / "index", load_settings()) == tmp_path / "newer.jsonl"


def test_no_log_yet_verifies_as_empty(tmp_path, capsys):
    assert main(["audit", "verify", "--index", str(tmp_path)]) == 0
    assert "0 record(s)" in capsys.readouterr().out


def test_rebuilding_the_index_keeps_the_audit_log(answered, tiny_corpus):
    app, record = answered
    record_answer(app.settings.index_dir, record, app.settings)
    app.ingest([tiny_corpus], rebuild=True)
    assert AuditLog(audit_path(app.settings.index_dir)).verify().records == 1
