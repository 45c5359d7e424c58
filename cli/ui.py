"""``clinrag ui``: start the Streamlit app, warning when it is exposed to the network."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Mapping

from clinrag.errors import ConfigError
from clinrag.settings import REPO_ROOT, Settings
from cli.parser import LOOPBACK_HOST, settings_from_args

UI_PASSWORD_ENV = "CLINRAG_UI_PASSWORD"


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (``localhost``, 127.0.0.0/8, ``::1``); False for
    ``0.0.0.0``, ``::`` (every interface), other addresses and host names."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def ui_command(args: argparse.Namespace, settings: Settings, environ: Mapping[str, str] | None = None
               ) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that start the Streamlit server (pure given ``environ``, which defaults to
    ``os.environ``): listening on ``args.host`` and ``args.port``, error details kept out of the browser
    (``--client.showErrorDetails none``: tracebacks and exception messages go to the console only), no usage
    statistics, and the index and settings file of this command."""
    import os

    host = str(args.host).strip()
    if not host or any(ch.isspace() or not ch.isprintable() for ch in host):
        raise ConfigError(f"--host must be an IP address or host name, found {args.host!r}; for example "
                          f"{LOOPBACK_HOST} (this machine only) or 0.0.0.0 (every interface)")
    if not 0 < int(args.port) < 65536:
        raise ConfigError(f"--port must be between 1 and 65535, found {args.port}; the default is 8501")
    argv = [
        sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "ui" / "app.py"),
        "--server.address", host, "--server.port", str(args.port), "--server.headless", "true",
        "--client.showErrorDetails", "none", "--browser.gatherUsageStats", "false",
    ]
    env = dict(os.environ if environ is None else environ, CLINRAG_INDEX_DIR=str(settings.index_dir))
    if args.settings:
        env["CLINRAG_SETTINGS_FILE"] = str(args.settings)
    return argv, env


def ui_exposure_warning(host: str, port: int, password_set: bool) -> str:
    """What to tell the person starting the app when ``host`` is reachable from the network ('' for loopback)."""
    if is_loopback(host):
        return ""
    where = f"{host}:{port}"
    if password_set:
        return (f"warning: the app listens on {where}, exposed to the network; a password is set ({UI_PASSWORD_ENV}), but "
                "the traffic is plain HTTP: serve it behind a TLS proxy, or use --host 127.0.0.1 to keep it on this machine")
    return (f"warning: the app listens on {where}, exposed to the network with no password: anyone who can reach this "
            f"machine can ask questions and read the indexed documents. Set {UI_PASSWORD_ENV} to require a shared "
            "password, or use --host 127.0.0.1 to keep it on this machine")


def _ui_password_set(settings: Settings, env: Mapping[str, str]) -> bool:
    """True when the app asks for a password: the shared one, or accounts (``clinrag users add``)."""
    secret = getattr(settings, "ui_password", None)
    value = secret.get_secret_value() if hasattr(secret, "get_secret_value") else (secret or "")
    if value or env.get(UI_PASSWORD_ENV, ""):
        return True
    from stores.users import UserStore, resolve_mode

    return resolve_mode(settings, UserStore.from_settings(settings).has_users()) == "accounts"


def ui_proxy_warning(host: str, settings: Settings) -> str:
    """What to tell the person starting the app in proxy mode on an address the network can reach ('' otherwise)."""
    if settings.auth.mode != "proxy" or is_loopback(host):
        return ""
    return (f"warning: auth.mode is proxy, so the app believes the {settings.auth.proxy_header} header; anyone who "
            f"reaches {host} without the proxy can claim to be any user. Keep the app on 127.0.0.1 behind the proxy")


def cmd_ui(args: argparse.Namespace) -> int:
    import os

    settings = settings_from_args(args)
    argv, env = ui_command(args, settings)
    for warning in (ui_exposure_warning(args.host, args.port, _ui_password_set(settings, env)),
                    ui_proxy_warning(args.host, settings)):
        if warning:
            print(f"clinrag ui: {warning}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)  # the server replaces this process, so signals reach it directly
    return 0
