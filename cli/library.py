"""``clinrag docs`` and ``clinrag library``: the documents of the index and the librarian's decisions on them."""

from __future__ import annotations

import argparse
from typing import Any

from cli.output import print_json
from cli.parser import settings_from_args


def cmd_docs(args: argparse.Namespace) -> int:
    from composition.app import App

    docs = App(settings_from_args(args)).store.documents()
    if args.json:
        print_json(docs)
        return 0
    _print_documents(docs)
    return 0


def _print_documents(docs: list[dict[str, Any]]) -> None:
    from ingest.sanitize import display

    for d in docs:
        line = (
            f"{display(d['doc_id'], 40):<40} {display(d['status'], 10):<10} {display(d['version'] or '', 8):<8} "
            f"{display(d['date'] or '', 11):<11} {d['n_chunks'] or 0:>4} chunks  {display(d['title'] or '', 60)}"
        )
        if d.get("retired"):
            line += "  [RETIRED]"
        if d.get("superseded_by"):
            line += f"  [superseded by {display(d['superseded_by'], 60)}]"
        if d.get("flags"):
            line += f"  [flags: {', '.join(display(f, 40) for f in d['flags'])}]"
        print(line)
    retired = sum(1 for d in docs if d.get("retired"))
    flagged = sum(1 for d in docs if d.get("flags"))
    extra = "".join([f", {retired} retired" if retired else "", f", {flagged} flagged" if flagged else ""])
    print(f"{len(docs)} document(s){extra}")


def _library_trust(args: argparse.Namespace, settings, library) -> int:
    """`clinrag library issuers | trust | distrust | untrust`: the librarian's issuer trust marks."""
    from ingest.sanitize import display

    if args.action == "issuers":
        rows = library.issuers()
        if args.json:
            print_json(rows)
        else:
            for r in rows:
                reason = f"  ({display(r['reason'], 120)})" if r["reason"] else ""
                print(f"{r['trust']:<9} {r['current']:>3} current / {r['documents']:>3}  {display(r['issuer'] or '(no issuer)', 120)}{reason}")
            print(f"{len(rows)} issuer(s); trusted issuers win when current documents disagree, untrusted ones never "
                  "stand alone")
        return 0
    if args.action == "untrust":
        result = library.untrust(args.issuer)
    else:
        result = getattr(library, args.action)(args.issuer, args.reason)
    from stores.audit import record_event
    from stores.users import local_identity

    record_event(settings, "library", local_identity().name, action=args.action, doc_id=f"issuer:{result['issuer']}",
                 detail=getattr(args, "reason", "") or "")
    if args.json:
        print_json(result)
    else:
        note = "" if result["documents"] else " (no document in the index has this issuer yet)"
        print(f"{display(result['issuer'], 120)} is now {result['trust']}{note}")
    return 0


def _library_log(args: argparse.Namespace, library) -> int:
    """`clinrag library log [--json] [--verify]`: the hash-chained ingest log."""
    from ingest.sanitize import display

    if args.verify:
        result = library.verify_history(args.expect_head)
        if args.json:
            print_json(result.to_dict())
        else:
            print(result.message())
        return 0 if result.ok else 1
    entries = library.history(args.doc)
    if args.last > 0:
        entries = entries[-args.last:]
    if args.json:
        print_json(entries)
        return 0
    for e in entries:
        chunks = f"+{e['chunks_added']}/-{e['chunks_removed']}"
        failed = "" if e["outcome"] == "ok" else f" [{e['outcome'].upper()}]"
        print(f"{e['seq']:>6} {display(e['at'], 20)} {display(e['action'], 9):<9} {display(e['user'] or '-', 24):<24} "
              f"{display(e['doc_id'] or '-', 40):<40} {chunks:>11}{failed}  {display(e['file'], 120)}"
              + (f"  ({display(e['detail'], 200)})" if e["detail"] else ""))
    print(f"{len(entries)} change(s)")
    return 0


def cmd_library(args: argparse.Namespace) -> int:
    from composition.app import App
    from clinrag.errors import LibraryError
    from ingest.library import Library
    from ingest.sanitize import display

    from stores.users import local_identity

    settings = settings_from_args(args)
    store = App(settings).store
    library = Library(store, user=local_identity().name)
    if args.action == "log":
        return _library_log(args, library)
    if args.action == "list":
        if args.log:
            entries = library.log()
            if args.json:
                print_json(entries)
            else:
                for e in entries:
                    print(f"{display(e['at'], 25)}  {display(e['action'], 10):<10} {display(e['doc_id'], 40):<40} {display(e['detail'], 200)}")
                print(f"{len(entries)} action(s)")
            return 0
        docs = library.list()
        if args.json:
            print_json(docs)
        else:
            _print_documents(docs)
        return 0
    store.require_ready()
    if args.action in ("issuers", "trust", "distrust", "untrust"):
        return _library_trust(args, settings, library)
    if args.action == "supersede":
        result = library.supersede(args.doc_id, args.by, args.reason)
        message = f"{display(args.doc_id, 120)} is now superseded by {display(args.by, 120)}"
    elif args.action == "retire":
        result = library.retire(args.doc_id, args.reason)
        message = f"{display(args.doc_id, 120)} is retired: kept in the catalog, left out of every search and answer"
    elif args.action == "restore":
        result = library.restore(args.doc_id)
        message = f"{display(args.doc_id, 120)} is back in search"
    else:
        if not args.yes:
            raise LibraryError(f"deleting {display(args.doc_id, 120)} removes it from the index; add --yes to confirm "
                               "(or retire it to keep it for audit)")
        result = library.delete(args.doc_id, args.reason)
        message = f"{display(args.doc_id, 120)} deleted"
        if result["superseded_documents_pointing_here"]:
            message += "; still marked superseded by it: " + ", ".join(display(d, 60) for d in result["superseded_documents_pointing_here"])
    from stores.audit import record_event
    from stores.users import local_identity

    record_event(settings, "library", local_identity().name, action=args.action, doc_id=args.doc_id,
                 detail=getattr(args, "reason", "") or "", by=getattr(args, "by", None))
    if args.json:
        print_json(result)
    else:
        print(message)
    return 0
