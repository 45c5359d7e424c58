"""The ``clinrag`` command line: every command, its options and their help; the settings a command runs with."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from clinrag.settings import Settings, load_settings

LOOPBACK_HOST = "127.0.0.1"  # default of `clinrag ui --host`: this machine only


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


def settings_from_args(args: argparse.Namespace, **extra: Any) -> Settings:
    overrides: dict[str, Any] = {"index_dir": args.index}
    overrides.update(extra)
    return load_settings(args.settings, **overrides)
