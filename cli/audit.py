"""``clinrag audit verify | show | export``: the hash-chained audit log of answers and people's actions."""

from __future__ import annotations

import argparse
import sys

from clinrag.errors import ConfigError
from cli.output import print_json
from cli.parser import settings_from_args


def cmd_audit(args: argparse.Namespace) -> int:
    from stores.audit import AuditLog, audit_path

    settings = settings_from_args(args)
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
        print_json(shown)
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
