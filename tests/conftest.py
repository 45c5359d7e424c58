from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Tests never reach beyond this machine: a connection to anything but loopback fails loudly (the product is
    offline; a test that needs the network is a bug)."""
    import ipaddress
    import socket

    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and self.family in (socket.AF_INET, socket.AF_INET6):
            try:
                loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = False
            if not loopback:
                raise OSError(f"tests may not reach the network (tried {host}); clinrag runs offline")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"

# Test files that may not be skipped under CI (CI=true): a skip there means the machine lacks what the test needs
# (Debian's chromium, installed by scripts/run-tests.sh when it can), and a green run would hide that.
REQUIRED_IN_CI = frozenset({"test_ui_browser.py"})


def running_in_ci(environ=os.environ) -> bool:
    return environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def skip_not_allowed(file_name: str, skip_reason: str, environ=os.environ) -> str | None:
    """The failure message for a skip of a test in ``REQUIRED_IN_CI`` under CI, or None when the skip may stand."""
    if file_name not in REQUIRED_IN_CI or not running_in_ci(environ):
        return None
    return (f"{file_name} may not be skipped under CI (CI=true): {skip_reason}. scripts/run-tests.sh installs Debian's "
            "chromium when it runs as root with apt-get; install it (apt-get install -y chromium) or set CLINRAG_CHROMIUM")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI, a skipped test of ``REQUIRED_IN_CI`` (in its setup, as the browser fixture skips, or in its body)
    is reported as failed, so the run fails instead of passing with '1 skipped'."""
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3 else str(report.longrepr)
    message = skip_not_allowed(Path(str(item.path)).name, str(reason).removeprefix("Skipped: "))
    if message:
        report.outcome = "failed"
        report.longrepr = message

TINY_DOCS = {
    "htn.md": """\
        ---
        doc_id: "htn-demo-2023"
        title: "Hypertension demo guideline"
        issuer: "Demo Society"
        version: "2023"
        status: "current"
        effective_date: "2023-05-01"
        supersedes: "htn-demo-2014"
        ---
        # Hypertension demo guideline

        ## Diagnosis
        Stage 1 hypertension is a blood pressure of 130-139/80-89 mm Hg. Stage 2 hypertension is 140/90 mm Hg or higher.

        ## Treatment targets
        The blood pressure target for most adults with hypertension is below 130/80 mm Hg.
        Thiazide diuretics, calcium channel blockers and ACE inhibitors are first-line drug classes.
        """,
    "htn-old.md": """\
        ---
        doc_id: "htn-demo-2014"
        title: "Hypertension demo guideline (old)"
        issuer: "Demo Society"
        version: "2014"
        status: "superseded"
        effective_date: "2014-02-01"
        superseded_by: "htn-demo-2023"
        ---
        # Hypertension demo guideline (old)

        ## Treatment targets
        The blood pressure target for adults aged 60 years or older is below 150/90 mm Hg.
        """,
    "sepsis.md": """\
        ---
        doc_id: "sepsis-demo-2021"
        title: "Sepsis demo guideline"
        issuer: "Demo Campaign"
        version: "2021"
        effective_date: "2021-10-04"
        ---
        # Sepsis demo guideline

        ## Antibiotics
        For adults with possible septic shock, give antimicrobials immediately, ideally within 1 hour of recognition.

        ## Fluids
        For sepsis-induced hypoperfusion, give at least 30 mL/kg of intravenous crystalloid fluid within the first 3 hours.
        Balanced crystalloids are suggested over normal saline.
        """,
    "asthma.txt": """\
        Asthma demo notes
        Adults with mild asthma should use as-needed low-dose inhaled corticosteroid with formoterol.
        Short-acting beta agonist monotherapy is not recommended for adults and adolescents.
        """,
}


def write_tiny_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in TINY_DOCS.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    return write_tiny_corpus(tmp_path / "corpus")


@pytest.fixture
def fake_app(tmp_path: Path):
    from composition.app import App
    from clinrag.settings import load_settings
    from tests.fakes import HashEmbedder, LexicalReader

    # fixed, model-independent gates and a lexical stand-in for the reader
    return App(
        load_settings(index_dir=tmp_path / "index"), embedder=HashEmbedder(), reader=LexicalReader(),
        calibration=unit_calibration(),
    )


def unit_calibration():
    """Deterministic calibrators for unit tests: answerable when the (lexical) reader finds a relevant passage."""
    from rag.calibration import DEFAULTS, CalibrationSet, LogisticCalibrator

    return CalibrationSet(
        "unit-test",
        {
            "answerability": LogisticCalibrator(("rel_max",), (3.0,), 0.0, (0.3,), (0.15,)),
            "support": DEFAULTS["support"],
            "answers_question": LogisticCalibrator(("support_min",), (3.0,), 0.0, (0.4,), (0.2,)),
        },
        {"min_answerable": 0.5, "min_groundedness": 0.2, "min_answers_question": 0.0, "min_verdict": 0.8},
        "unit-test",
        {"recommendation": 0.95, "reader": 0.85},
    )


@pytest.fixture
def tiny_app(fake_app, tiny_corpus):
    report = fake_app.ingest([tiny_corpus])
    assert report.ok, report.failed
    return fake_app


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.exists():
        pytest.skip("../shared/data is not available on this machine")
    return SHARED


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory):
    """The bundled demonstration corpus in a real index (MiniLM + Chroma + BM25), built once per session."""
    from composition.app import App
    from clinrag.settings import load_settings

    index = tmp_path_factory.mktemp("demo-index")
    app = App(load_settings(index_dir=index))
    report = app.ingest([REPO / "corpora"])
    assert report.ok, report.failed
    assert len(report.added) >= 40
    return app
