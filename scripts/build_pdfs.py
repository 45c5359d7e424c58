"""Render the Markdown sources in corpora/_pdf_sources/ into multi-page PDFs in corpora/demo/.

Each PDF gets bookmarks (its outline) for the headings, so section paths survive extraction, and carries
the front matter as JSON in the document-information key /ClinragMeta. Run: .venv/bin/python scripts/build_pdfs.py
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import sys
from pathlib import Path

import yaml
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "corpora" / "_pdf_sources"
TARGET = ROOT / "corpora" / "demo"
_ASCII = {"≥": ">=", "≤": "<=", "–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "•": "-", "×": "x",
          "→": "->", "…": "...", "μ": "u", "µ": "u", "≈": "~", "±": "+/-", "\u00a0": " ", "\u2009": " ", "‑": "-"}


def latin1(text: str) -> str:
    for a, b in _ASCII.items():
        text = text.replace(a, b)
    return text.encode("latin-1", "replace").decode("latin-1")


def render(source: Path) -> Path:
    raw = source.read_text(encoding="utf-8")
    match = re.match(r"\A---\n(.*?)\n---\n", raw, re.S)
    if not match:
        raise SystemExit(f"{source}: no front matter")
    meta = yaml.safe_load(match.group(1))
    body = raw[match.end():]
    pdf = FPDF(format="A4")
    pdf.set_creation_date(dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    pdf.set_title(latin1(str(meta["title"])))
    pdf.set_author(latin1(str(meta.get("issuer", ""))))
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_margins(20, 18, 20)
    pdf.add_page()
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(0, 4, latin1(str(meta.get("notice", ""))), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for line in body.splitlines():
        heading = re.match(r"^(#{1,3})\s+(.*)$", line)
        if heading:
            level = len(heading.group(1))
            title = latin1(heading.group(2).strip())
            pdf.ln(2)
            pdf.start_section(title, level=level - 1)
            pdf.set_font("Helvetica", "B", {1: 15, 2: 12.5, 3: 11}[level])
            pdf.multi_cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif line.strip().startswith(("- ", "* ")):
            pdf.set_font("Helvetica", "", 10.5)
            pdf.set_x(pdf.l_margin + 4)
            pdf.multi_cell(0, 5.5, "- " + latin1(line.strip()[2:]), new_x="LMARGIN", new_y="NEXT")
        elif line.strip():
            pdf.set_font("Helvetica", "", 10.5)
            pdf.multi_cell(0, 5.5, latin1(line.strip()), new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.ln(2.5)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(bytes(pdf.output()))))
    writer.add_metadata({"/ClinragMeta": json.dumps({k: str(v) for k, v in meta.items()}, sort_keys=True)})
    target = TARGET / f"{meta['doc_id']}.pdf"
    with target.open("wb") as f:
        writer.write(f)
    return target


def main() -> int:
    sources = sorted(SOURCES.glob("*.md"))
    for source in sources:
        target = render(source)
        pages = len(PdfReader(target).pages)
        print(f"{source.name} -> {target.relative_to(ROOT)} ({pages} pages)")
        if pages < 2:
            print(f"warning: {target.name} has a single page", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
