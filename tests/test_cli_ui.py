"""`clinrag ui`: the Streamlit command line it builds (no server is started)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cli.main import main
from cli.parser import build_parser
from cli.ui import is_loopback, ui_command, ui_exposure_warning
from clinrag.errors import ConfigError
from clinrag.settings import Settings


def _option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def _args(*extra: str):
    return build_parser().parse_args(["ui", *extra])


def test_defaults_listen_on_loopback_and_hide_error_details(tmp_path: Path):
    settings = Settings(index_dir=tmp_path / "index")
    argv, env = ui_command(_args(), settings, environ={"PATH": "/bin"})
    assert argv[1:4] == ["-m", "streamlit", "run"] and argv[4].endswith(os.path.join("ui", "app.py"))
    assert _option(argv, "--server.address") == "127.0.0.1"
    assert _option(argv, "--server.port") == "8501"
    assert _option(argv, "--client.showErrorDetails") == "none"
    assert _option(argv, "--browser.gatherUsageStats") == "false"
    assert _option(argv, "--server.headless") == "true"
    assert env == {"PATH": "/bin", "CLINRAG_INDEX_DIR": str(tmp_path / "index")}


def test_host_port_and_settings_file_are_passed_on(tmp_path: Path):
    settings = Settings(index_dir=tmp_path / "index")
    argv, env = ui_command(_args("--host", "0.0.0.0", "--port", "9000", "--settings", "site.toml"), settings,
                               environ={})
    assert (_option(argv, "--server.address"), _option(argv, "--server.port")) == ("0.0.0.0", "9000")
    assert env["CLINRAG_SETTINGS_FILE"] == "site.toml"


def test_the_options_exist_in_the_installed_streamlit(tmp_path: Path):
    config = pytest.importorskip("streamlit.config")
    argv, _ = ui_command(_args(), Settings(index_dir=tmp_path), environ={})
    names = [a[2:] for a in argv[5:] if a.startswith("--")]
    assert names and set(names) <= set(config.get_config_options())


@pytest.mark.parametrize("host,loopback", [
    ("127.0.0.1", True), ("127.0.1.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("clinic-server", False),
])
def test_is_loopback(host: str, loopback: bool):
    assert is_loopback(host) is loopback
    assert (ui_exposure_warning(host, 8501, password_set=False) == "") is loopback


def test_the_warning_names_the_password_setting():
    unprotected = ui_exposure_warning("0.0.0.0", 8501, password_set=False)
    assert "0.0.0.0:8501" in unprotected and "exposed to the network" in unprotected
    assert "CLINRAG_UI_PASSWORD" in unprotected and "--host 127.0.0.1" in unprotected
    protected = ui_exposure_warning("0.0.0.0", 8501, password_set=True)
    assert "exposed to the network" in protected and "TLS" in protected and "no password" not in protected


@pytest.mark.parametrize("extra,needle", [(("--host", ""), "--host"), (("--host", "a b"), "--host"),
                                          (("--port", "70000"), "--port")])
def test_bad_host_or_port_is_a_config_error(tmp_path: Path, extra: tuple[str, ...], needle: str):
    with pytest.raises(ConfigError, match=needle):
        ui_command(_args(*extra), Settings(index_dir=tmp_path), environ={})


def test_cmd_ui_warns_on_stderr_then_execs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    calls = []
    monkeypatch.setattr(os, "execve", lambda path, argv, env: calls.append((path, argv, env)))
    monkeypatch.delenv("CLINRAG_UI_PASSWORD", raising=False)
    assert main(["ui", "--host", "0.0.0.0", "--index", str(tmp_path / "index")]) == 0
    [(_, argv, env)] = calls
    assert _option(argv, "--server.address") == "0.0.0.0"
    assert env["CLINRAG_INDEX_DIR"] == str(tmp_path / "index")
    err = capsys.readouterr().err
    assert err.startswith("clinrag ui: warning:") and "CLINRAG_UI_PASSWORD" in err

    calls.clear()
    assert main(["ui", "--index", str(tmp_path / "index")]) == 0
    assert len(calls) == 1 and capsys.readouterr().err == ""

    monkeypatch.setenv("CLINRAG_UI_PASSWORD", "s3cret")
    assert main(["ui", "--host", "0.0.0.0", "--index", str(tmp_path / "index")]) == 0
    assert "no password" not in capsys.readouterr().err


def test_a_bad_host_is_reported_by_main(tmp_path: Path, capsys: pytest.CaptureFixture):
    assert main(["ui", "--host", "", "--index", str(tmp_path / "index")]) == 2
    assert "clinrag ui: error: --host must be" in capsys.readouterr().err
