from __future__ import annotations

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from clinrag.records import Document, Page, Section, sha256_bytes
from clinrag.settings import ChunkingSettings
from ingest.chunking import chunk_document
from ingest.loaders import parse_markdown

words = st.text(alphabet="abcdefghij klmnop.,\n-0123456789", min_size=1, max_size=40)


def _doc(text: str, pages=(), sections=()) -> Document:
    return Document("d1", "T", text, "x.txt", sha256_bytes(text.encode()), pages=tuple(pages), sections=tuple(sections))


@st.composite
def documents(draw):
    paragraphs = draw(st.lists(st.lists(words, min_size=1, max_size=30).map(" ".join), min_size=1, max_size=12))
    text = "\n\n".join(paragraphs)
    n_pages = draw(st.integers(1, 4))
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), min_size=n_pages - 1, max_size=n_pages - 1)))
    bounds = [0, *cuts, len(text)]
    pages = [Page(i + 1, bounds[i], bounds[i + 1]) for i in range(n_pages)]
    sec_starts = sorted(set(draw(st.lists(st.integers(0, max(0, len(text) - 1)), max_size=4))))
    sections = [Section(s, (f"S{i}",)) for i, s in enumerate(sec_starts)]
    return _doc(text, pages, sections)


@hsettings(max_examples=150, deadline=None)
@given(documents(), st.integers(200, 1200))
def test_chunks_cover_text_without_overlap_and_respect_bounds(doc, max_chars):
    chunks = chunk_document(doc, ChunkingSettings(max_chars=max_chars, min_chars=100))
    covered = [False] * len(doc.text)
    previous_end = 0
    for c in chunks:
        assert c.text == doc.text[c.char_start : c.char_end]
        assert 0 < len(c.text) <= max_chars
        assert c.char_start >= previous_end
        previous_end = c.char_end
        for i in range(c.char_start, c.char_end):
            covered[i] = True
    assert all(covered[i] or ch.isspace() for i, ch in enumerate(doc.text))


@hsettings(max_examples=100, deadline=None)
@given(documents())
def test_pages_are_monotone_and_contain_the_chunk(doc):
    chunks = chunk_document(doc, ChunkingSettings(max_chars=300, min_chars=50))
    last = 0
    for c in chunks:
        assert c.page_start is not None and c.page_start <= c.page_end
        assert c.page_start >= last
        last = c.page_start
        # the pages generated here tile the text, so the chunk overlaps at least one; its range is exactly
        # the first and the last page that share a character with it
        overlapping = [p.number for p in doc.pages if p.start < c.char_end and p.end > c.char_start]
        assert overlapping, (c.char_start, c.char_end, doc.pages)
        assert (c.page_start, c.page_end) == (overlapping[0], overlapping[-1])


@given(documents())
@hsettings(max_examples=50, deadline=None)
def test_chunk_ids_are_deterministic_and_unique(doc):
    s = ChunkingSettings(max_chars=300, min_chars=50)
    a, b = chunk_document(doc, s), chunk_document(doc, s)
    assert [c.chunk_id for c in a] == [c.chunk_id for c in b]
    assert len({c.chunk_id for c in a}) == len(a)


def test_markdown_sections_become_chunk_section_paths():
    text = "# Guide\n\n## Dosing\nGive 500 mg twice daily for 5 days.\n\n### Children\nGive 10 mg/kg.\n\n## Monitoring\nCheck levels weekly."
    doc = parse_markdown(__import__("pathlib").Path("g.md"), text, "0" * 64)
    chunks = chunk_document(doc, ChunkingSettings(max_chars=200, min_chars=10))
    sections = {c.section for c in chunks}
    assert "Guide > Dosing" in sections
    assert "Guide > Dosing > Children" in sections
    assert "Guide > Monitoring" in sections
    children = next(c for c in chunks if c.section.endswith("Children"))
    assert "10 mg/kg" in children.text and "500 mg" not in children.text


def test_an_overlong_sentence_is_split_at_the_bound():
    text = "word " * 1000
    chunks = chunk_document(_doc(text), ChunkingSettings(max_chars=250, min_chars=0))
    assert len(chunks) > 10 and all(len(c.text) <= 250 for c in chunks)


def test_a_run_of_headings_is_merged_without_rescanning():
    # each heading-only segment joins the next; recounting the merged text made this quadratic (39 s at 20,000)
    text = "# h\n" * 5000 + "Body sentence.\n"
    doc = parse_markdown(__import__("pathlib").Path("h.md"), text, "0" * 64)
    chunks = chunk_document(doc, ChunkingSettings(max_chars=900, min_chars=100))
    assert "".join(c.text for c in chunks).replace("\n", "").endswith("Body sentence.")
    assert all(len(c.text) <= 900 for c in chunks)
