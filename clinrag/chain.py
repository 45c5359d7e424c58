"""Hash chains: the one way clinrag links records so that an edited, inserted, deleted or reordered one is found.

A link is a JSON object with ``seq`` (its position), ``prev`` (the ``hash`` of the record before it; ``GENESIS`` for
the first) and ``hash`` (sha256 of the record's canonical JSON without its own ``hash``: keys sorted, no spaces,
UTF-8). The audit log of answers (``stores.audit``, a JSONL file) and the ingest log of library changes
(``ingest.ingest_log``, rows of the catalog) both chain this way. Pure: no IO.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Callable, Mapping

GENESIS = "0" * 64

EDITED = "the content does not match its hash: the line was edited"


def canonical(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def line_hash(obj: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of a record without its own ``hash`` field."""
    return hashlib.sha256(canonical({k: v for k, v in obj.items() if k != "hash"}).encode("utf-8")).hexdigest()


def link(record: Mapping[str, Any], previous: Mapping[str, Any] | None, first_seq: int = 1) -> dict[str, Any]:
    """``record`` chained after ``previous`` (None: the first record, at ``first_seq``): seq, prev and hash set."""
    line = {**record, "seq": first_seq if previous is None else int(previous["seq"]) + 1,
            "prev": GENESIS if previous is None else previous["hash"]}
    line["hash"] = line_hash(line)
    return line


def link_problem(
    line: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    first_seq: int = 1,
    first_check: Callable[[Mapping[str, Any]], str | None] | None = None,
) -> str | None:
    """What is wrong with ``line`` as the successor of ``previous`` (None: as the first record), or None.

    ``first_check`` replaces the check of the first record (the audit log's first line is its anchor)."""
    if line.get("hash") != line_hash(line):
        return EDITED
    if previous is None:
        if first_check is not None:
            return first_check(line)
        if line.get("prev") != GENESIS or line.get("seq") != first_seq:
            return (f"the first record must have seq {first_seq} and prev {GENESIS[:8]}...: the start was removed or "
                    "replaced")
        return None
    if line.get("prev") != previous.get("hash"):
        return (f"its prev hash does not match the record before it (seq {previous.get('seq')}): a record was inserted, "
                "deleted or moved here")
    expected = int(previous["seq"]) + 1
    if line.get("seq") != expected:
        return f"seq {line.get('seq')} where {expected} was expected: a record was inserted, deleted or moved here"
    return None
