"""The UI: pure renderers (rag/render.py, ui/render.py) on hand-made records, and the Streamlit app headless."""

from __future__ import annotations

import html
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from markdown_it import MarkdownIt

from clinrag.records import REFUSAL_MESSAGES, REFUSAL_NO_EVIDENCE, AnswerRecord, SearchResult, SentenceRecord
from rag.render import groundedness_meaning, pages_label, render_text, source_label
from ui import render as R

HOSTILE = '<script>alert(1)</script> [click](http://evil.example) ![img](http://evil.example/x.png) :red[x] $x^2$ **bold**'
REPO = Path(__file__).resolve().parent.parent


def result(n: int, **overrides) -> SearchResult:
    data = dict(
        chunk_id=f"doc{n}:c{n}",
        doc_id=f"doc{n}",
        title=f"Guideline {n}",
        section="Treatment > Targets",
        page_start=3,
        page_end=4,
        char_start=0,
        char_end=100,
        text=f"Passage text number {n}. The target is below 130/80 mm Hg.",
        score=0.03,
        bm25_rank=n,
        dense_rank=n,
        version="2023",
        date="2023-05-01",
        status="current",
        issuer="Demo Society",
        source_path=f"/corpus/doc{n}.pdf",
    )
    data.update(overrides)
    return SearchResult(**data)


def answer_record(evidence=None, warnings=(), verdict=None, sentences=None) -> AnswerRecord:
    evidence = evidence or [result(1), result(2), result(3)]
    sentences = sentences or [
        SentenceRecord("The target is below 130/80 mm Hg.", [evidence[0].chunk_id], 0.95, [1]),
        SentenceRecord("Lifestyle change is advised.", [evidence[1].chunk_id], 0.6, [2]),
    ]
    return AnswerRecord(
        question="What is the blood pressure target?",
        decision="answer",
        answer=" ".join(f"{s.text} " + "".join(f"[{m}]" for m in s.markers) for s in sentences).strip(),
        sentences=sentences,
        groundedness=0.87,
        refusal_reason=None,
        evidence=evidence,
        timings_s={"retrieve": 0.01, "total": 0.05},
        models={"embedder": "e", "generator": "extractive", "judge": "none"},
        settings_fingerprint="abc123def4567890",
        verdict=verdict,
        answerability=0.9,
        warnings=list(warnings),
        generator="extractive",
    )


def refusal_record(evidence=None) -> AnswerRecord:
    return AnswerRecord(
        question="What is the dose of unobtainium?",
        decision="refuse",
        answer="",
        sentences=[],
        groundedness=0.0,
        refusal_reason=REFUSAL_MESSAGES[REFUSAL_NO_EVIDENCE],
        evidence=[result(1), result(2)] if evidence is None else evidence,
        timings_s={"retrieve": 0.01, "total": 0.01},
        models={},
        settings_fingerprint="abc123def4567890",
        refusal_code=REFUSAL_NO_EVIDENCE,
        answerability=0.1,
    )


def rendered_text(markdown: str) -> str:
    """What a Markdown renderer shows: HTML with tags stripped and entities decoded."""
    import re

    out = MarkdownIt("commonmark").render(markdown)
    return html.unescape(re.sub(r"<[^>]+>", "", out))


# ----------------------------------------------------------------------------- rag/render.py
def test_render_text_answer_has_markers_groundedness_and_numbered_sources():
    record = answer_record(evidence=[result(1), result(2, status="superseded", superseded_by="doc9"), result(3)])
    text = render_text(record)
    assert "The target is below 130/80 mm Hg. [1]" in text
    assert "Groundedness: 87%" in text
    sources = text.split("Sources:")[1]
    assert "[1] Guideline 1 - Demo Society; version 2023; 2023-05-01; Treatment > Targets; pp. 3-4" in sources
    assert "[2] Guideline 2" in sources and "[SUPERSEDED, replaced by doc9]" in sources
    assert "[3] Guideline 3" not in sources  # not cited
    assert "not clinical advice" in text


def test_render_text_refusal_shows_reason_and_closest_passages():
    text = render_text(refusal_record())
    assert "REFUSED: " + REFUSAL_MESSAGES[REFUSAL_NO_EVIDENCE] in text
    assert "Closest passages searched:" in text
    assert "[1] Guideline 1" in text and "[2] Guideline 2" in text
    assert "Groundedness" not in text
    assert "No passages were found" in render_text(refusal_record(evidence=[]))
    many = [result(i) for i in range(1, 8)] + [result(8, status="superseded")]
    text = render_text(refusal_record(evidence=many))
    assert "[5] Guideline 5" in text and "[6] Guideline 6" not in text
    assert "[8] Guideline 8" in text and "[SUPERSEDED]" in text  # warnings name it by number


def test_render_text_shows_warnings_and_verdict():
    record = answer_record(warnings=["Passage [2] is from a SUPERSEDED version: Guideline 2 (doc doc2)."], verdict="yes")
    text = render_text(record)
    assert "WARNING: Passage [2] is from a SUPERSEDED version" in text
    assert text.index("WARNING") < text.index("Verdict: YES")


def test_small_pieces():
    assert pages_label(result(1, page_start=None, page_end=None)) == ""
    assert pages_label(result(1, page_start=5, page_end=5)) == "p. 5"
    assert source_label(4, result(1, issuer="", version="", date="", section="", page_start=None)) == "[4] Guideline 1"
    assert groundedness_meaning(0.95).startswith("high")
    assert groundedness_meaning(0.3).startswith("low")


# ----------------------------------------------------------------------------- ui/render.py
def test_answer_markdown_has_markers_and_support_badges():
    md = R.answer_markdown(answer_record())
    assert "\\[1\\]" in md and "\\[2\\]" in md
    assert ":green-badge[support 95%]" in md and ":orange-badge[support 60%]" in md
    assert "The target is below 130/80 mm Hg. [1]" in rendered_text(md)
    g = R.groundedness_markdown(answer_record())
    assert "87%" in g and "high" in g and "green" in g


def test_verdict_and_sources_split_by_citation():
    record = answer_record(verdict="no")
    assert ":red-badge[NO]" in R.verdict_markdown(record)
    assert R.verdict_markdown(answer_record()) == ""
    cited, other = R.sources_for(record)
    assert [n for n, _ in cited] == [1, 2] and [n for n, _ in other] == [3]
    cited, closest = R.sources_for(refusal_record())
    assert cited == [] and [n for n, _ in closest] == [1, 2]


def test_refusal_markdown_is_a_refusal_with_reason():
    md = R.refusal_markdown(refusal_record())
    assert "No answer given" in md
    assert REFUSAL_MESSAGES[REFUSAL_NO_EVIDENCE] in rendered_text(md)


def test_superseded_source_gets_a_clear_badge():
    r = result(2, status="superseded", superseded_by="doc9")
    assert ":red-badge[SUPERSEDED]" in R.source_title(2, r)
    meta = R.source_meta_markdown(r)
    assert ":red-badge[SUPERSEDED]" in meta and "doc9" in meta
    assert "Effective date" in meta and "2023" in meta and "pp" in meta
    assert ":green-badge[CURRENT]" in R.source_meta_markdown(result(1))


def test_hostile_document_text_stays_escaped():
    r = result(1, title=HOSTILE, section=HOSTILE, text=HOSTILE + "\nsecond line", issuer=HOSTILE)
    record = answer_record(
        evidence=[r, result(2)],
        sentences=[SentenceRecord(HOSTILE, [r.chunk_id], 0.9, [1])],
        warnings=[f"Passage [1] is from a SUPERSEDED version: {HOSTILE}"],
    )
    pieces = [
        R.passage_markdown(r),
        R.source_title(1, r),
        R.source_meta_markdown(r),
        R.answer_markdown(record),
        *R.warning_texts(record),
        R.passage_preview(r),
    ]
    md = MarkdownIt("commonmark")
    for piece in pieces:
        assert "<script>" not in piece
        assert "](http" not in piece and ":red[" not in piece
        out = md.render(piece)
        assert "<script" not in out and "<a " not in out and "<img" not in out and "<strong>bold" not in out
    # the passage renders as exactly its text (line break kept)
    shown = rendered_text(R.passage_markdown(r))
    assert HOSTILE in shown and "second line" in shown


def test_escape_md_round_trips_punctuation():
    text = r"a\b `c` *d* _e_ {f} [g] (h) #i +j -k .l !m |n ~o :p: $q$ &amp; <r> 'x' \"y\" =z ^w"
    assert rendered_text(R.escape_md(text)).strip() == text


def test_library_rows_ingest_summary_and_upload_names():
    docs = [
        {"doc_id": "a", "title": "A", "issuer": "I", "version": "1", "date": "2020", "status": "superseded",
         "n_chunks": 3, "n_pages": 0, "source_path": "/x/a.md"},
        {"doc_id": "b", "title": "B", "status": None, "n_chunks": 1, "n_pages": 7, "source_path": "/x/b.pdf"},
    ]
    rows = R.document_rows(docs)
    assert [r["doc_id"] for r in rows] == ["a", "b"]
    assert rows[0]["status"] == "SUPERSEDED" and rows[1]["status"] == "current"
    assert rows[0]["pages"] is None and rows[1]["pages"] == 7 and rows[0]["chunks"] == 3
    assert set(rows[0]) == set(R.DOCUMENT_COLUMNS)

    report = SimpleNamespace(failed=[("/up/bad.pdf", "the PDF is encrypted")], summary=lambda: "2 file(s): 1 added, 1 failed")
    summary, failures = R.ingest_summary(report)
    assert "1 added" in rendered_text(summary)
    assert rendered_text(failures[0]).strip() == "bad.pdf: the PDF is encrypted"

    assert R.safe_upload_name("../../etc/passwd") == "passwd"
    assert R.safe_upload_name("my guide (v2).PDF") == "my_guide_v2.pdf"
    assert R.safe_upload_name("..\\..\\x.md") == "x.md"
    assert R.safe_upload_name("...") == "upload"


def write_eval_run(root: Path) -> Path:
    """A fake `clinrag eval` output folder with report.json and two real (tiny) PNG plots."""
    from PIL import Image

    run = root / "demo-extractive"
    run.mkdir(parents=True)
    report = {
        "suite": "demo", "n": 10, "generator": "extractive", "settings_fingerprint": "f",
        "retrieval": {"recall@1": 0.5, "recall@5": 0.9, "recall@10": 1.0, "mrr": 0.7, "ndcg@10": 0.75},
        "answer": {"accuracy": 0.8, "overall_accuracy": 0.7},
        "refusal": {"recall": 1.0, "over_refusal": 0.1, "coverage": 0.8},
        "selective": {"accuracy_answered": 0.9, "ece": 0.05, "brier": 0.1, "aurc": 0.2},
        "latency_s": {"p50": 0.1, "p95": 0.3, "mean": 0.15},
        "plots": {"reliability": "reliability.png"},
    }
    (run / "report.json").write_text(json.dumps(report))
    Image.new("RGB", (8, 8), "white").save(run / "reliability.png")
    Image.new("RGB", (8, 8), "white").save(run / "categories.png")
    return run


def test_evaluation_helpers(tmp_path):
    run = write_eval_run(tmp_path)
    (tmp_path / "empty").mkdir()
    assert R.find_reports(tmp_path) == [run / "report.json"]
    assert R.find_reports(tmp_path / "missing") == []
    loaded = R.load_report(run / "report.json")
    rows = {(r["group"], r["metric"]): r["value"] for r in R.headline_rows(loaded)}
    assert rows[("Retrieval", "recall@5")] == "0.900" and rows[("Selective", "ece")] == "0.050"
    assert rows[("Refusal", "over_refusal")] == "0.100" and rows[("Latency (s)", "p95")] == "0.300"
    assert dict(R.headline_metrics(loaded))["Answer accuracy"] == "0.800"
    assert [p.name for p in R.report_plots(run / "report.json", loaded)] == ["reliability.png", "categories.png"]
    assert R.headline_rows({"balanced_accuracy": 0.5}) == []  # a judge report has no suite sections


# ----------------------------------------------------------------------------- the Streamlit app
@pytest.fixture(scope="module")
def ui_index(tmp_path_factory) -> Path:
    from composition.app import App
    from clinrag.settings import load_settings
    from tests.conftest import write_tiny_corpus
    from tests.fakes import HashEmbedder

    root = tmp_path_factory.mktemp("ui")
    corpus = write_tiny_corpus(root / "corpus")
    app = App(load_settings(index_dir=root / "index"), embedder=HashEmbedder())
    report = app.ingest(sorted(corpus.iterdir()))
    assert report.ok, report.failed
    return root / "index"


def _start(index_dir: Path, monkeypatch, tmp_path: Path, **env: str):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("CLINRAG_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("CLINRAG_UI_APP_FACTORY", "tests.ui_support:make_app")
    monkeypatch.setenv("CLINRAG_EVAL_DIR", str(tmp_path / "eval"))
    monkeypatch.setenv("CLINRAG_EVAL_INDEX_DIR", str(tmp_path / "eval-index"))
    monkeypatch.setenv("CLINRAG_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("CLINRAG_USERS_FILE", str(tmp_path / "no-users.json"))  # open mode unless a test adds users
    monkeypatch.delenv("CLINRAG_UI_PASSWORD", raising=False)
    monkeypatch.delenv("CLINRAG_AUTH__MODE", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    at = AppTest.from_file(str(REPO / "ui" / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def app_test(ui_index, monkeypatch, tmp_path):
    write_eval_run(tmp_path / "eval")
    return _start(ui_index, monkeypatch, tmp_path)


@pytest.fixture
def writable_app(ui_index, monkeypatch, tmp_path):
    import shutil

    index = Path(shutil.copytree(ui_index, tmp_path / "own-index"))
    return _start(index, monkeypatch, tmp_path)


def _ask(at, question: str, generator: str | None = None):
    if generator:
        at.radio(key="generator").set_value(generator)
    at.chat_input(key="chat").set_value(question).run()
    assert not at.exception, at.exception
    return at


def _all_markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_app_answers_a_question_in_the_chat_with_open_source_cards(app_test):
    at = _ask(app_test, "What is the blood pressure target for most adults with hypertension?")
    body = _all_markdown(at)
    assert "130/80" in body and "Groundedness" in body and "badge[support" in body
    assert "(#source-1-" in body  # the [n] marker links to its source card
    anchors = [h for h in at.subheader if h.proto.anchor.startswith("source-1-")]
    assert anchors and "Hypertension demo guideline" in anchors[0].value
    assert ":orange-background[" in body  # the cited sentence is highlighted in the open card
    assert any("Verified answer after" in c.value for c in at.caption)
    assert not at.error and not any("No answer given" in m for m in body.split("\n"))
    assert len(at.chat_message) == 2 and at.session_state["turns"][0]["record"].decision == "answer"


def test_app_refusal_card_says_why_in_the_terms_of_its_code(app_test):
    at = _ask(app_test, "Which vaccine schedule applies to travelling dogs?")
    record = at.session_state["turns"][0]["record"]
    assert record.decision == "refuse"
    title, _ = R.refusal_title(record)
    body = _all_markdown(at)
    assert R.escape_inline(title) in body and "No answer given" in " ".join(i.value for i in at.info)
    assert "Groundedness" not in body
    assert any("Refused after" in c.value for c in at.caption)


def test_app_streams_the_local_model_then_shows_the_verified_record(app_test):
    from tests.ui_support import STREAMED_ANSWER

    at = _ask(app_test, "What is the blood pressure target for most adults with hypertension?", generator="local")
    turn = at.session_state["turns"][0]
    assert turn["record"].generator == "scripted-local" and turn["record"].decision == "answer"
    assert turn["first_words_s"] is not None and turn["first_words_s"] <= turn["total_s"]
    assert STREAMED_ANSWER.split(" [1]")[0] in turn["record"].answer
    assert any("First words after" in c.value for c in at.caption)


def test_app_conversation_keeps_history_and_new_conversation_clears_it(app_test):
    at = _ask(app_test, "What is the blood pressure target for most adults with hypertension?")
    at = _ask(at, "How much intravenous fluid is given for sepsis-induced hypoperfusion?")
    assert [t["id"] for t in at.session_state["turns"]] == [1, 2] and len(at.chat_message) == 4
    next(b for b in at.button if b.label == "New conversation").click().run()
    assert at.session_state["turns"] == [] and len(at.chat_message) == 0


def test_app_empty_question_shows_validation_message(app_test):
    at = _ask(app_test, "   ")
    assert any("Type a question" in w.value for w in at.warning)
    assert not at.error and at.session_state["turns"] == []


def test_app_clinrag_error_is_shown_as_error_without_a_trace(app_test):
    at = _ask(app_test, "?? !! ..")  # no searchable words -> QuestionError
    assert at.error and "searchable words" in at.error[0].value
    assert not at.exception and "Traceback" not in at.error[0].value


def test_app_says_when_identifiers_were_redacted_and_feedback_is_stored_redacted(app_test, ui_index):
    from stores.feedback import feedback_path, read_feedback

    question = "Patient Maria Smith, MRN 48213377: what is the blood pressure target for most adults with hypertension?"
    at = _ask(app_test, question)
    assert any("redacted" in c.value and "name" in c.value for c in at.caption)
    at.feedback(key="feedback-1").set_value(1).run()
    at.text_input(key="feedback-comment-1").input("Spot on for Maria Smith").run()
    next(b for b in at.button if b.label == "Send feedback").click().run()
    assert any("Feedback saved" in c.value for c in at.caption)
    stored = read_feedback(feedback_path(ui_index))[-1]
    assert stored["rating"] == "up" and "Maria" not in json.dumps(stored) and "48213377" not in json.dumps(stored)


def test_app_offers_the_answer_as_markdown(app_test):
    at = _ask(app_test, "What is the blood pressure target for most adults with hypertension?")
    code = "\n".join(c.value for c in at.code)
    assert "**Question:**" in code and "### Sources" in code and "130/80" in code


def test_app_login_gate_hides_everything_until_the_password(ui_index, monkeypatch, tmp_path):
    at = _start(ui_index, monkeypatch, tmp_path, CLINRAG_UI_PASSWORD="s3cret")
    assert not at.tabs and not at.chat_input
    at.text_input(key="login-password").input("wrong")
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert at.error and not at.tabs
    at.text_input(key="login-password").input("s3cret")
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert [t.label for t in at.tabs] == ["Ask", "Library", "Evaluation", "Audit", "Users"]  # auth.shared_roles: all


def test_app_library_lists_documents_and_sidebar_counts(app_test):
    frame = app_test.dataframe[0].value
    assert len(frame) == 4 and {"htn-demo-2023", "htn-demo-2014", "sepsis-demo-2021"} <= set(frame["doc_id"])
    assert "SUPERSEDED" in set(frame["status"])
    assert any("demonstration corpus" in i.value for i in app_test.info)
    assert any(str(m.value) == "4" for m in app_test.sidebar.metric)
    assert any("not clinical advice" in m.value for m in app_test.sidebar.markdown)


def _upload(at, name: str, data: bytes, **meta: str):
    at.file_uploader(key="uploads").upload(name, data)
    for key, value in meta.items():
        widget = at.selectbox(key=f"meta-{key}") if key in {"status", "supersedes"} else at.text_input(key=f"meta-{key}")
        widget.set_value(value)
    next(b for b in at.button if b.label == "Ingest uploaded files").click().run()
    assert not at.exception, at.exception
    return at


def test_library_upload_ingests_with_metadata_and_supersedes(writable_app, tmp_path):
    at = _upload(writable_app, "htn 2025 (final).md", b"# HTN\n\nThe target is below 130/80 mm Hg.\n",
                 title="Hypertension update", issuer="Demo Society", version="2025", date="2025-01-01",
                 supersedes="htn-demo-2023")
    frame = at.dataframe[0].value
    new = frame[frame["doc_id"] == "htn-2025-final"].iloc[0]
    assert (new["title"], new["version"], new["date"]) == ("Hypertension update", "2025", "2025-01-01")
    old = frame[frame["doc_id"] == "htn-demo-2023"].iloc[0]
    assert old["status"] == "SUPERSEDED" and old["superseded_by"] == "htn-2025-final"
    assert len(list((tmp_path / "uploads").glob("*/htn_2025_final.md"))) == 1
    assert any("Last ingest" in s.value and "1 added" in s.value for s in at.success)


def test_library_refuses_bad_uploads_by_name_and_keeps_same_names_apart(tmp_path):
    from ui.library import save_upload, upload_problem

    assert "not a PDF" in upload_problem("guide.pdf", b"hello", 200)
    assert "unsupported type .exe" in upload_problem("tool.exe", b"MZ", 200)
    assert "empty" in upload_problem("empty.md", b"", 200)
    assert "above the 1 MB limit" in upload_problem("big.txt", b"x" * 1_500_000, 1)
    assert upload_problem("fine.md", b"# Fine", 200) is None
    first, second = save_upload(tmp_path, "same.md", b"one"), save_upload(tmp_path, "same.md", b"two")
    assert first != second and first.name == second.name == "same.md"
    assert (first.read_bytes(), second.read_bytes()) == (b"one", b"two")


def test_app_bad_upload_is_a_named_failure_and_the_index_is_unchanged(writable_app):
    before = set(writable_app.dataframe[0].value["doc_id"])
    at = _upload(writable_app, "broken.pdf", b"%PDF-1.7 this is not really a pdf")
    assert set(at.dataframe[0].value["doc_id"]) == before
    assert any("broken.pdf" in rendered_text(e.value) for e in at.error)
    at = _upload(at, "notes.md", b"")  # (the uploader itself refuses other extensions)
    assert any("Refused before ingest" in e.value and "notes.md: the file is empty" in rendered_text(e.value) for e in at.error), ([e.value for e in at.error], [w.value for w in at.warning])
    assert set(at.dataframe[0].value["doc_id"]) == before


def _library_action(at, doc_id: str, action: str, by: str | None = None, confirm: bool = False):
    at.selectbox(key="action-doc").set_value(doc_id)
    at.radio(key="action-kind").set_value(action)
    if by:
        at.selectbox(key="action-by").set_value(by)
    if confirm:
        at.checkbox(key="action-confirm").check()
    next(b for b in at.button if b.label == "Apply").click().run()
    assert not at.exception, at.exception
    return at


def test_app_library_actions_supersede_retire_restore_delete(writable_app):
    at = _library_action(writable_app, "sepsis-demo-2021", "retire")
    frame = at.dataframe[0].value
    assert bool(frame[frame["doc_id"] == "sepsis-demo-2021"]["retired"].iloc[0])
    at = _ask(at, "How much intravenous fluid is given for sepsis-induced hypoperfusion?")
    cited = {e.doc_id for e in at.session_state["turns"][-1]["record"].evidence}
    assert "sepsis-demo-2021" not in cited  # retired documents never reach answers
    at = _library_action(at, "sepsis-demo-2021", "restore")
    at = _library_action(at, "asthma", "supersede", by="htn-demo-2023")
    frame = at.dataframe[0].value
    row = frame[frame["doc_id"] == "asthma"].iloc[0]
    assert row["status"] == "SUPERSEDED" and row["superseded_by"] == "htn-demo-2023"
    at = _library_action(at, "sepsis-demo-2021", "delete")  # not confirmed: nothing happens
    assert any("confirmation" in w.value for w in at.warning)
    at = _library_action(at, "sepsis-demo-2021", "delete", confirm=True)
    assert "sepsis-demo-2021" not in set(at.dataframe[0].value["doc_id"])


def test_app_evaluation_tab_shows_headline_metrics_and_plots(app_test):
    labels = {m.label: m.value for m in app_test.metric}
    assert labels["Answer accuracy"] == "0.800" and labels["ECE"] == "0.050"
    assert any("clinrag eval --suite eval/suites/clinrag-demo" in c.value for c in app_test.code)


def test_app_evaluation_runs_a_suite_with_progress_and_shows_its_report(ui_index, monkeypatch, tmp_path):
    at = _start(ui_index, monkeypatch, tmp_path)
    at.selectbox(key="eval-suite").set_value("tiny")
    at.number_input(key="eval-limit").set_value(0)
    next(b for b in at.button if b.label == "Run evaluation").click().run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    runs = list((tmp_path / "eval").glob("ui-tiny-*/report.json"))
    assert len(runs) == 1
    report = json.loads(runs[0].read_text())
    labels = {m.label: m.value for m in at.metric}
    assert labels["Answer accuracy"] == R.fmt_metric(report["answer"]["accuracy"])
    assert any("Records scored wrong" in m.value for m in at.markdown)
    assert {"risk_coverage.png", "reliability.png"} <= {p.name for p in runs[0].parent.glob("*.png")}
    assert len(at.get("image")) >= 2  # the plots are shown on the page


