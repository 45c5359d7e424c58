"""``clinrag users add | list | remove``: the app's accounts and their roles."""

from __future__ import annotations

import argparse
import sys

from cli.output import print_json
from cli.parser import settings_from_args


def cmd_users(args: argparse.Namespace) -> int:
    from stores.audit import record_event
    from stores.users import UserStore, local_identity

    settings = settings_from_args(args)
    store = UserStore.from_settings(settings)
    if args.users_command == "list":
        users = [u.public() for u in store.users()]
        if args.json:
            print_json(users)
            return 0
        for u in users:
            how = "password" if u["password"] else "proxy sign-in only"
            print(f"{u['name']:<32} {', '.join(u['roles']):<40} {how:<18} since {u['created']}")
        print(f"{len(users)} user(s) in {store.path}")
        return 0
    actor = local_identity().name
    if args.users_command == "remove":
        user = store.remove(args.name)
        record_event(settings, "users", actor, action="remove", target=user.name, roles=list(user.roles))
        print(f"removed {user.name}")
        return 0
    password = None if args.no_password else _read_password(args.password_stdin)
    user = store.add(args.name, args.roles, password, replace=args.replace)
    record_event(settings, "users", actor, action="replace" if args.replace else "add", target=user.name,
                 roles=list(user.roles), password=password is not None)
    print(f"{'updated' if args.replace else 'added'} {user.name} ({', '.join(user.roles)}) in {store.path}")
    return 0


def _read_password(from_stdin: bool) -> str:
    """The new password: the first line of stdin, or typed twice at a terminal (never echoed)."""
    from clinrag.errors import UserStoreError

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UserStoreError("no terminal to type a password at; pass --password-stdin and pipe it in, or "
                             "--no-password for a user who signs in through the proxy")
    import getpass

    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise UserStoreError("the two passwords differ; nothing was changed")
    return first
