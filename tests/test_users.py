"""Accounts and roles (stores/users.py), ``clinrag users add|list|remove``, and ``clinrag audit export``."""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path

import pytest

from cli.main import main
from clinrag.errors import AccessDeniedError, UserStoreError
from clinrag.settings import load_settings
from clinrag.chain import line_hash
from stores.audit import AuditLog, audit_path, event_entry, export_csv, export_jsonl, filter_records
from stores.users import PERMISSIONS, ROLES, Identity, UserStore, allowed, local_identity, require, resolve_mode

PASSWORD = "correct horse battery"
# every action and the roles that may do it: the table the app and these tests agree on
EXPECTED = {
    "ask": {"clinician"},
    "library": {"librarian"},
    "evaluate": {"evaluator"},
    "audit": {"evaluator", "admin"},
    "users": {"admin"},
}


@pytest.fixture
def store(tmp_path) -> UserStore:
    return UserStore(tmp_path / "users.json", rounds=4)


def test_every_action_is_allowed_to_exactly_its_roles():
    assert {k: set(v) for k, v in PERMISSIONS.items()} == EXPECTED
    for action, roles in EXPECTED.items():
        for role in ROLES:
            assert allowed({role}, action) == (role in roles), (role, action)
            identity = Identity("u", frozenset({role}), "accounts")
            if role in roles:
                require(identity, action)
            else:
                with pytest.raises(AccessDeniedError, match=f"may not .*needs the {' or '.join(sorted(roles))} role"):
                    require(identity, action)
        assert not allowed(set(), action)
    with pytest.raises(KeyError):
        allowed({"admin"}, "launch")


def test_the_mode_follows_the_settings_and_the_store():
    assert resolve_mode(load_settings(), has_users=False) == "open"
    assert resolve_mode(load_settings(ui_password="s3cret"), has_users=False) == "password"
    assert resolve_mode(load_settings(ui_password="s3cret"), has_users=True) == "accounts"
    assert resolve_mode(load_settings(auth={"mode": "proxy"}), has_users=True) == "proxy"
    assert resolve_mode(load_settings(auth={"mode": "open"}), has_users=True) == "open"


def test_users_file_is_a_typed_setting_that_follows_data_dir(tmp_path):
    assert load_settings(data_dir=tmp_path).users_file == tmp_path / "users.json"
    assert load_settings(users_file=tmp_path / "elsewhere.json").users_file == tmp_path / "elsewhere.json"
    assert load_settings(users_file=tmp_path / "x.json").fingerprint() == load_settings().fingerprint()


def test_store_adds_authenticates_replaces_and_removes(store):
    user = store.add("Alice", ["librarian", "clinician"], PASSWORD)
    assert (user.name, user.roles) == ("alice", ("clinician", "librarian"))  # lower-cased, roles in table order
    assert store.authenticate("alice", PASSWORD) == store.get("ALICE")
    assert store.authenticate("alice", "wrong password") is None
    assert store.authenticate("nobody", PASSWORD) is None
    assert store.authenticate("alice", "x" * 100) is None  # longer than bcrypt reads: never a match
    text = store.path.read_text(encoding="utf-8")
    assert PASSWORD not in text and "$2b$04$" in text  # a salted bcrypt hash, never the password
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    with pytest.raises(UserStoreError, match="already exists"):
        store.add("alice", ["admin"], PASSWORD)
    store.add("alice", ["admin"], "another long password", replace=True)
    assert store.get("alice").roles == ("admin",) and store.authenticate("alice", PASSWORD) is None
    assert store.get("alice").created == user.created
    proxied = store.add("bob@example.org", ["clinician"], None)
    assert proxied.password_hash == "" and store.authenticate("bob@example.org", "") is None
    assert [u.name for u in store.users()] == ["alice", "bob@example.org"]
    assert "password_hash" not in store.users()[0].public()
    store.remove("alice")
    assert store.get("alice") is None and [u.name for u in store.users()] == ["bob@example.org"]
    with pytest.raises(UserStoreError, match="no user 'alice'"):
        store.remove("alice")


@pytest.mark.parametrize("name, roles, password, problem", [
    ("", ["clinician"], PASSWORD, "not allowed"),
    ("../etc", ["clinician"], PASSWORD, "not allowed"),
    ("a b", ["clinician"], PASSWORD, "not allowed"),
    ("carol", [], PASSWORD, "at least one role"),
    ("carol", ["superuser"], PASSWORD, "unknown role"),
    ("carol", ["clinician"], "short", "at least 10"),
    ("carol", ["clinician"], "é" * 40, "at most 72"),
])
def test_store_refuses_bad_accounts_by_name(store, name, roles, password, problem):
    with pytest.raises(UserStoreError, match=problem):
        store.add(name, roles, password)
    assert not store.path.exists()


def test_a_damaged_store_is_a_named_error(store):
    store.path.write_text("{not json", encoding="utf-8")
    with pytest.raises(UserStoreError, match="not a clinrag user file"):
        store.users()
    store.path.write_text(json.dumps({"format": "clinrag-users/1", "users": {"eve": {"roles": ["root"]}}}))
    assert store.get("eve").roles == ()  # an unknown role in the file grants nothing


def test_local_identity_names_the_os_user():
    identity = local_identity()
    assert identity.name.startswith("cli:") and identity.source == "cli" and identity.roles == frozenset(ROLES)


# ------------------------------------------------------------------------------------------- the CLI
def _cli(monkeypatch, capsys, tmp_path, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setenv("CLINRAG_USERS_FILE", str(tmp_path / "users.json"))
    monkeypatch.setenv("CLINRAG_AUTH__BCRYPT_ROUNDS", "4")
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main([*argv, "--index", str(tmp_path / "index")])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_users_add_list_remove(monkeypatch, capsys, tmp_path):
    code, out, _ = _cli(monkeypatch, capsys, tmp_path, "users", "add", "Dana", "--role", "clinician", "--role", "admin",
                        "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0 and "added dana (clinician, admin)" in out
    code, out, _ = _cli(monkeypatch, capsys, tmp_path, "users", "add", "proxy-user", "--role", "librarian", "--no-password")
    assert code == 0
    store = UserStore(tmp_path / "users.json")
    assert store.authenticate("dana", PASSWORD) is not None and store.get("proxy-user").password_hash == ""
    code, out, err = _cli(monkeypatch, capsys, tmp_path, "users", "add", "dana", "--role", "clinician",
                          "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 2 and "already exists" in err and "--replace" in err
    code, out, err = _cli(monkeypatch, capsys, tmp_path, "users", "add", "erin", "--role", "clinician")
    assert code == 2 and "--password-stdin" in err  # no terminal to type at
    code, out, _ = _cli(monkeypatch, capsys, tmp_path, "users", "list")
    assert code == 0 and "dana" in out and "proxy sign-in only" in out and "2 user(s)" in out
    code, out, _ = _cli(monkeypatch, capsys, tmp_path, "users", "list", "--json")
    listed = json.loads(out)
    assert [u["name"] for u in listed] == ["dana", "proxy-user"] and "$2b$" not in out
    assert listed[0]["roles"] == ["clinician", "admin"] and listed[0]["password"] is True
    code, out, _ = _cli(monkeypatch, capsys, tmp_path, "users", "remove", "dana")
    assert code == 0 and "removed dana" in out
    code, out, err = _cli(monkeypatch, capsys, tmp_path, "users", "remove", "dana")
    assert code == 2 and "no user 'dana'" in err
    events = [line for line in AuditLog(tmp_path / "index" / "audit.jsonl").read() if line.get("type") == "users"]
    assert [(e["action"], e["target"]) for e in events] == [("add", "dana"), ("add", "proxy-user"), ("remove", "dana")]
    assert all(e["user"].startswith("cli:") for e in events) and PASSWORD not in json.dumps(events)


def _log_with_everything(path: Path) -> AuditLog:
    log = AuditLog(path)
    log.append({"type": "answer", "decision": "answer", "question": "What is the target?", "groundedness": 0.8,
                "user": "alice", "cited": [{"chunk_id": "htn:c1", "doc_id": "htn", "version": "2023"}],
                "redaction": {"redacted": False, "count": 0, "kinds": {}}}, now="2025-01-02T10:00:00.000Z")
    log.append({"type": "refusal", "decision": "refuse", "refusal_code": "no_relevant_evidence",
                "question": "=HYPERLINK(\"http://evil\")", "groundedness": 0.0, "user": "bob"},
               now="2025-01-03T10:00:00.000Z")
    log.append(event_entry("library", "carol", action="retire", doc_id="old-doc", detail="replaced; ask Maria Garcia"),
               now="2025-01-04T10:00:00.000Z")
    return log


def test_audit_export_csv_and_jsonl_with_filters(monkeypatch, capsys, tmp_path):
    log = _log_with_everything(tmp_path / "index" / "audit.jsonl")
    code, out, _ = _cli(monkeypatch, capsys, tmp_path, "audit", "export")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["seq"], r["type"], r["user"]) for r in rows] == [("1", "answer", "alice"), ("2", "refusal", "bob"),
                                                              ("3", "library", "carol")]
    assert rows[0]["cited"] == "htn:c1@2023" and rows[0]["groundedness"] == "0.8"
    assert rows[1]["question"].startswith("'=HYPERLINK")  # a spreadsheet shows it, never runs it
    assert rows[2]["action"] == "retire" and rows[2]["doc_id"] == "old-doc" and "Maria" not in out
    code, out, _ = _cli(monkeypatch, capsys, tmp_path, "audit", "export", "--format", "jsonl", "--type", "refusal",
                        "--type", "library")
    lines = [json.loads(raw) for raw in out.splitlines()]
    assert [line["seq"] for line in lines] == [2, 3] and all(line["hash"] == line_hash(line) for line in lines)
    assert out.splitlines()[0] == log.path.read_text(encoding="utf-8").splitlines()[2]  # byte for byte as logged
    target = tmp_path / "out" / "audit.csv"
    code, out, err = _cli(monkeypatch, capsys, tmp_path, "audit", "export", "--user", "alice", "--until", "2025-01-02",
                          "--out", str(target))
    assert code == 0 and out == "" and "1 record(s) written" in err
    assert [r["user"] for r in csv.DictReader(io.StringIO(target.read_text(encoding="utf-8")))] == ["alice"]
    code, out, _ = _cli(monkeypatch, capsys, tmp_path, "audit", "show")
    assert code == 0 and "library retire old-doc by carol" in out and "by alice" in out


def test_audit_export_of_a_broken_chain_still_writes_and_exits_1(monkeypatch, capsys, tmp_path):
    log = _log_with_everything(tmp_path / "index" / "audit.jsonl")
    log.path.write_text(log.path.read_text(encoding="utf-8").replace("What is the target?", "What is the aim?"),
                        encoding="utf-8")
    code, out, err = _cli(monkeypatch, capsys, tmp_path, "audit", "export", "--format", "jsonl")
    assert code == 1 and len(out.splitlines()) == 3 and "line 2" in err and "edited" in err


def test_filters_and_exports_are_pure(tmp_path):
    lines = _log_with_everything(tmp_path / "audit.jsonl").read()
    assert [r["seq"] for r in filter_records(lines)] == [1, 2, 3]  # the anchor is not a record
    assert [r["seq"] for r in filter_records(lines, since="2025-01-03")] == [2, 3]
    assert [r["seq"] for r in filter_records(lines, until="2025-01-03")] == [1, 2]
    assert [r["seq"] for r in filter_records(lines, text="OLD-DOC")] == [3]
    assert [r["seq"] for r in filter_records(lines, text="htn")] == [1]  # a cited document
    assert filter_records(lines, users=["nobody"]) == []
    assert export_jsonl([]) == "" and export_csv([]).startswith("seq,time,type,user")


def test_answers_are_audited_with_the_user_who_asked(tiny_app):
    from composition.service import AnswerService

    AnswerService(tiny_app, user="dr-who").ask("What is the blood pressure target for most adults with hypertension?")
    AnswerService(tiny_app).ask("How much intravenous fluid is given for sepsis-induced hypoperfusion?")
    records = [line for line in AuditLog(audit_path(tiny_app.settings.index_dir)).read() if line["type"] != "anchor"]
    assert records[0]["user"] == "dr-who" and records[1]["user"] == local_identity().name


def test_clinrag_ui_warns_by_sign_in_mode(tmp_path):
    from cli import ui as ui_cli

    settings = load_settings(users_file=tmp_path / "users.json", auth={"bcrypt_rounds": 4})
    assert not ui_cli._ui_password_set(settings, {})
    UserStore.from_settings(settings).add("ada", ["admin"], PASSWORD)
    assert ui_cli._ui_password_set(settings, {})  # accounts ask for a password
    proxy = load_settings(users_file=tmp_path / "users.json", auth={"mode": "proxy"})
    assert "X-Forwarded-User" in ui_cli.ui_proxy_warning("0.0.0.0", proxy)
    assert ui_cli.ui_proxy_warning("127.0.0.1", proxy) == "" and ui_cli.ui_proxy_warning("0.0.0.0", settings) == ""
