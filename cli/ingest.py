"""``clinrag ingest``: add, update or sync documents in the index."""

from __future__ import annotations

import argparse
import sys
import time

from clinrag.errors import ConfigError
from cli.output import print_json
from cli.parser import settings_from_args


def cmd_ingest(args: argparse.Namespace) -> int:
    from composition.app import App
    from ingest.sanitize import display

    from stores.users import local_identity

    ray = {k: v for k, v in (("engine", args.engine), ("ray_address", args.ray_address),
                             ("ray_workers", args.ray_workers)) if v is not None}
    base = settings_from_args(args)
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
        print_json({**report.to_dict(), "wall_s": round(wall, 2), "index": app.store.stats()})
    else:
        print(f"{report.summary()} in {wall:.1f}s -> {display(app.settings.index_dir)}")
        for path, reason in report.failed:
            print(f"  failed: {display(path, 1000)}: {display(reason, 1000)}")
        for f in report.flagged:
            print(f"  flagged: {display(f['doc_id'], 120)} ({', '.join(f['flags']) or 'chunks only'}) in "
                  f"{f['flagged_chunks']} of {f['chunks']} chunks: {display(f['source_path'], 300)}")
    return 0 if report.ok else 1
