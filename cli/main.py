"""The ``clinrag`` command: ingest, search, ask, eval, bench, docs, library, audit, users, ui, train-reader.

This module parses the command line (``cli.parser``) and hands it to the command's function, one module a command
group: ``cli.ingest``, ``cli.ask`` (search, ask), ``cli.library`` (docs, library), ``cli.audit``, ``cli.users``,
``cli.ui``, ``cli.evaluate`` (eval, bench) and ``cli.train`` (train-reader). A ``ClinragError`` is printed as one
escaped line and exits 2.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from clinrag.errors import ClinragError
from cli.ask import cmd_ask, cmd_search
from cli.audit import cmd_audit
from cli.evaluate import cmd_bench, cmd_eval
from cli.ingest import cmd_ingest
from cli.library import cmd_docs, cmd_library
from cli.parser import build_parser
from cli.train import cmd_train_reader
from cli.ui import cmd_ui
from cli.users import cmd_users

COMMANDS = {
    "ingest": cmd_ingest, "search": cmd_search, "ask": cmd_ask, "eval": cmd_eval, "docs": cmd_docs, "ui": cmd_ui,
    "train-reader": cmd_train_reader, "audit": cmd_audit, "library": cmd_library, "users": cmd_users,
    "bench": cmd_bench,
}


def _tolerant_streams() -> None:
    """Text that cannot be encoded for this terminal (a non-UTF-8 locale) is printed as escapes, not a traceback."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a closed or detached stream: leave it as it is
                pass


def error_text(exc: BaseException) -> str:
    """An error message safe to print: every line escaped (no control, bidi or lone surrogate character reaches the
    terminal), at most 4,000 characters a line."""
    from ingest.sanitize import display

    return "\n".join(display(line, 4000) for line in str(exc).splitlines() or [""])


def main(argv: Sequence[str] | None = None) -> int:
    _tolerant_streams()
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ClinragError as exc:
        print(f"clinrag {args.command}: error: {error_text(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
