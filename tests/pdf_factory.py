"""Build small real PDFs for tests with fpdf2 (text, bookmarks, image-only) and pypdf (encryption)."""

from __future__ import annotations

import io
from pathlib import Path

from fpdf import FPDF
from pypdf import PdfReader, PdfWriter


def text_pdf(path: Path, pages: list[list[tuple[str, str]]]) -> Path:
    """``pages``: per page, a list of (heading or '', paragraph). Headings become bookmarks."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for blocks in pages:
        pdf.add_page()
        for heading, paragraph in blocks:
            if heading:
                pdf.start_section(heading)
                pdf.set_font("Helvetica", "B", 13)
                pdf.multi_cell(0, 7, heading, new_x="LMARGIN", new_y="NEXT")
                pdf.set_font("Helvetica", size=11)
            pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
    path.write_bytes(bytes(pdf.output()))
    return path


def image_only_pdf(path: Path, n_pages: int = 2) -> Path:
    pdf = FPDF()
    for _ in range(n_pages):
        pdf.add_page()
        pdf.set_fill_color(120, 120, 120)
        pdf.rect(20, 20, 100, 60, style="F")
    path.write_bytes(bytes(pdf.output()))
    return path


def encrypted_pdf(path: Path, source: Path, password: str = "secret") -> Path:
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password=password, owner_password=password, algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    path.write_bytes(buffer.getvalue())
    return path
