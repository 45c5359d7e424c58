"""Disguised instructions: what folding look-alike letters and joining spaced-out letters adds to the instruction
flags of ``ingest/sanitize/``, on the bundled corpus, the shared corpora and the hostile set.

For every document (its cleaned text and title, as the loaders leave them) it counts the documents the plain
patterns flag, the documents whose folded view differs from the text (a look-alike letter or a spaced-out run),
and the documents and spans that only the folded view flags. On guideline and abstract corpora every such span is
a false flag, so the goal there is 0; on the hostile set the disguised documents must all be found.

    .venv/bin/python bench/disguise_bench.py [--shared ../shared/data/corpora] [--show] [--json]

Exits 1 when a corpus other than the hostile set gets a new flag, or a disguised hostile document is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ingest.loaders import discover, load_file_lenient  # noqa: E402
from ingest.sanitize import disguised_instruction_spans, fold_disguises  # noqa: E402
from ingest.sanitize.instructions import _plain_instruction_spans  # noqa: E402

SHARED = REPO.parent / "shared" / "data" / "corpora"
HOSTILE = REPO / "tests" / "data" / "hostile"
DISGUISED_TECHNIQUES = {"homoglyph", "spaced_out"}
MAX_BYTES = 200 * 10**6


def documents(paths: list[Path]):
    files, refused = discover(paths)
    for path in files:
        if path.name.lower() == "readme.md" or path.name == "manifest.json":
            continue
        docs, errors = load_file_lenient(path, MAX_BYTES)
        yield from docs


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(span[0] < e and span[1] > s for s, e in spans)


def measure(name: str, paths: list[Path]) -> dict:
    started = time.perf_counter()
    counts = {"documents": 0, "characters": 0, "flagged_plain": 0, "folded": 0, "flagged_new": 0, "new_spans": 0}
    examples: list[tuple[str, str]] = []
    new_docs: list[str] = []
    for document in documents(paths):
        counts["documents"] += 1
        new_here = 0
        plain_here = folded_here = False
        for text in (document.text, document.title):
            counts["characters"] += len(text)
            plain = _plain_instruction_spans(text)
            plain_here = plain_here or bool(plain)
            folded_here = folded_here or fold_disguises(text) is not None
            for span in disguised_instruction_spans(text):
                if not _overlaps(span, plain):
                    new_here += 1
                    examples.append((document.doc_id, text[span[0] : span[1]]))
        counts["flagged_plain"] += plain_here
        counts["folded"] += folded_here
        counts["new_spans"] += new_here
        if new_here and not plain_here:
            counts["flagged_new"] += 1
            new_docs.append(document.doc_id)
    counts["false_flag_rate"] = round(counts["flagged_new"] / max(counts["documents"], 1), 6)
    counts["seconds"] = round(time.perf_counter() - started, 2)
    return {"corpus": name, **counts, "_examples": examples, "_new_docs": new_docs}


def hostile_recall() -> dict:
    manifest = json.loads((HOSTILE / "manifest.json").read_text(encoding="utf-8"))
    cases = manifest if isinstance(manifest, list) else manifest.get("cases", [])
    wanted = {c["file"] for c in cases if c["technique"] in DISGUISED_TECHNIQUES}
    found = set()
    for file in sorted(wanted):
        [document] = list(documents([HOSTILE / file]))
        if disguised_instruction_spans(document.text) or disguised_instruction_spans(document.title):
            found.add(file)
    return {"disguised_documents": len(wanted), "found": len(found), "missed": sorted(wanted - found)}


def run(shared: Path = SHARED) -> dict:
    corpora = [("bundled corpora/", [REPO / "corpora"])]
    corpora += [(f"shared {p.name}", [p]) for p in sorted(shared.glob("*.jsonl"))] if shared.is_dir() else []
    return {"corpora": [measure(name, paths) for name, paths in corpora], "hostile": hostile_recall()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=SHARED, help="folder of shared JSONL corpora (read only)")
    parser.add_argument("--show", action="store_true", help="print every new span")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.shared)
    rows = result["corpora"]
    if args.json:
        print(json.dumps({"corpora": [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows],
                          "hostile": result["hostile"]}, indent=2))
    else:
        print(f"{'corpus':<34} {'docs':>7} {'MB':>6} {'plain':>6} {'folded':>7} {'new docs':>9} {'new spans':>10} "
              f"{'false-flag rate':>16} {'s':>6}")
        for r in rows:
            print(f"{r['corpus']:<34} {r['documents']:>7} {r['characters'] / 1e6:>6.1f} {r['flagged_plain']:>6} "
                  f"{r['folded']:>7} {r['flagged_new']:>9} {r['new_spans']:>10} {r['false_flag_rate']:>16.4%} "
                  f"{r['seconds']:>6.1f}")
        h = result["hostile"]
        print(f"hostile set: {h['found']}/{h['disguised_documents']} homoglyph and spaced-out documents flagged"
              + (f"; missed {', '.join(h['missed'])}" if h["missed"] else ""))
    if args.show:
        for r in rows:
            for doc_id, span in r["_examples"]:
                print("NEW", "|", r["corpus"], "|", doc_id, "|", ascii(span[:200]))
    bad = sum(r["new_spans"] for r in rows) + len(result["hostile"]["missed"])
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
