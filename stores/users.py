"""Accounts, roles and what each role may do: the one table every page, action and command checks.

Roles: ``clinician`` asks questions; ``librarian`` uploads, ingests, supersedes, retires, restores and deletes
documents; ``evaluator`` runs evaluations and reads the audit log; ``admin`` manages accounts and reads the audit
log. A user holds one or more roles; no role implies another.

The user store (``clinrag users add|list|remove``) is one JSON file, the setting ``users_file`` (default
``<data_dir>/users.json``): per user the roles, a bcrypt hash of the password (salted, cost ``auth.bcrypt_rounds``)
or none for a user who signs in only through a trusted proxy, and when it was created and changed. It is written
whole to a temporary file and renamed into place (mode 0600) under an exclusive lock, so a reader never sees half a
file and two writers never lose each other's change. Passwords are never stored, printed or logged.

Who is signed in (an ``Identity``) comes from the app's sign-in mode (``auth.mode``, see ``resolve_mode``) or, on the
command line, from the operating-system account (``local_identity``): whoever can run ``clinrag`` on this machine can
already read and write the index, so the CLI checks no roles, but it names that user in the audit log.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from clinrag.errors import AccessDeniedError, UserStoreError
from clinrag.settings import ROLE_NAMES, Settings
from stores.file_lock import exclusive_file_lock

ROLES = ROLE_NAMES
ROLE_HELP = {
    "clinician": "ask questions and send feedback",
    "librarian": "upload, ingest, supersede, retire, restore and delete documents",
    "evaluator": "run evaluations and read the audit log",
    "admin": "manage accounts and read the audit log",
}
# action -> the roles that may do it; every page and action of the app names one of these
PERMISSIONS: dict[str, frozenset[str]] = {
    "ask": frozenset({"clinician"}),
    "library": frozenset({"librarian"}),
    "evaluate": frozenset({"evaluator"}),
    "audit": frozenset({"evaluator", "admin"}),
    "users": frozenset({"admin"}),
}
ACTION_TEXT = {
    "ask": "ask questions",
    "library": "change the library",
    "evaluate": "run evaluations",
    "audit": "read the audit log",
    "users": "manage accounts",
}
FORMAT = "clinrag-users/1"
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._@+-]{0,63}")
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_BYTES = 72  # bcrypt reads at most 72 bytes; bcrypt 5 refuses longer input rather than cut it


# ------------------------------------------------------------------------------------------- pure: roles
@dataclass(frozen=True)
class Identity:
    """Who is acting and with which roles. ``source``: open, password, accounts, proxy or cli."""

    name: str
    roles: frozenset[str]
    source: str

    def may(self, action: str) -> bool:
        return allowed(self.roles, action)


def allowed(roles: Iterable[str], action: str) -> bool:
    """True when one of ``roles`` may do ``action``; an unknown action is a programming error."""
    if action not in PERMISSIONS:
        raise KeyError(f"unknown action {action!r}; known: {', '.join(PERMISSIONS)}")
    return bool(PERMISSIONS[action] & set(roles))


def require(identity: Identity, action: str) -> None:
    """Raise ``AccessDeniedError`` unless ``identity`` may do ``action``."""
    if identity.may(action):
        return
    needed = " or ".join(sorted(PERMISSIONS[action]))
    held = ", ".join(sorted(identity.roles)) or "no role"
    raise AccessDeniedError(
        f"{identity.name} ({held}) may not {ACTION_TEXT[action]}: that needs the {needed} role; an admin can grant it "
        f"with `clinrag users add {identity.name} --role {sorted(PERMISSIONS[action])[0]} --replace`"
    )


def local_identity() -> Identity:
    """The operating-system user running the command line (every role: the CLI checks none)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        name = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return Identity(f"cli:{name}", frozenset(ROLES), "cli")


def normalise_name(name: str) -> str:
    """A user name as stored: stripped and lower-cased (``Alice`` and ``alice`` are one user)."""
    return (name or "").strip().lower()


def check_name(name: str) -> str:
    normal = normalise_name(name)
    if not NAME_PATTERN.fullmatch(normal):
        raise UserStoreError(
            f"user name {name!r} is not allowed: use 1 to 64 letters, digits and . _ @ + -, starting with a letter or "
            "digit (an e-mail address works)"
        )
    return normal


def check_roles(roles: Iterable[str]) -> tuple[str, ...]:
    chosen = [r.strip().lower() for r in roles]
    unknown = [r for r in chosen if r not in ROLES]
    if unknown:
        raise UserStoreError(f"unknown role(s) {', '.join(map(repr, unknown))}; choose from {', '.join(ROLES)}")
    if not chosen:
        raise UserStoreError(f"give a user at least one role ({', '.join(ROLES)})")
    return tuple(r for r in ROLES if r in chosen)


def check_password(password: str) -> bytes:
    if len(password) < MIN_PASSWORD_CHARS:
        raise UserStoreError(f"the password has {len(password)} characters; use at least {MIN_PASSWORD_CHARS}")
    data = password.encode("utf-8", errors="strict")
    if len(data) > MAX_PASSWORD_BYTES:
        raise UserStoreError(f"the password is {len(data)} bytes long in UTF-8; bcrypt reads at most "
                             f"{MAX_PASSWORD_BYTES}, so use a shorter one")
    return data


def resolve_mode(settings: Settings, has_users: bool) -> str:
    """The sign-in mode in force: ``auth.mode``, or for ``auto``: accounts when the user store holds a user, else
    password when ``ui_password`` is set, else open."""
    mode = settings.auth.mode
    if mode != "auto":
        return mode
    if has_users:
        return "accounts"
    return "password" if settings.ui_password.get_secret_value() else "open"


# ------------------------------------------------------------------------------------------- the store (IO)
@dataclass(frozen=True)
class User:
    name: str
    roles: tuple[str, ...]
    password_hash: str  # "" when the user signs in only through a trusted proxy
    created: str
    updated: str

    def public(self) -> dict[str, Any]:
        """What may be shown or printed: everything but the hash."""
        return {"name": self.name, "roles": list(self.roles), "password": bool(self.password_hash),
                "created": self.created, "updated": self.updated}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _bcrypt():
    try:
        import bcrypt
    except ImportError as exc:  # pragma: no cover - a pinned requirement
        raise UserStoreError("the bcrypt package is not installed; run `bash scripts/setup.sh`") from exc
    return bcrypt


@lru_cache(maxsize=4)
def _dummy_hash(rounds: int) -> bytes:
    """A hash to check unknown names against, so a wrong name takes as long as a wrong password."""
    bcrypt = _bcrypt()
    return bcrypt.hashpw(b"clinrag-no-such-user", bcrypt.gensalt(rounds))


class UserStore:
    """The accounts in one JSON file. Cheap to construct; every method reads the file afresh."""

    def __init__(self, path: Path | str, rounds: int = 12) -> None:
        self.path = Path(path)
        self.rounds = rounds
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    @classmethod
    def from_settings(cls, settings: Settings) -> "UserStore":
        return cls(settings.users_file, settings.auth.bcrypt_rounds)

    # reading
    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise UserStoreError(f"cannot read the user store {self.path} ({exc}); check its permissions") from exc
        try:
            data = json.loads(text)
            users = data["users"]
            if data.get("format") != FORMAT or not isinstance(users, dict):
                raise ValueError(f"expected format {FORMAT!r} with a 'users' mapping")
            for name, entry in users.items():
                if not isinstance(entry, dict) or not isinstance(entry.get("roles"), list):
                    raise ValueError(f"user {name!r} has no list of roles")
        except (ValueError, KeyError, TypeError) as exc:
            raise UserStoreError(f"the user store {self.path} is not a clinrag user file ({exc}); restore it from a "
                                 "backup or move it away and add the users again") from exc
        return users

    def users(self) -> list[User]:
        return [self._user(name, entry) for name, entry in sorted(self._load().items())]

    def has_users(self) -> bool:
        return bool(self._load())

    def get(self, name: str) -> User | None:
        entry = self._load().get(normalise_name(name))
        return None if entry is None else self._user(normalise_name(name), entry)

    @staticmethod
    def _user(name: str, entry: dict[str, Any]) -> User:
        roles = tuple(r for r in ROLES if r in entry.get("roles", []))  # an unknown role in the file grants nothing
        return User(name, roles, str(entry.get("password_hash") or ""), str(entry.get("created") or ""),
                    str(entry.get("updated") or ""))

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when ``password`` is theirs; None otherwise (unknown name, no password set, wrong password).
        Takes about as long whichever it is."""
        bcrypt = _bcrypt()
        user = self.get(name) if NAME_PATTERN.fullmatch(normalise_name(name)) else None
        data = (password or "").encode("utf-8", errors="replace")
        stored = user.password_hash.encode("ascii", errors="replace") if user is not None and user.password_hash else None
        if len(data) > MAX_PASSWORD_BYTES:  # no stored password is this long; check anyway, for the time it takes
            data, stored = b"", None
        try:
            ok = bcrypt.checkpw(data, stored or _dummy_hash(self.rounds))
        except ValueError:  # a damaged hash in the file
            ok = False
        return user if ok and stored is not None else None

    # writing
    def add(self, name: str, roles: Iterable[str], password: str | None, replace: bool = False) -> User:
        """Add a user (or, with ``replace``, change an existing one's roles and password). ``password`` None makes a
        user who signs in only through a trusted proxy."""
        normal = check_name(name)
        chosen = check_roles(roles)
        hashed = ""
        if password is not None:
            bcrypt = _bcrypt()
            hashed = bcrypt.hashpw(check_password(password), bcrypt.gensalt(self.rounds)).decode("ascii")
        with self._locked():
            users = self._load()
            now = _now()
            if normal in users and not replace:
                raise UserStoreError(f"user {normal} already exists; add --replace to change their roles and password, "
                                     f"or `clinrag users remove {normal}` first")
            created = users.get(normal, {}).get("created") or now
            users[normal] = {"roles": list(chosen), "password_hash": hashed, "created": created, "updated": now}
            self._save(users)
            return self._user(normal, users[normal])

    def remove(self, name: str) -> User:
        normal = normalise_name(name)
        with self._locked():
            users = self._load()
            if normal not in users:
                known = ", ".join(sorted(users)) or "none yet"
                raise UserStoreError(f"no user {name!r} in {self.path} (users: {known})")
            user = self._user(normal, users.pop(normal))
            self._save(users)
            return user

    def _locked(self):
        return exclusive_file_lock(self.lock_path, lambda exc: UserStoreError(
            f"cannot lock the user store {self.path} ({exc.strerror}); check the folder's permissions"))

    def _save(self, users: dict[str, dict[str, Any]]) -> None:
        data = json.dumps({"format": FORMAT, "users": users}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:  # mkstemp creates it with mode 0600
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise UserStoreError(f"cannot write the user store {self.path} ({exc.strerror}); check free space and "
                                 "permissions") from exc
