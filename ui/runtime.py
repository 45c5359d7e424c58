"""What every page of the app shares: the one App per process and how errors are shown (sign-in: ui/access.py).

Models and the index load once per process (``st.cache_resource``) and are shared by every session; Streamlit
serves sessions from threads, so nothing here keeps per-session state outside ``st.session_state``.

The setting ``ui.app_factory`` (``CLINRAG_UI_APP_FACTORY=module:function``, mapped by ``clinrag.settings``) names a
function ``(settings) -> App`` that builds the App instead of ``App(settings)``: a site can plug in its own
components, and the UI tests plug in deterministic fakes. Nothing under ``tests/`` is imported unless it names it.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass, field

import streamlit as st

from clinrag.errors import ClinragError, ConfigError
from clinrag.settings import Settings
from ui import render as R

@dataclass
class Runtime:
    """The process-wide App, whether its models have answered once yet, and a lock for writes to the index."""

    app: object
    warm: set[str] = field(default_factory=set)  # generators that have answered once (models loaded)
    write_lock: threading.Lock = field(default_factory=threading.Lock)


def _build_app(settings: Settings, factory: str):
    if not factory:
        from composition.app import App

        return App(settings)
    module_name, _, attribute = factory.partition(":")
    try:
        build = getattr(importlib.import_module(module_name), attribute or "make_app")
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"ui.app_factory (CLINRAG_UI_APP_FACTORY) = {factory!r} does not name an importable function (expected "
            f"'module:function'): {exc}; fix the name or unset it to use App(settings)"
        ) from exc
    return build(settings)


@st.cache_resource(show_spinner=False)
def _cached_runtime(fingerprint: str, index_dir: str, factory: str, _settings: Settings) -> Runtime:
    """One Runtime per (settings fingerprint, index folder, factory); shared across sessions."""
    app = _build_app(_settings, factory)
    # Open the Chroma client here, once: st.cache_resource computes a value in one thread while other sessions
    # wait, and chromadb fails when two threads open the same persistent path for the first time concurrently.
    try:
        if app.store.exists():
            app.store.vectors.count()
    except Exception:  # noqa: BLE001 - reported when the user asks or lists documents
        pass
    return Runtime(app)


def runtime(settings: Settings) -> Runtime:
    return _cached_runtime(settings.fingerprint(), str(settings.index_dir), settings.ui.app_factory, settings)


def show_error(exc: BaseException) -> None:
    """A named error as its message; anything else as a short line (no stack trace reaches the user)."""
    if isinstance(exc, ClinragError):
        st.error(R.escape_md(str(exc)), icon=":material/error:")
    else:
        st.error(
            R.escape_md(f"Something went wrong ({type(exc).__name__}). The details are in the server log; "
                        "please report the question and the time."),
            icon=":material/error:",
        )
        import logging

        logging.getLogger("clinrag.ui").error("unexpected error in the UI", exc_info=exc)
