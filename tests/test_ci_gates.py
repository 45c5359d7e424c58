"""What keeps CI honest about the real-browser test: scripts/ensure-chromium.sh (called by scripts/run-tests.sh)
installs Debian's chromium when it is missing and it can, and under CI=true a skipped browser test fails the run
(tests/conftest.py). Fast: fake apt-get and id on PATH, and a throwaway pytest run on two tiny files."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import REPO, skip_not_allowed

SCRIPT = REPO / "scripts" / "ensure-chromium.sh"


def _fake_bin(folder: Path, uid: int) -> Path:
    """``id -u`` printing ``uid`` and an ``apt-get`` that logs its arguments and 'installs' by creating the binary."""
    folder.mkdir()
    (folder / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    (folder / "apt-get").write_text(textwrap.dedent("""\
        #!/bin/sh
        echo "$@" >> "$APT_LOG"
        case "$*" in *install*chromium*) printf '#!/bin/sh\\n' > "$CLINRAG_DEBIAN_CHROMIUM"; chmod +x "$CLINRAG_DEBIAN_CHROMIUM";; esac
        """))
    for tool in ("id", "apt-get"):
        (folder / tool).chmod(0o755)
    return folder


def _ensure(tmp_path: Path, uid: int, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    bin_dir = tmp_path / f"bin-{uid}"
    if not bin_dir.exists():
        _fake_bin(bin_dir, uid)
    log = tmp_path / "apt.log"
    full = {k: v for k, v in os.environ.items() if k != "CLINRAG_CHROMIUM"}
    full.update(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", APT_LOG=str(log),
                CLINRAG_DEBIAN_CHROMIUM=str(tmp_path / "chromium"), TMPDIR=str(tmp_path), **env)
    done = subprocess.run(["bash", str(SCRIPT)], env=full, capture_output=True, text=True, timeout=60)
    return done, log.read_text().splitlines() if log.exists() else []


def test_chromium_is_installed_once_when_missing_and_root_has_apt(tmp_path):
    first, calls = _ensure(tmp_path, 0)
    assert first.returncode == 0, first.stderr
    assert calls == ["update -qq", "install -y -qq chromium"]
    assert (tmp_path / "chromium").is_file() and "installed" in first.stdout
    second, calls = _ensure(tmp_path, 0)  # idempotent and quiet once it is there
    assert second.returncode == 0 and second.stdout == "" and second.stderr == ""
    assert calls == ["update -qq", "install -y -qq chromium"]


def test_without_root_or_for_another_browser_nothing_is_installed_and_the_run_goes_on(tmp_path):
    done, calls = _ensure(tmp_path, 1000)
    assert done.returncode == 0 and calls == [] and "will be skipped" in done.stdout
    done, calls = _ensure(tmp_path, 0, CLINRAG_CHROMIUM=str(tmp_path / "elsewhere" / "chrome"))
    assert done.returncode == 0 and calls == [] and "CLINRAG_CHROMIUM" in done.stdout


def test_run_tests_installs_the_browser_before_pytest():
    lines = (REPO / "scripts" / "run-tests.sh").read_text().splitlines()
    ensure = next(i for i, line in enumerate(lines) if line.startswith("bash scripts/ensure-chromium.sh"))
    assert ensure > next(i for i, line in enumerate(lines) if line.startswith("bash scripts/setup.sh"))
    assert ensure < next(i for i, line in enumerate(lines) if "pytest" in line and line.startswith("exec"))


def test_a_skip_is_refused_only_for_the_browser_test_and_only_under_ci():
    assert skip_not_allowed("test_ui_browser.py", "no Chromium", {"CI": "true"}).startswith("test_ui_browser.py may not")
    assert skip_not_allowed("test_ui_browser.py", "no Chromium", {"CI": "false"}) is None
    assert skip_not_allowed("test_ui_browser.py", "no Chromium", {}) is None
    assert skip_not_allowed("test_other.py", "no data", {"CI": "true"}) is None


def _pytest(folder: Path) -> subprocess.CompletedProcess:
    """pytest on ``folder`` under CI=true, in a fresh process."""
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    env.update(CI="true", PYTHONPATH=os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)], cwd=folder,
                          env=env, capture_output=True, text=True, timeout=120)


def test_under_ci_a_skipped_browser_test_fails_the_run_and_other_skips_do_not(tmp_path):
    (tmp_path / "conftest.py").write_text("from tests.conftest import pytest_runtest_makereport  # noqa: F401\n")
    (tmp_path / "test_ui_browser.py").write_text(textwrap.dedent("""\
        import pytest

        @pytest.fixture(scope="module")
        def browser_ready():
            pytest.skip("real-browser UI test skipped: no Chromium at /nowhere")

        def test_browser(browser_ready):
            pass
        """))
    (tmp_path / "test_other.py").write_text("import pytest\n\ndef test_other():\n    pytest.skip('no data here')\n")
    ci = _pytest(tmp_path)  # (without CI both are plain skips: test_a_skip_is_refused_only_..._under_ci)
    assert ci.returncode == 1, ci.stdout + ci.stderr
    assert "may not be skipped under CI" in ci.stdout and "no Chromium at /nowhere" in ci.stdout
    assert "1 skipped" in ci.stdout and "1 error" in ci.stdout  # the fixture's skip becomes a setup error
