"""Who is using the app and what they may do: sign-in in four modes, and the role check of every page and action.

The mode is ``auth.mode`` (``stores.users.resolve_mode``): ``open`` (no sign-in; everyone has ``auth.shared_roles``),
``password`` (the shared ``ui_password``; the same roles), ``accounts`` (a user name and password from the user store,
``clinrag users add``) and ``proxy`` (the user name from the header ``auth.proxy_header`` that a trusted reverse proxy
sets; the roles from the user store). A signed-in account is looked up again on every run, so a removed user or a
changed role takes effect at the next click. Only the user name is kept in the session, never a password.
"""

from __future__ import annotations

import hmac

import streamlit as st

from clinrag.errors import ClinragError
from clinrag.settings import Settings
from stores.users import ACTION_TEXT, PERMISSIONS, Identity, UserStore, resolve_mode
from ui import render as R

SESSION_USER = "signed_in_user"  # an account's name (accounts mode)
SESSION_SHARED = "authenticated"  # the shared password was entered (password mode)


def request_headers() -> dict[str, str]:
    """The headers of this session's request (the seam the proxy tests replace)."""
    try:
        return {k.lower(): v for k, v in dict(st.context.headers).items()}
    except Exception:  # noqa: BLE001 - no request context (bare script run)
        return {}


def sign_in(settings: Settings) -> Identity | None:
    """The identity of this session, or None after showing what it must do first (a sign-in form or a reason)."""
    store = UserStore.from_settings(settings)
    try:
        mode = resolve_mode(settings, store.has_users() if settings.auth.mode in {"auto", "accounts"} else False)
    except ClinragError as exc:
        st.error(R.escape_md(str(exc)))
        return None
    roles = frozenset(settings.auth.shared_roles)
    if mode == "open":
        return Identity("anonymous", roles, "open")
    if mode == "password":
        return _shared_password(settings, roles)
    if mode == "proxy":
        return _proxy(settings, store)
    return _account(store)


def _shared_password(settings: Settings, roles: frozenset[str]) -> Identity | None:
    secret = settings.ui_password.get_secret_value()
    if not secret:
        st.error("auth.mode is 'password' but no ui_password is set (CLINRAG_UI_PASSWORD); set one, or choose "
                 "another mode")
        return None
    if st.session_state.get(SESSION_SHARED):
        return Identity("shared-password", roles, "password")
    st.title("clinrag — sign in")
    with st.form("login-form"):
        password = st.text_input("Password", type="password", key="login-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        if hmac.compare_digest(password.encode("utf-8", "replace"), secret.encode("utf-8", "replace")):
            st.session_state[SESSION_SHARED] = True
            st.session_state.pop("login-password", None)
            st.rerun()
        st.error("Wrong password.")
    st.caption("This clinrag server asks for a shared password (setting `ui_password` / `CLINRAG_UI_PASSWORD`).")
    return None


def _account(store: UserStore) -> Identity | None:
    name = st.session_state.get(SESSION_USER)
    if name:
        try:
            user = store.get(name)
        except ClinragError as exc:
            st.error(R.escape_md(str(exc)))
            return None
        if user is not None:
            return Identity(user.name, frozenset(user.roles), "accounts")
        st.session_state.pop(SESSION_USER, None)  # removed since they signed in
        st.warning("Your account no longer exists; sign in again.")
    st.title("clinrag — sign in")
    with st.form("account-login"):
        entered = st.text_input("User name", key="login-user")
        password = st.text_input("Password", type="password", key="login-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            user = store.authenticate(entered, password)
        except ClinragError as exc:
            st.error(R.escape_md(str(exc)))
            return None
        st.session_state.pop("login-password", None)
        if user is not None:
            st.session_state[SESSION_USER] = user.name
            st.rerun()
        st.error("Wrong user name or password.")
    st.caption("Accounts are managed by an admin (`clinrag users add NAME --role clinician`).")
    return None


def _proxy(settings: Settings, store: UserStore) -> Identity | None:
    header = settings.auth.proxy_header.strip()
    name = request_headers().get(header.lower(), "").strip() if header else ""
    if not name:
        st.error(R.escape_md(f"This app signs people in through a proxy, but the request has no {header or '(unset)'} "
                             "header; open it through the sign-in proxy."))
        return None
    try:
        user = store.get(name)
    except ClinragError as exc:
        st.error(R.escape_md(str(exc)))
        return None
    if user is None:
        st.error(R.escape_md(f"{name} is signed in at the proxy but has no account here; an admin adds it with "
                             f"`clinrag users add {name} --role clinician --no-password`."))
        return None
    return Identity(user.name, frozenset(user.roles), "proxy")


def sign_out() -> None:
    for key in (SESSION_USER, SESSION_SHARED, "turns"):
        st.session_state.pop(key, None)


def permitted(identity: Identity, action: str) -> bool:
    """True when ``identity`` may do ``action``; otherwise shows why (the page or action then shows nothing more)."""
    if identity.may(action):
        return True
    needed = " or ".join(sorted(PERMISSIONS[action]))
    st.error(R.escape_md(f"{identity.name} may not {ACTION_TEXT[action]}: that needs the {needed} role."),
             icon=":material/lock:")
    return False
