from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml

from eval.suites import load_suite, validate_suite

REPO = Path(__file__).resolve().parent.parent
SUITE = REPO / "eval" / "suites" / "clinrag-demo"
DEMO = REPO / "corpora" / "demo"


def _front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---", 2)[1])


def test_bundled_suite_validates_and_every_category_is_populated():
    assert validate_suite(SUITE) == []
    suite = load_suite(SUITE)
    counts = Counter(q["category"] for q in suite.questions)
    assert len(suite.questions) >= 300
    assert all(counts[c] > 0 for c in suite.categories), counts


def test_every_gold_document_exists_in_the_corpus():
    ids = {p.stem for p in DEMO.glob("*.md")} | {p.stem for p in DEMO.glob("*.pdf")}
    for q in load_suite(SUITE).questions:
        assert set(q["gold_doc_ids"]) <= ids, q["id"]
        assert set(q.get("superseded_doc_ids") or []) <= ids, q["id"]


def test_corpus_meets_the_demonstration_contract():
    sources = list(DEMO.glob("*.md")) + list((REPO / "corpora" / "_pdf_sources").glob("*.md"))
    metas = [_front_matter(p) for p in sources]
    assert len(metas) >= 40
    assert len({m["clinical_area"] for m in metas}) >= 8 and len({m["topic"] for m in metas}) >= 15
    for m in metas:
        assert {"title", "issuer", "version", "status", "effective_date", "notice", "source_guideline"} <= set(m), m["doc_id"]
        assert "demonstration" in m["notice"].lower()
    superseded = [m for m in metas if m["status"] == "superseded"]
    assert len(superseded) >= 5
    by_id = {m["doc_id"]: m for m in metas}
    assert all(by_id[m["superseded_by"]]["status"] == "current" for m in superseded)
    pdfs = list(DEMO.glob("*.pdf"))
    assert len(pdfs) >= 8 and {p.stem for p in pdfs} == {p.stem for p in (REPO / "corpora" / "_pdf_sources").glob("*.md")}


def test_variants_point_at_existing_base_questions():
    questions = {q["id"]: q for q in load_suite(SUITE).questions}
    for q in questions.values():
        if q.get("variant_of"):
            base = questions[q["variant_of"]]
            assert base["gold_answer"] == q["gold_answer"], q["id"]
