"""The ingest log: every library change appended, hash-chained, in the transaction of the change (issue 15)."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

import pytest

from clinrag.chain import GENESIS, line_hash
from cli.main import main
from ingest import ingest_log
from ingest.library import Library


def _log(app):
    return app.store.ingest_log()


def test_every_change_is_logged_with_file_sha_chunks_user_and_outcome(fake_app, tiny_corpus):
    report = fake_app.ingest([tiny_corpus], user="ada")
    assert report.ok
    rows = _log(fake_app)
    assert [r["action"] for r in rows] == ["ingest"] * 4 and {r["user"] for r in rows} == {"ada"}
    docs = {d["doc_id"]: d for d in fake_app.store.documents()}
    for r in rows:
        assert r["sha256"] == docs[r["doc_id"]]["sha256"] and r["file"] == docs[r["doc_id"]]["source_path"]
        assert r["chunks_added"] == docs[r["doc_id"]]["n_chunks"] > 0 and r["chunks_removed"] == 0 and r["outcome"] == "ok"
    assert [r["seq"] for r in rows] == [1, 2, 3, 4] and rows[0]["prev"] == GENESIS
    assert all(r["hash"] == line_hash(r) for r in rows)

    changed = tiny_corpus / "asthma.txt"
    changed.write_text(changed.read_text() + "\nA spacer is recommended for children using metered-dose inhalers.\n")
    fake_app.ingest([tiny_corpus], user="ada")
    library = Library(fake_app.store, user="liam")
    doc_id = rows[0]["doc_id"]
    library.retire(doc_id, reason="withdrawn")
    library.restore(doc_id)
    other = rows[1]["doc_id"]
    library.supersede(other, by=doc_id)
    library.trust("Demo issuer")
    library.delete(other, reason="duplicate")
    later = _log(fake_app)[4:]
    assert [(r["action"], r["user"]) for r in later] == [
        ("update", "ada"), ("retire", "liam"), ("restore", "liam"), ("supersede", "liam"), ("trust", "liam"),
        ("delete", "liam")]
    update = later[0]
    assert update["doc_id"] == "asthma" or update["file"].endswith("asthma.txt")
    assert update["chunks_added"] >= 1 and update["chunks_removed"] >= 1  # the changed chunk replaced
    assert later[-1]["chunks_removed"] > 0 and later[-1]["detail"] == "duplicate"
    assert fake_app.store.verify_log().ok and fake_app.store.verify_log().records == 10


def test_a_failed_file_is_logged_as_failed_and_changes_nothing_else(tiny_app, tmp_path):
    before = tiny_app.store.documents()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    report = tiny_app.ingest([bad], user="ada")
    assert not report.ok
    last = _log(tiny_app)[-1]
    assert last["outcome"] == "failed" and last["action"] == "ingest" and "broken.pdf" in last["file"] and last["detail"]
    assert tiny_app.store.documents() == before and tiny_app.store.verify().ok


def _tamper(app, sql: str) -> None:
    with closing(sqlite3.connect(app.store.catalog_path)) as conn:
        conn.execute(sql)
        conn.commit()


@pytest.mark.parametrize("sql, bad_seq, words", [
    ("UPDATE ingest_log SET chunks_added = chunks_added + 1 WHERE seq = 2", 2, "edited"),
    ("UPDATE ingest_log SET user = 'mallory' WHERE seq = 3", 3, "edited"),
    ("DELETE FROM ingest_log WHERE seq = 2", 3, "deleted"),
], ids=["edit-count", "edit-user", "delete-middle"])
def test_an_edited_or_deleted_record_is_detected_and_named(tiny_app, sql, bad_seq, words, capsys):
    assert tiny_app.store.verify_log().ok
    _tamper(tiny_app, sql)
    result = tiny_app.store.verify_log()
    assert not result.ok and result.bad_seq == bad_seq and words in result.problem, result.message()
    index = str(tiny_app.settings.index_dir)
    assert main(["library", "log", "--verify", "--index", index]) == 1
    assert f"record {bad_seq}" in capsys.readouterr().out


def test_a_forged_record_with_a_valid_hash_breaks_the_chain_after_it(tiny_app):
    rows = _log(tiny_app)
    forged = {**rows[1], "chunks_added": 99}
    forged["hash"] = line_hash(forged)  # consistent in itself, but the next record's prev no longer matches
    _tamper(tiny_app, f"UPDATE ingest_log SET chunks_added = 99, hash = '{forged['hash']}' WHERE seq = 2")
    result = tiny_app.store.verify_log()
    assert not result.ok and result.bad_seq == 3 and "prev" in result.problem


def test_expect_head_catches_records_dropped_from_the_end(tiny_app):
    head = tiny_app.store.verify_log().head
    assert tiny_app.store.verify_log(expect_head=head).ok
    _tamper(tiny_app, "DELETE FROM ingest_log WHERE seq = (SELECT MAX(seq) FROM ingest_log)")
    assert tiny_app.store.verify_log().ok  # a shorter chain is still a chain
    assert not tiny_app.store.verify_log(expect_head=head).ok


def test_a_rebuild_carries_the_log_and_chains_its_own_records_after_it(tiny_app, tiny_corpus):
    before = _log(tiny_app)
    report = tiny_app.ingest([tiny_corpus], rebuild=True, user="ada")
    assert report.added
    after = _log(tiny_app)
    assert after[: len(before)] == before  # verbatim, hashes included
    assert [r["action"] for r in after[len(before):]] == ["ingest"] * 4
    assert tiny_app.store.verify_log().ok


def test_cli_library_log_prints_the_log_as_json_and_verifies_it(tiny_app, capsys):
    index = str(tiny_app.settings.index_dir)
    assert main(["library", "log", "--json", "--index", index]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 4 and set(ingest_log.COLUMNS) <= set(rows[0])
    assert main(["library", "log", "--verify", "--json", "--index", index]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    assert main(["library", "log", "--index", index]) == 0
    assert "4 change(s)" in capsys.readouterr().out


def test_entries_refuse_an_unknown_action():
    with pytest.raises(ValueError, match="unknown ingest-log action"):
        ingest_log.entry("frobnicate")
