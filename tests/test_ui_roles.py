"""Roles in the app, headless (streamlit.testing): every page and action is denied to a role that lacks it and allowed
to one that has it, in every sign-in mode; the Audit page verifies the chain, filters and exports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clinrag.errors import AccessDeniedError
from clinrag.settings import load_settings
from stores.audit import AuditLog, audit_path
from stores.users import ROLES, Identity, UserStore
from tests.test_ui import _ask, _library_action, _start, ui_index, write_eval_run  # noqa: F401 - ui_index: a fixture

PASSWORD = "correct horse battery"
USERS = {"cara": ("clinician",), "liam": ("librarian",), "eva": ("evaluator",), "ada": ("admin",)}
ROLE_OF = {name: roles[0] for name, roles in USERS.items()}
PAGES_OF = {"clinician": ["Ask"], "librarian": ["Library"], "evaluator": ["Evaluation", "Audit"],
            "admin": ["Audit", "Users"]}
ALL_PAGES = ["Ask", "Library", "Evaluation", "Audit", "Users"]


def page_shown(at, page: str) -> bool:
    """Whether the page's own controls were rendered in this run."""
    buttons = {b.label for b in at.button}
    return {
        "Ask": lambda: len(at.chat_input) > 0,
        "Library": lambda: "Ingest uploaded files" in buttons,
        "Evaluation": lambda: "Run evaluation" in buttons,
        "Audit": lambda: "Verify chain" in buttons,
        "Users": lambda: "Add user" in buttons,
    }[page]()


def frame_with(at, column: str):
    """The one dataframe shown with ``column`` (None when there is none)."""
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(frames) <= 1, [list(f.columns) for f in frames]
    return frames[0] if frames else None


def locks(at) -> list[str]:
    return [e.value for e in at.error if " may not " in e.value]


@pytest.fixture
def index(ui_index, tmp_path) -> Path:
    return Path(shutil.copytree(ui_index, tmp_path / "own-index"))


@pytest.fixture
def accounts(tmp_path) -> UserStore:
    store = UserStore(tmp_path / "users.json", rounds=4)
    for name, roles in USERS.items():
        store.add(name, roles, PASSWORD)
    return store


def _accounts_app(index, monkeypatch, tmp_path, **env):
    if not (tmp_path / "eval").exists():
        write_eval_run(tmp_path / "eval")
    return _start(index, monkeypatch, tmp_path, CLINRAG_USERS_FILE=str(tmp_path / "users.json"),
                  CLINRAG_AUTH__BCRYPT_ROUNDS="4", **env)


def _sign_in(at, name: str, password: str = PASSWORD):
    at.text_input(key="login-user").input(name)
    at.text_input(key="login-password").input(password)
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception, at.exception
    return at


def _signed_in(index, monkeypatch, tmp_path, name: str):
    at = _sign_in(_accounts_app(index, monkeypatch, tmp_path), name)
    assert not [e.value for e in at.error], [e.value for e in at.error]
    return at


@pytest.mark.parametrize("name", list(USERS))
def test_each_role_sees_exactly_its_pages(index, accounts, monkeypatch, tmp_path, name):
    at = _signed_in(index, monkeypatch, tmp_path, name)
    allowed = PAGES_OF[ROLE_OF[name]]
    assert [t.label for t in at.tabs] == allowed
    for page in ALL_PAGES:
        assert page_shown(at, page) == (page in allowed), (name, page)
    assert any(f"Signed in as **{name}**" in m.value for m in at.sidebar.markdown)


def _all_pages_script():
    """Renders every page for the identity named in the environment, bypassing the tabs: each page checks itself."""
    import os

    from clinrag.settings import load_settings
    from stores.users import Identity
    from ui.ask import ask_page
    from ui.audit import audit_page
    from ui.evaluation import evaluation_page
    from ui.library import library_page
    from ui.users import users_page

    roles = frozenset(r for r in os.environ["TEST_ROLES"].split(",") if r)
    identity = Identity("tester", roles, "accounts")
    settings = load_settings()
    for page in (library_page, evaluation_page, audit_page, users_page, ask_page):
        page(settings, identity)


@pytest.mark.parametrize("role", [*ROLES, ""])
def test_every_page_refuses_a_role_that_lacks_it_even_outside_the_tabs(ui_index, monkeypatch, tmp_path, role):
    from streamlit.testing.v1 import AppTest

    write_eval_run(tmp_path / "eval")
    monkeypatch.setenv("CLINRAG_INDEX_DIR", str(ui_index))
    monkeypatch.setenv("CLINRAG_UI_APP_FACTORY", "tests.ui_support:make_app")
    monkeypatch.setenv("CLINRAG_EVAL_DIR", str(tmp_path / "eval"))
    monkeypatch.setenv("CLINRAG_USERS_FILE", str(tmp_path / "users.json"))
    monkeypatch.setenv("TEST_ROLES", role)
    at = AppTest.from_function(_all_pages_script, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    allowed = PAGES_OF.get(role, [])
    for page in ALL_PAGES:
        assert page_shown(at, page) == (page in allowed), (role, page)
    assert len(locks(at)) == len(ALL_PAGES) - len(allowed)
    assert all("tester may not" in message for message in locks(at))


def test_every_action_handler_refuses_a_role_that_lacks_it(ui_index, tmp_path):
    """The handlers behind the buttons check the role themselves, before touching anything."""
    from ui.ask import answer_with_progress
    from ui.library import ingest_uploads

    settings = load_settings(index_dir=tmp_path / "never", upload_dir=tmp_path / "uploads")
    for role in ROLES:
        identity = Identity("tester", frozenset({role}), "accounts")
        if role != "clinician":
            with pytest.raises(AccessDeniedError, match="may not ask questions"):
                answer_with_progress(None, "What is the target?", "extractive", identity)
        if role != "librarian":
            with pytest.raises(AccessDeniedError, match="may not change the library"):
                ingest_uploads(settings, None, [], {}, identity)
    assert not (tmp_path / "uploads").exists() and not (tmp_path / "never").exists()


def test_a_clinician_asks_and_the_audit_record_names_them(index, accounts, monkeypatch, tmp_path):
    at = _ask(_signed_in(index, monkeypatch, tmp_path, "cara"),
              "What is the blood pressure target for most adults with hypertension?")
    assert at.session_state["turns"][0]["record"].decision == "answer"
    last = AuditLog(audit_path(index)).read()[-1]
    assert last["type"] == "answer" and last["user"] == "cara"


def test_a_librarian_changes_the_library_and_the_audit_names_them(index, accounts, monkeypatch, tmp_path):
    at = _library_action(_signed_in(index, monkeypatch, tmp_path, "liam"), "sepsis-demo-2021", "retire")
    frame = at.dataframe[0].value
    assert bool(frame[frame["doc_id"] == "sepsis-demo-2021"]["retired"].iloc[0])
    last = AuditLog(audit_path(index)).read()[-1]
    assert (last["type"], last["action"], last["doc_id"], last["user"]) == ("library", "retire", "sepsis-demo-2021", "liam")


def test_an_evaluator_reads_the_audit_verifies_the_chain_filters_and_exports(index, accounts, monkeypatch, tmp_path):
    at = _ask(_signed_in(index, monkeypatch, tmp_path, "cara"),
              "What is the blood pressure target for most adults with hypertension?")
    at = _library_action(_signed_in(index, monkeypatch, tmp_path, "liam"), "asthma", "retire")
    at = _signed_in(index, monkeypatch, tmp_path, "eva")
    answers = frame_with(at, "cited")
    changes = frame_with(at, "detail")
    assert "cara" in set(answers["user"]) and set(changes["user"]) == {"liam"}
    assert list(changes["doc_id"]) == ["asthma"]
    assert {d.proto.label for d in at.get("download_button")} == {"Export CSV", "Export JSONL"}
    next(b for b in at.button if b.label == "Verify chain").click().run()
    assert any("The chain verifies" in s.value for s in at.success), [s.value for s in at.success]
    at.multiselect(key="audit-types").set_value(["library"]).run()
    assert len(frame_with(at, "detail")) == 1 and frame_with(at, "cited") is None
    assert any(h.value == "Answers and refusals (0)" for h in at.subheader)
    at.multiselect(key="audit-types").set_value(["answer", "refusal", "library"]).run()
    at.text_input(key="audit-text").input("no such text anywhere").run()
    assert any("Records shown" == m.label and m.value.startswith("0 of") for m in at.metric)
    # an edited line is found by the button, and named
    lines = audit_path(index).read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace('"user":"cara"', '"user":"mallory"')
    audit_path(index).write_text("".join(lines), encoding="utf-8")
    next(b for b in at.button if b.label == "Verify chain").click().run()
    assert any("The chain is broken" in e.value and "line 2" in e.value for e in at.error), [e.value for e in at.error]


def test_an_admin_adds_and_removes_accounts_and_the_audit_names_them(index, accounts, monkeypatch, tmp_path):
    at = _signed_in(index, monkeypatch, tmp_path, "ada")
    at.text_input(key="user-name").input("Noor")
    at.multiselect(key="user-roles").set_value(["clinician", "librarian"])
    at.text_input(key="user-password").input("a long enough password")
    at.text_input(key="user-password-again").input("a long enough password")
    next(b for b in at.button if b.label == "Add user").click().run()
    assert not at.exception and any("Added noor" in s.value for s in at.success), [e.value for e in at.error]
    assert accounts.get("noor").roles == ("clinician", "librarian")
    assert accounts.authenticate("noor", "a long enough password") is not None
    at.selectbox(key="user-remove-name").set_value("ada")
    at.checkbox(key="user-remove-confirm").check()
    next(b for b in at.button if b.label == "Remove user").click().run()
    assert any("own account" in w.value for w in at.warning) and accounts.get("ada") is not None
    at.selectbox(key="user-remove-name").set_value("noor")
    at.checkbox(key="user-remove-confirm").check()
    next(b for b in at.button if b.label == "Remove user").click().run()
    assert accounts.get("noor") is None
    events = [line for line in AuditLog(audit_path(index)).read() if line.get("type") == "users"]
    assert [(e["action"], e["target"], e["user"]) for e in events] == [("add", "noor", "ada"), ("remove", "noor", "ada")]
    assert "a long enough password" not in audit_path(index).read_text(encoding="utf-8")


def test_account_sign_in_refuses_a_wrong_password_and_follows_the_store(index, accounts, monkeypatch, tmp_path):
    at = _accounts_app(index, monkeypatch, tmp_path)
    assert not at.tabs and not at.chat_input
    at = _sign_in(at, "cara", "not the password")
    assert any("Wrong user name or password" in e.value for e in at.error) and not at.tabs
    at = _sign_in(at, "nobody", PASSWORD)
    assert any("Wrong user name or password" in e.value for e in at.error) and not at.tabs
    at = _sign_in(at, "CARA", PASSWORD)
    assert [t.label for t in at.tabs] == ["Ask"]
    accounts.add("cara", ["clinician", "evaluator"], PASSWORD, replace=True)  # a role granted takes effect at once
    at.run()
    assert [t.label for t in at.tabs] == ["Ask", "Evaluation", "Audit"]
    accounts.remove("cara")  # and a removed account is signed out at the next run
    at.run()
    assert not at.tabs and any("no longer exists" in w.value for w in at.warning)
    at = _sign_in(at, "liam")
    next(b for b in at.sidebar.button if b.label == "Sign out").click().run()
    assert not at.tabs and any(b.label == "Sign in" for b in at.button)


def test_proxy_sign_in_maps_the_header_to_the_same_roles(index, accounts, monkeypatch, tmp_path):
    headers = {"x-forwarded-user": "Liam"}
    monkeypatch.setattr("ui.access.request_headers", lambda: headers)
    at = _accounts_app(index, monkeypatch, tmp_path, CLINRAG_AUTH__MODE="proxy")
    assert [t.label for t in at.tabs] == ["Library"] and not at.chat_input
    assert not any(b.label == "Sign out" for b in at.sidebar.button)
    headers["x-forwarded-user"] = "stranger@example.org"
    at.run()
    assert not at.tabs and any("has no account here" in e.value for e in at.error)
    headers.clear()
    at.run()
    assert not at.tabs and any("Forwarded" in e.value and "no" in e.value for e in at.error)


def test_shared_password_mode_gives_the_configured_roles(index, monkeypatch, tmp_path):
    at = _start(index, monkeypatch, tmp_path, CLINRAG_UI_PASSWORD="s3cret", CLINRAG_AUTH__SHARED_ROLES='["clinician"]')
    assert not at.tabs
    at.text_input(key="login-password").input("s3cret")
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert [t.label for t in at.tabs] == ["Ask"] and not page_shown(at, "Library")
    at = _ask(at, "What is the blood pressure target for most adults with hypertension?")
    assert AuditLog(audit_path(index)).read()[-1]["user"] == "shared-password"


def test_open_mode_keeps_every_page_and_names_the_user_anonymous(index, monkeypatch, tmp_path):
    at = _start(index, monkeypatch, tmp_path)
    assert [t.label for t in at.tabs] == ALL_PAGES
    at = _ask(at, "What is the blood pressure target for most adults with hypertension?")
    assert json.loads(audit_path(index).read_text(encoding="utf-8").splitlines()[-1])["user"] == "anonymous"
