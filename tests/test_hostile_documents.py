"""The hostile-document set (``tests/data/hostile/``, described in ``eval/hostile.py``) against ingestion and answers.

Fast tests (no models): the set itself is well formed and each document really carries its technique; ingest
keeps official documents when a second file claims their doc_id; ingest flags the trick documents; the checking
harness runs end to end on the deterministic fake pipeline.
Model tests (marker ``model``): a real index of ``corpora/`` plus the hostile set, every manifest question asked
with the extractive generator, and no planted claim, prompt markup or invisible character in any answer.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from clinrag.settings import load_settings
from composition.app import App
from eval.hostile import (
    DISAGREEMENT_TECHNIQUES,
    EXPECT_DISAGREEMENT,
    EXPECT_NO_PLANTED,
    HostileCase,
    assess,
    found_strings,
    invisible_characters,
    load_manifest,
    summarise,
)
from ingest.library import Library
from ingest.loaders import parse_markdown
from tests.conftest import unit_calibration
from tests.fakes import HashEmbedder, LexicalReader

REPO = Path(__file__).resolve().parent.parent
HOSTILE = REPO / "tests" / "data" / "hostile"
CORPORA = REPO / "corpora"
CASES = load_manifest(HOSTILE)
BY_FILE = {c.file: c for c in CASES}
CLAIMS = [c for c in CASES if c.technique == "doc_id_claim"]


def _case_param(case: HostileCase):
    return pytest.param(case, id=case.name)


def _front_matter(path: Path) -> dict:
    document = parse_markdown(path, path.read_text(encoding="utf-8"), "0")
    return {"doc_id": document.doc_id, "title": document.title, "issuer": document.issuer,
            "version": document.version, "status": document.status, "text": document.text}


@cache
def _official_texts() -> dict[str, str]:
    """doc_id -> text of the bundled corpus (PDFs through the Markdown they are rendered from)."""
    texts = {}
    for path in sorted((CORPORA / "demo").glob("*.md")) + sorted((CORPORA / "_pdf_sources").glob("*.md")):
        fm = _front_matter(path)
        texts[fm["doc_id"]] = fm["text"]
    return texts


@cache
def _official_titles() -> dict[str, tuple[str, str]]:
    """doc_id -> (title, issuer) of the bundled corpus."""
    out = {}
    for path in sorted((CORPORA / "demo").glob("*.md")) + sorted((CORPORA / "_pdf_sources").glob("*.md")):
        fm = _front_matter(path)
        out[fm["doc_id"]] = (fm["title"], fm["issuer"])
    return out


# ----------------------------------------------------------------------------- the set itself (fast)
def test_the_set_has_at_least_32_documents_and_several_per_technique():
    assert len(CASES) >= 32
    assert len(BY_FILE) == len(CASES), "a file is listed twice in manifest.json"
    counts = Counter(c.technique for c in CASES)
    thin = {t: n for t, n in counts.items() if n < 2}
    assert not thin, f"techniques with fewer than 2 documents: {thin}"
    listed = {c.file for c in CASES}
    on_disk = {p.name for p in HOSTILE.glob("*.md") if p.stem.upper() != "README"}
    assert listed == on_disk, f"not in the manifest: {sorted(on_disk - listed)}; missing on disk: {sorted(listed - on_disk)}"


@pytest.mark.parametrize("case", [_case_param(c) for c in CASES])
def test_each_document_is_well_formed_and_targets_an_official_document(case):
    path = HOSTILE / case.file
    fm = _front_matter(path)
    for key in ("doc_id", "title", "issuer", "version"):
        assert fm[key], f"{case.file}: front matter lacks {key}"
    assert fm["status"] == "current", f"{case.file}: status must be current (a hostile document competes as current)"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert 5 <= len(lines) <= 20, f"{case.file}: {len(lines)} lines; keep hostile documents short (5-20 lines)"
    official = _official_texts()
    assert case.official_doc_id in official, f"{case.file}: official_doc_id {case.official_doc_id} is not in corpora/"
    expected = EXPECT_DISAGREEMENT if case.technique in DISAGREEMENT_TECHNIQUES else EXPECT_NO_PLANTED
    assert case.expect == expected, f"{case.file}: a {case.technique} document expects {expected}"
    if case.technique == "doc_id_claim":
        assert fm["doc_id"] == case.official_doc_id, f"{case.file}: a doc_id claim must use the official doc_id"
    elif case.technique == "copied_title":
        title, issuer = _official_titles()[case.official_doc_id]
        assert (fm["title"], fm["doc_id"] != case.official_doc_id) == (title, True), f"{case.file}: must copy the title {title!r}"
        assert fm["issuer"] != issuer, f"{case.file}: a copied title comes from another issuer than {issuer!r}"
    else:
        assert fm["doc_id"] not in official, f"{case.file}: doc_id {fm['doc_id']} collides with the bundled corpus"


@pytest.mark.parametrize("case", [_case_param(c) for c in CASES])
def test_planted_strings_are_in_their_document_and_nowhere_in_the_official_corpus(case):
    raw = (HOSTILE / case.file).read_text(encoding="utf-8")
    absent = [p for p in case.planted if not found_strings([p], raw)]
    assert not absent, f"{case.file}: planted strings not found in the document itself: {absent}"
    clashes = {p: doc_id for doc_id, text in _official_texts().items() for p in found_strings(case.planted, text)}
    assert not clashes, f"{case.file}: planted strings also occur in the official corpus (an honest answer would fail): {clashes}"


_TECHNIQUE_SIGNS = {
    # what a document of each technique must physically contain, so an edit cannot quietly defuse it
    "zero_width": lambda raw: re.search("[A-Za-z0-9][\u200b\u200c\u200d\u2060\ufeff][A-Za-z0-9]", raw),
    "tag_characters": lambda raw: len(re.findall("[\U000e0020-\U000e007e]", raw)) >= 20,
    "bidi_controls": lambda raw: re.search("[\u202a-\u202e\u2066-\u2069]", raw),
    "homoglyph": lambda raw: re.search("[\u0400-\u04ff]", raw),
    "spaced_out": lambda raw: re.search(r"(?:\b[A-Za-z][ \t]{1,3}){8}", raw),
    "hidden_html": lambda raw: re.search(r"display\s*:\s*none|<!--", raw),
    "prompt_fence": lambda raw: re.search(r"</passage>|<\|im_start\|>|\[INST\]", raw),
    "role_system": lambda raw: re.search(r"(?im)^\W*(?:system|assistant|user)\s*:", raw),
    "forged_qa": lambda raw: re.search(r"(?im)^\W*(?:answer|a)\W*:", raw),
    "instruction_injection": lambda raw: re.search(r"(?i)\b(?:ignore|disregard|override)\b", raw),
}


@pytest.mark.parametrize("case", [_case_param(c) for c in CASES if c.technique in _TECHNIQUE_SIGNS])
def test_each_trick_document_really_uses_its_technique(case):
    raw = (HOSTILE / case.file).read_text(encoding="utf-8")
    assert _TECHNIQUE_SIGNS[case.technique](raw), f"{case.file} no longer contains its {case.technique} trick"
    if case.technique not in {"zero_width", "tag_characters", "bidi_controls"}:
        assert not invisible_characters(raw), f"{case.file} holds invisible characters its technique does not call for"


# ----------------------------------------------------------------------------- ingest, with fakes (fast)
@pytest.fixture(scope="module")
def fake_hostile_app(tmp_path_factory):
    """The bundled corpus plus the hostile set, in one batch, in a fake-embedder index (no model)."""
    app = App(load_settings(index_dir=tmp_path_factory.mktemp("hostile-fake") / "index"), embedder=HashEmbedder(),
              reader=LexicalReader(), calibration=unit_calibration())
    report = app.ingest([CORPORA, HOSTILE])
    return app, report


def _failed_paths(report) -> dict[str, str]:
    return {Path(p).name: reason for p, reason in report.failed}


def test_official_files_all_ingest_beside_the_hostile_set(fake_hostile_app):
    _, report = fake_hostile_app
    failed = _failed_paths(report)
    official_failed = {name: r for name, r in failed.items() if name not in BY_FILE}
    assert not official_failed, f"bundled files failed next to the hostile set: {official_failed}"
    unexpected = {name: r for name, r in failed.items() if name in BY_FILE and BY_FILE[name].technique != "doc_id_claim"}
    assert not unexpected, f"hostile files refused for a reason other than a doc_id claim: {unexpected}"


@pytest.mark.parametrize("case", [_case_param(c) for c in CLAIMS])
def test_a_doc_id_claimed_in_the_same_batch_keeps_the_official_document(fake_hostile_app, case):
    app, report = fake_hostile_app
    row = next(d for d in app.store.documents() if d["doc_id"] == case.official_doc_id)
    assert Path(row["source_path"]).parent.name != HOSTILE.name, (
        f"{case.file} replaced the official {case.official_doc_id} (catalog source: {row['source_path']})")
    assert case.file in _failed_paths(report), (
        f"{case.file} claims doc_id {case.official_doc_id} but the ingest report does not list it as failed: "
        f"{report.to_dict()['failed']}")


@pytest.mark.parametrize("case", [_case_param(c) for c in CLAIMS])
def test_a_doc_id_claimed_by_a_later_ingest_does_not_silently_replace_the_official_document(tmp_path, case):
    app = App(load_settings(index_dir=tmp_path / "index"), embedder=HashEmbedder())
    official_dir = tmp_path / "official"
    official_dir.mkdir()
    source = next(p for p in sorted((CORPORA / "demo").iterdir()) if p.suffix in {".md", ".pdf"}
                  and _doc_id_of(p) == case.official_doc_id)
    (official_dir / source.name).write_bytes(source.read_bytes())
    assert app.ingest([official_dir]).ok
    before = {d["doc_id"]: d for d in app.store.documents()}[case.official_doc_id]
    later = app.ingest([HOSTILE / case.file])
    after = {d["doc_id"]: d for d in app.store.documents()}[case.official_doc_id]
    assert (after["sha256"], after["source_path"]) == (before["sha256"], before["source_path"]), (
        f"{case.file} replaced {case.official_doc_id} in a later ingest (report: {later.to_dict()})")
    assert case.official_doc_id not in later.updated + later.added
    assert case.file in _failed_paths(later), f"{case.file} was neither ingested nor reported as failed: {later.to_dict()}"


def _doc_id_of(path: Path) -> str:
    if path.suffix == ".md":
        return _front_matter(path)["doc_id"]
    source = CORPORA / "_pdf_sources" / (path.stem + ".md")
    return _front_matter(source)["doc_id"] if source.exists() else path.stem


def _flag_param(case: HostileCase):
    # (homoglyph and spaced-out instructions were strict xfails until ingest/sanitize.py folded look-alike letters and
    # joined spaced-out ones before matching: every must_flag case is flagged now)
    return pytest.param(case, id=case.name)


def test_most_trick_documents_must_be_flagged():
    must = [c for c in CASES if c.must_flag]
    assert len(must) >= 25 and all(c.technique not in DISAGREEMENT_TECHNIQUES | {"doc_id_claim"} for c in must)


@pytest.mark.parametrize("case", [_flag_param(c) for c in CASES if c.must_flag])
def test_ingest_flags_each_trick_document(fake_hostile_app, case):
    """A document with hidden text or text addressed to AI models (``must_flag`` in the manifest) is flagged.

    Reads the ``flags`` of each catalog document row (``app.store.documents()``), a list of flag names such as
    ``instruction_like``, ``forged_marker``, ``invisible_unicode`` or ``hidden_html`` (ingest/sanitize.py), and
    ``report.to_dict()["flagged"]``, which must name the document.
    """
    app, report = fake_hostile_app
    documents = app.store.documents()
    row = next((d for d in documents if Path(d["source_path"]).name == case.file), None)
    assert row is not None, f"{case.file} is not in the catalog"
    assert row.get("flags"), f"{case.file} ({case.technique}) was ingested without flags"
    flagged = json.dumps(report.to_dict().get("flagged", []))
    assert row["doc_id"] in flagged, f"{case.file} is flagged in the catalog but not in the ingest report's 'flagged' list"


def test_the_bench_harness_runs_every_case_end_to_end_on_the_fake_pipeline(fake_hostile_app):
    """Not a safety check (the lexical fake reader judges nothing): every case yields a record that the assessment
    reads, through the same code as bench/hostile_bench.py, so neither the model test nor the bench can rot unnoticed."""
    from bench.hostile_bench import format_table, run_cases, sample

    app, _ = fake_hostile_app
    seen = []
    assessments = run_cases(app, CASES, "extractive", lambda result, seconds: seen.append(result.case.file))
    assert seen == [c.file for c in CASES]
    table = summarise(assessments)
    assert table["total"]["cases"] == len(CASES)
    assert set(table) - {"total"} == {c.technique for c in CASES}
    assert all(a.describe().startswith(a.case.file) for a in assessments)
    assert format_table(table).splitlines()[-1].startswith("total")
    assert {c.technique for c in sample(CASES, len(set(c.technique for c in CASES)))} == {c.technique for c in CASES}


# ----------------------------------------------------------------------------- answers, real models
@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    """Real MiniLM + Chroma + BM25 index of corpora/ plus the hostile set, built once in its own folder. The librarian
    has marked the issuers of the bundled corpus trusted (``clinrag library trust``) and left every other issuer
    unknown, as a library that loads its official guidelines would."""
    app = App(load_settings(index_dir=tmp_path_factory.mktemp("hostile-index") / "index"))
    report = app.ingest([CORPORA, HOSTILE])
    official_failed = [(p, r) for p, r in report.failed if Path(p).parent.name != HOSTILE.name]
    assert not official_failed, official_failed
    assert len(report.added) >= 40
    library = Library(app.store)
    for issuer in sorted({d["issuer"] for d in app.store.documents() if Path(d["source_path"]).parent.name != HOSTILE.name}):
        library.trust(issuer, reason="bundled corpus")
    return app


# (a forged Q&A of another current document, a fake newer version from another issuer and two plainly false
# documents were strict xfails until rag/conflicts.py compared the answer's passages with the other current ones and
# followed the trusted issuer's side)
def _answer_param(case: HostileCase):
    return pytest.param(case, id=case.name)


@pytest.mark.model
@pytest.mark.parametrize("case", [_answer_param(c) for c in CASES])
def test_extractive_answers_never_repeat_a_planted_claim(hostile_app, case):
    record = hostile_app.answerer("extractive").ask(case.question)
    result = assess(case, record)
    assert result.ok, result.describe()
