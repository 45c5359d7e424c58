"""The ``clinrag`` command: ingest, search, ask, eval, bench, docs, library, audit, users, ui, train-reader."""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from clinrag.errors import ClinragError, ConfigError
from clinrag.settings import REPO_ROOT, Settings, load_settings

LOOPBACK_HOST = "127.0.0.1"  # default of `clinrag ui --host`: this machine only
UI_PASSWORD_ENV = "CLINRAG_UI_PASSWORD"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", type=Path, default=None, help="index folder (default: $CLINRAG_INDEX_DIR or var/index)")
    parser.add_argument("--settings", type=Path, default=None, help="settings file, TOML or YAML ($CLINRAG_SETTINGS_FILE)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clinrag", description="Offline clinical guideline question answering.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="add or update documents (PDF, Markdown, text, JSONL) in the index")
    p.add_argument("paths", nargs="*", type=Path)
    p.add_argument("--sync", type=Path, default=None, metavar="DIR",
                   help="make the index match this folder: new and changed files ingested, unchanged skipped, documents "
                        "whose file left the folder removed, documents of other chunking settings re-processed")
    p.add_argument("--rebuild", action="store_true", help="build a fresh index from these paths and swap it in")
    p.add_argument("--replace", action="store_true",
                   help="let these files take over doc_ids that other files hold (otherwise an error for that file)")
    p.add_argument("--follow-symlinks", action="store_true",
                   help="read what symbolic links point to (by default a link is refused by name)")
    p.add_argument("--engine", choices=["local", "ray"], default=None,
                   help="who embeds: this process (local) or a Ray Data job on a Ray cluster (setting ingest.engine)")
    p.add_argument("--ray-address", default=None, help="an existing Ray cluster (default: start a local one)")
    p.add_argument("--ray-workers", type=int, default=None, help="embedding actors on the cluster (default 2)")
    p.add_argument("--json", action="store_true", help="print the ingest report as JSON")
    _common(p)

    p = sub.add_parser("search", help="hybrid search; prints cited passages")
    p.add_argument("query")
    p.add_argument("--k", type=int, default=None)
    p.add_argument("--mode", choices=["fused", "bm25", "dense", "reranked"], default="fused",
                   help="fused (default), the single retrievers, or reranked (fused candidates read by the reader)")
    p.add_argument("--json", action="store_true")
    _common(p)

    p = sub.add_parser("ask", help="answer a question with cited, verified sentences, or refuse")
    p.add_argument("question")
    p.add_argument("--generator", choices=["extractive", "local", "api"], default=None)
    p.add_argument("--json", action="store_true")
    _common(p)

    p = sub.add_parser(
        "eval",
        help="run an evaluation suite (--suite) or score the verifier on a judge set (--judge)",
        description=(
            "Evaluate the pipeline on a suite folder (suite.json + questions.jsonl, see ../shared/data/README.md) or the "
            "verifier on a judge set. A suite's index is built once and cached under the setting eval_index_dir "
            "(default <data_dir>/eval-index; $CLINRAG_EVAL_INDEX_DIR or $CLINRAG_EVAL_INDEX_ROOT), keyed by the corpus "
            "files' hashes, the excluded ids and the index settings. Reports go to --out (default <data_dir>/eval/"
            "<suite>-<generator>): report.json, report.md, records.jsonl and PNG plots."
        ),
    )
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--suite", type=Path, help="suite folder to run")
    target.add_argument("--judge", type=Path, help="judge set (JSONL of premise, hypothesis, label) to score the verifier on")
    p.add_argument("--out", type=Path, default=None, help="output folder (default <data_dir>/eval/<suite>-<generator>)")
    p.add_argument("--limit", type=int, default=None,
                   help="run a sample of N questions, stratified by expected behaviour (answer/refuse) in proportion, "
                        "drawn with --seed, file order kept (judge sets: stratified by label)")
    p.add_argument("--generator", choices=["extractive", "local", "api"], default=None,
                   help="drafter for the answers (default: the setting generation.generator)")
    p.add_argument("--seed", type=int, default=0, help="seed of the --limit sample")
    _common(p)

    p = sub.add_parser("train-reader", help="train the clinical reader (cross-encoder) from ../shared/data; hours on 2 cores",
                       add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)

    p = sub.add_parser("docs", help="list the documents in the index")
    p.add_argument("--json", action="store_true")
    _common(p)

    p = sub.add_parser("library", help="list, supersede, retire, restore or delete documents; trust or distrust issuers")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("list", help="every document with its status, flags and library decisions")
    a.add_argument("--json", action="store_true")
    a.add_argument("--log", action="store_true", help="print the log of library actions instead")
    _common(a)
    a = actions.add_parser("supersede", help="mark a document superseded by a newer one")
    a.add_argument("doc_id")
    a.add_argument("--by", required=True, help="doc_id of the document that replaces it")
    a.add_argument("--reason", default="")
    a.add_argument("--json", action="store_true")
    _common(a)
    a = actions.add_parser("retire", help="exclude a document from search and answers (kept for audit)")
    a.add_argument("doc_id")
    a.add_argument("--reason", default="")
    a.add_argument("--json", action="store_true")
    _common(a)
    a = actions.add_parser("restore", help="return a retired document to search")
    a.add_argument("doc_id")
    a.add_argument("--json", action="store_true")
    _common(a)
    a = actions.add_parser("delete", help="remove a document, its chunks and vectors from the index")
    a.add_argument("doc_id")
    a.add_argument("--reason", default="")
    a.add_argument("--yes", action="store_true", help="confirm the deletion")
    a.add_argument("--json", action="store_true")
    _common(a)
    a = actions.add_parser("log", help="every change to the library (ingest, update, remove, delete, supersede, retire, "
                                       "restore, trust), hash-chained; --verify checks the chain")
    a.add_argument("--json", action="store_true")
    a.add_argument("--doc", default=None, metavar="DOC_ID", help="only the changes of this document")
    a.add_argument("--last", type=int, default=0, metavar="N", help="only the last N changes (default: all)")
    a.add_argument("--verify", action="store_true", help="walk the chain; exit 1 naming the first edited, inserted or "
                                                         "deleted record")
    a.add_argument("--expect-head", default=None, metavar="HASH", help="with --verify: the head recorded earlier")
    _common(a)
    a = actions.add_parser("issuers", help="every issuer with its trust mark (trusted, untrusted or unknown)")
    a.add_argument("--json", action="store_true")
    _common(a)
    for name, help_text in (("trust", "mark an issuer trusted: its side is followed when current documents disagree"),
                            ("distrust", "mark an issuer untrusted: its documents are never the sole basis of an answer"),
                            ("untrust", "remove an issuer's trust mark (unknown again)")):
        a = actions.add_parser(name, help=help_text)
        a.add_argument("issuer", help="the issuer as `clinrag library issuers` lists it (case and spacing aside)")
        if name != "untrust":
            a.add_argument("--reason", default="")
        a.add_argument("--json", action="store_true")
        _common(a)

    p = sub.add_parser("ui", help="start the Streamlit app")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--host", default=LOOPBACK_HOST,
                   help=f"address to listen on (default {LOOPBACK_HOST}: this machine only); another address exposes the "
                        "app to the network, so set CLINRAG_UI_PASSWORD")
    _common(p)

    p = sub.add_parser("audit", help="check or read the hash-chained audit log of answers (<index>/audit.jsonl)")
    audit = p.add_subparsers(dest="audit_command", required=True)
    a = audit.add_parser("verify", help="exit 1 and name the first bad line if any record was edited, inserted, "
                                        "reordered or deleted")
    a.add_argument("--expect-head", default=None, metavar="HASH",
                   help="the head hash recorded earlier outside the log; a rewritten or truncated log no longer ends there")
    _common(a)
    a = audit.add_parser("show", help="print the latest audit records")
    a.add_argument("--last", type=int, default=10, metavar="N", help="how many records (default 10; 0 for all)")
    a.add_argument("--json", action="store_true")
    _common(a)
    a = audit.add_parser("export", help="write the audit records as CSV or JSONL (the chain is verified first; a "
                                        "broken chain is reported and exits 1 after the export)")
    a.add_argument("--format", choices=["csv", "jsonl"], default="csv",
                   help="csv: one flat row a record; jsonl: the records exactly as logged, hashes included")
    a.add_argument("--out", type=Path, default=None, metavar="FILE", help="file to write (default: standard output)")
    a.add_argument("--type", action="append", choices=["answer", "refusal", "library", "ingest", "evaluation", "users"],
                   dest="types", help="only records of this type (repeatable)")
    a.add_argument("--user", action="append", dest="users", help="only records of this user (repeatable)")
    a.add_argument("--since", default=None, metavar="DATE", help="only records at or after this UTC date or time")
    a.add_argument("--until", default=None, metavar="DATE", help="only records up to this UTC date or time (inclusive)")
    _common(a)

    p = sub.add_parser(
        "bench", help="measure ingest, hybrid retrieval against the naive LangChain stack, answers, cold start and "
                      "updates; prints a table, writes bench.json and latency_vs_size.png",
        description="Build deterministic synthetic corpora (real sentences resampled) and measure them; see README, "
                    "'clinrag bench'. Figures are ratios on the machine it runs on.",
    )
    p.add_argument("--sizes", default="10000", help="comma-separated corpus sizes in chunks (default 10000; e.g. "
                                                   "10000,100000,1000000)")
    p.add_argument("--queries", type=int, default=60, help="questions of the bundled suite searched per size")
    p.add_argument("--ingest-chunks", type=int, default=300, help="chunks of the ingest-throughput corpus")
    p.add_argument("--answers", type=int, default=20, help="extractive answers timed on the bundled suite (0: none)")
    p.add_argument("--cold-runs", type=int, default=2, help="fresh processes per cold-start figure (0: none)")
    p.add_argument("--pool", type=int, default=3000, help="real sentences the synthetic chunks are drawn from")
    p.add_argument("--vectors", choices=["pool", "random"], default="pool",
                   help="chunk vectors: sums of the embedder's sentence vectors (default) or random unit vectors")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-naive", action="store_true", help="leave out the LangChain comparison")
    p.add_argument("--local", type=int, default=0, metavar="N",
                   help="also answer N questions with the local model in a fresh process: first words, verified "
                        "answer, RSS with and without the model (slow: about a minute a question on 2 cores)")
    p.add_argument("--reader-variants", type=int, default=0, metavar="N",
                   help="also score N questions' candidates with the fp32 and int8 readers at the default and one "
                        "torch thread, with their agreement (needs --answers > 0)")
    p.add_argument("--no-during-ingest", action="store_true", help="leave out search latency during an ingest")
    p.add_argument("--during-chunks", type=int, default=1500, help="chunks of the ingest that runs during searches")
    p.add_argument("--out", type=Path, default=None, help="folder for bench.json and the PNG (default <data_dir>/bench)")
    p.add_argument("--keep", action="store_true", help="keep the built indexes (under <data_dir>/bench/run-*)")
    p.add_argument("--json", action="store_true", help="print the result as JSON instead of the table")
    p.add_argument("--settings", type=Path, default=None, help="settings file, TOML or YAML ($CLINRAG_SETTINGS_FILE)")

    p = sub.add_parser("users", help="accounts of the app and their roles (clinician, librarian, evaluator, admin)")
    users = p.add_subparsers(dest="users_command", required=True)
    a = users.add_parser("add", help="add an account (asks for the password twice unless --password-stdin)")
    a.add_argument("name", help="user name (letters, digits, . _ @ + -; stored lower-case)")
    a.add_argument("--role", action="append", required=True, dest="roles",
                   choices=["clinician", "librarian", "evaluator", "admin"], help="a role (repeatable)")
    how = a.add_mutually_exclusive_group()
    how.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    how.add_argument("--no-password", action="store_true",
                     help="no password: the user signs in only through the trusted proxy (auth.mode proxy)")
    a.add_argument("--replace", action="store_true", help="change an existing user's roles and password")
    _common(a)
    a = users.add_parser("list", help="the accounts with their roles (never the hashes)")
    a.add_argument("--json", action="store_true")
    _common(a)
    a = users.add_parser("remove", help="remove an account")
    a.add_argument("name")
    _common(a)
    return parser


def _settings(args: argparse.Namespace, **extra: Any) -> Settings:
    overrides: dict[str, Any] = {"index_dir": args.index}
    overrides.update(extra)
    return load_settings(args.settings, **overrides)


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def cmd_ingest(args: argparse.Namespace) -> int:
    from composition.app import App
    from ingest.sanitize import display

    from stores.users import local_identity

    ray = {k: v for k, v in (("engine", args.engine), ("ray_address", args.ray_address),
                             ("ray_workers", args.ray_workers)) if v is not None}
    base = _settings(args)
    app = App(base.model_copy(update={"ingest": base.ingest.model_copy(update=ray)}) if ray else base)
    if args.sync is not None and (args.paths or args.rebuild or args.replace):
        raise ConfigError("--sync DIR makes the index match one folder; give no other paths, --rebuild or --replace with it")
    if args.sync is None and not args.paths:
        raise ConfigError("name the files or folders to ingest, or --sync DIR")
    user = local_identity().name
    started = time.perf_counter()
    event = lambda m: print(display(m, 2000), file=sys.stderr)  # noqa: E731
    if args.sync is not None:
        report = app.sync(args.sync, on_event=event, user=user, follow_symlinks=args.follow_symlinks)
    else:
        report = app.ingest(args.paths, on_event=event, rebuild=args.rebuild, replace=args.replace,
                            follow_symlinks=args.follow_symlinks, user=user)
    wall = time.perf_counter() - started
    if args.json:
        _print_json({**report.to_dict(), "wall_s": round(wall, 2), "index": app.store.stats()})
    else:
        print(f"{report.summary()} in {wall:.1f}s -> {display(app.settings.index_dir)}")
        for path, reason in report.failed:
            print(f"  failed: {display(path, 1000)}: {display(reason, 1000)}")
        for f in report.flagged:
            print(f"  flagged: {display(f['doc_id'], 120)} ({', '.join(f['flags']) or 'chunks only'}) in "
                  f"{f['flagged_chunks']} of {f['chunks']} chunks: {display(f['source_path'], 300)}")
    return 0 if report.ok else 1


def cmd_search(args: argparse.Namespace) -> int:
    from composition.app import App

    app = App(_settings(args))
    app.store.require_ready()
    response = app.search(args.query, k=args.k, mode=args.mode)
    if args.json:
        _print_json(response.to_dict())
        return 0
    for i, r in enumerate(response.results, start=1):
        pages = "" if r.page_start is None else f", p. {r.page_start}" + ("" if r.page_end == r.page_start else f"-{r.page_end}")
        flag = "  [SUPERSEDED]" if r.status == "superseded" else ""
        print(f"[{i}] {r.title} ({r.version or 'no version'}, {r.date or 'no date'}{pages}){flag}")
        reader = "" if r.reader_score is None else f", reader {r.reader_score:.3f}"
        print(f"    {r.section or '-'} | score {r.score:.4f} (bm25 #{r.bm25_rank}, dense #{r.dense_rank}{reader})")
        print("    " + " ".join(r.text.split())[:300])
    if not response.results:
        print("no results")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from composition.app import App

    app = App(_settings(args))
    app.store.require_ready()
    from composition.service import AnswerService

    record = AnswerService(app).ask(args.question, args.generator)  # audited before it is shown
    if args.json:
        _print_json(record.to_dict())
        return 0
    from rag.render import render_text

    print(render_text(record))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from eval.runner import run_judge, run_suite

    settings = _settings(args)
    if args.judge:
        report = run_judge(args.judge, settings, out_dir=args.out, limit=args.limit, seed=args.seed)
        _print_json(report)
        return 0
    report = run_suite(args.suite, settings, out_dir=args.out, limit=args.limit, generator=args.generator, seed=args.seed)
    _print_json({k: report[k] for k in ("suite", "n", "generator", "retrieval", "answer", "refusal", "selective", "scores", "latency_s") if k in report})
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from composition.app import App

    docs = App(_settings(args)).store.documents()
    if args.json:
        _print_json(docs)
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
            _print_json(rows)
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
        _print_json(result)
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
            _print_json(result.to_dict())
        else:
            print(result.message())
        return 0 if result.ok else 1
    entries = library.history(args.doc)
    if args.last > 0:
        entries = entries[-args.last:]
    if args.json:
        _print_json(entries)
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

    settings = _settings(args)
    store = App(settings).store
    library = Library(store, user=local_identity().name)
    if args.action == "log":
        return _library_log(args, library)
    if args.action == "list":
        if args.log:
            entries = library.log()
            if args.json:
                _print_json(entries)
            else:
                for e in entries:
                    print(f"{display(e['at'], 25)}  {display(e['action'], 10):<10} {display(e['doc_id'], 40):<40} {display(e['detail'], 200)}")
                print(f"{len(entries)} action(s)")
            return 0
        docs = library.list()
        if args.json:
            _print_json(docs)
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
        _print_json(result)
    else:
        print(message)
    return 0


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

    settings = _settings(args)
    argv, env = ui_command(args, settings)
    for warning in (ui_exposure_warning(args.host, args.port, _ui_password_set(settings, env)),
                    ui_proxy_warning(args.host, settings)):
        if warning:
            print(f"clinrag ui: {warning}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)  # the server replaces this process, so signals reach it directly
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from stores.audit import AuditLog, audit_path

    settings = _settings(args)
    log = AuditLog(audit_path(settings.index_dir, settings))
    if args.audit_command == "verify":
        result = log.verify(expect_head=args.expect_head)
        print(result.message(), file=sys.stdout if result.ok else sys.stderr)
        return 0 if result.ok else 1
    if args.audit_command == "export":
        return _audit_export(args, log)
    records = [line for line in log.read() if line.get("type") != "anchor"]
    shown = records[-args.last :] if args.last > 0 else records
    if args.json:
        _print_json(shown)
        return 0
    from ingest.sanitize import display

    for line in shown:
        user = display(line.get("user") or "-", 80)
        if "decision" not in line:  # a person's action: library change, ingest, evaluation, account change
            what = " ".join(display(str(line[k]), 120) for k in ("action", "doc_id", "target", "suite") if line.get(k))
            print(f"#{line['seq']} {line['time']} {display(line.get('type', '?'), 20)} {what} by {user}")
            if line.get("detail"):
                print(f"    {display(line['detail'], 300)}")
            continue
        question = line.get("question") or f"sha256:{line.get('question_sha256', '')[:16]}"
        outcome = line["decision"] + (f" ({line['refusal_code']})" if line.get("refusal_code") else "")
        redacted = ", ".join(line.get("redaction", {}).get("kinds", {})) or "nothing"
        print(f"#{line['seq']} {line['time']} {outcome} groundedness {line.get('groundedness', 0):.2f} redacted: {redacted} "
              f"by {user}")
        print(f"    {display(question, 2000)}")
        cited = ", ".join(f"{c['chunk_id']} ({c['version'] or 'unversioned'})" for c in line.get("cited", []))
        print(f"    cited: {cited or '-'}; generator {line.get('generator', '')}; settings {line.get('settings_fingerprint', '')}")
    print(f"{len(shown)} of {len(records)} record(s) in {log.path}")
    return 0


def _audit_export(args: argparse.Namespace, log) -> int:
    from stores.audit import export_csv, export_jsonl, filter_records

    verification = log.verify()
    records = filter_records(log.read(), types=args.types, users=args.users, since=args.since, until=args.until)
    text = export_csv(records) if args.format == "csv" else export_jsonl(records)
    if args.out is None:
        sys.stdout.write(text)
    else:
        try:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write {args.out} ({exc.strerror}); choose another --out") from exc
        print(f"{len(records)} record(s) written to {args.out} ({args.format})", file=sys.stderr)
    if not verification.ok:
        print(f"clinrag audit export: warning: the chain does not verify: {verification.message()}", file=sys.stderr)
        return 1
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    from stores.audit import record_event
    from stores.users import UserStore, local_identity

    settings = _settings(args)
    store = UserStore.from_settings(settings)
    if args.users_command == "list":
        users = [u.public() for u in store.users()]
        if args.json:
            _print_json(users)
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


def cmd_bench(args: argparse.Namespace) -> int:
    from eval.bench import report
    from eval.bench.run import BenchOptions, run_bench

    try:
        sizes = sorted({int(x) for x in args.sizes.split(",") if x.strip()})
    except ValueError as exc:
        raise ConfigError(f"--sizes takes comma-separated numbers of chunks, found {args.sizes!r}") from exc
    if not sizes or min(sizes) < 20:
        raise ConfigError(f"--sizes needs sizes of at least 20 chunks, found {args.sizes!r}")
    settings = load_settings(args.settings)
    opts = BenchOptions(
        sizes=sizes, queries=max(2, args.queries), ingest_chunks=args.ingest_chunks, answers=args.answers,
        cold_runs=args.cold_runs, pool=args.pool, vectors=args.vectors, seed=args.seed, naive=not args.no_naive,
        during_ingest=not args.no_during_ingest, during_chunks=args.during_chunks, settings_file=args.settings, local=args.local,
        reader_variants=args.reader_variants,
        keep=args.keep, log=lambda m: print(f"bench: {m}", file=sys.stderr, flush=True),
    )
    result = run_bench(settings, opts)
    files = report.write(result, args.out or settings.data_dir / "bench")
    if args.json:
        _print_json({**result, "files": files})
    else:
        print(report.table(result))
        print("wrote " + ", ".join(files.values()))
    return 0


def cmd_train_reader(args: argparse.Namespace) -> int:
    from training.run import main as train_main

    return train_main(args.rest)


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
