"""The Users page (admin role): the accounts of the user store with their roles, and adding, changing or removing
one, the same store as ``clinrag users``. Passwords are hashed at once and never shown; every change is appended to
the audit log with the admin's name."""

from __future__ import annotations

import streamlit as st

from clinrag.settings import Settings
from stores.audit import record_event
from stores.users import MIN_PASSWORD_CHARS, ROLE_HELP, ROLES, Identity, UserStore, require, resolve_mode
from ui import render as R
from ui.access import permitted
from ui.runtime import show_error


def add_form(settings: Settings, store: UserStore, identity: Identity) -> None:
    with st.form("user-add", clear_on_submit=True):
        c1, c2 = st.columns(2)
        name = c1.text_input("User name", key="user-name")
        roles = c2.multiselect("Roles", ROLES, key="user-roles", format_func=lambda r: f"{r}: {ROLE_HELP[r]}")
        password = c1.text_input(f"Password (at least {MIN_PASSWORD_CHARS} characters)", type="password",
                                 key="user-password")
        again = c2.text_input("Password again", type="password", key="user-password-again")
        no_password = c1.checkbox("No password: signs in only through the trusted proxy", key="user-no-password")
        replace = c2.checkbox("Replace an existing user's roles and password", key="user-replace")
        go = st.form_submit_button("Add user", type="primary")
    if not go:
        return
    try:
        require(identity, "users")
        if not no_password and password != again:
            st.warning("The two passwords differ; nothing was changed.")
            return
        user = store.add(name, roles, None if no_password else password, replace=replace)
        record_event(settings, "users", identity.name, action="replace" if replace else "add", target=user.name,
                     roles=list(user.roles), password=not no_password)
    except Exception as exc:  # noqa: BLE001
        show_error(exc)
        return
    st.session_state["users-message"] = f"{'Updated' if replace else 'Added'} {user.name} ({', '.join(user.roles)})."
    st.rerun()


def remove_form(settings: Settings, store: UserStore, identity: Identity, names: list[str]) -> None:
    with st.form("user-remove"):
        name = st.selectbox("User", names, key="user-remove-name")
        confirm = st.checkbox("I understand that this user can no longer sign in", key="user-remove-confirm")
        go = st.form_submit_button("Remove user")
    if not go:
        return
    try:
        require(identity, "users")
        if not confirm:
            st.warning("Tick the confirmation box to remove the user.")
            return
        if name == identity.name:
            st.warning("You cannot remove your own account; another admin can.")
            return
        user = store.remove(name)
        record_event(settings, "users", identity.name, action="remove", target=user.name, roles=list(user.roles))
    except Exception as exc:  # noqa: BLE001
        show_error(exc)
        return
    st.session_state["users-message"] = f"Removed {user.name}."
    st.rerun()


def users_page(settings: Settings, identity: Identity) -> None:
    if not permitted(identity, "users"):
        return
    store = UserStore.from_settings(settings)
    try:
        users = store.users()
    except Exception as exc:  # noqa: BLE001
        show_error(exc)
        return
    mode = resolve_mode(settings, bool(users))
    st.markdown(f"Sign-in mode **{mode}** (setting `auth.mode` = {settings.auth.mode}); accounts in "
                f"`{R.escape_inline(store.path)}`.")
    if settings.auth.mode == "auto" and not users:
        st.info("Adding the first account switches the app to account sign-in: everyone then signs in with a user name "
                "and password. Add an admin account first.")
    message = st.session_state.pop("users-message", None)
    if message:
        st.success(R.escape_md(message))
    st.subheader(f"Accounts ({len(users)})")
    if users:
        st.dataframe([u.public() for u in users], hide_index=True)
    st.subheader("Add or change an account")
    add_form(settings, store, identity)
    if users:
        st.subheader("Remove an account")
        remove_form(settings, store, identity, [u.name for u in users])
