"""Integration tests with the real MiniLM embedder, real PDFs and a persisted Chroma store (marker: model)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main
from clinrag.settings import load_settings
from composition.app import App
from ingest.loaders import load_file

pytestmark = pytest.mark.model
REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "query,doc_id",
    [
        ("blood pressure target for adults with hypertension", "htn-accaha-2017"),
        ("first-line treatment of uncomplicated cystitis nitrofurantoin", "uti-cystitis-idsa-2010"),
        ("at what age should colorectal cancer screening start", "crc-screening-uspstf-2021"),
        ("epinephrine dose for anaphylaxis in children", "anaph-wao-2020"),
        ("my child has a fever and is 2 months old", "fever-nice-ng143"),
    ],
)
def test_real_search_ranks_the_right_guideline_first(demo_app, query, doc_id):
    results = demo_app.retriever.search(query, k=5).results
    assert results[0].doc_id == doc_id, [r.doc_id for r in results]


def test_pdf_documents_cite_pages(demo_app):
    results = demo_app.retriever.search("sepsis antimicrobials within 1 hour septic shock", k=5).results
    pdf_hits = [r for r in results if r.source_path.endswith(".pdf")]
    assert pdf_hits and all(r.page_start is not None and r.page_start >= 1 for r in pdf_hits)
    doc = {d["doc_id"]: d for d in demo_app.store.documents()}["sepsis-ssc-2021"]
    assert doc["n_pages"] >= 2 and doc["version"] == "2021"


def test_extractive_answer_cites_the_current_version_and_flags_the_superseded_one(demo_app):
    record = demo_app.answerer("extractive").ask("At what age should average-risk adults start colorectal cancer screening?")
    assert record.decision == "answer", record.refusal_reason
    assert "45" in record.answer
    cited_docs = {c.split(":")[0] for s in record.sentences for c in s.citations}
    assert cited_docs == {"crc-screening-uspstf-2021"}


def test_out_of_corpus_question_is_refused_with_the_closest_passages(demo_app):
    record = demo_app.answerer("extractive").ask("What is the recommended dose of nusinersen for spinal muscular atrophy?")
    assert record.decision == "refuse"
    assert record.refusal_reason and record.evidence


def test_same_question_gives_the_same_record(demo_app):
    a = demo_app.answerer("extractive").ask("What is the nitrofurantoin regimen for acute cystitis?").to_dict()
    b = demo_app.answerer("extractive").ask("What is the nitrofurantoin regimen for acute cystitis?").to_dict()
    a.pop("timings_s"), b.pop("timings_s")
    assert a == b


def test_injected_instructions_in_a_document_are_not_followed(demo_app):
    record = demo_app.answerer("extractive").ask("What is the low-dose colchicine regimen for a gout flare?")
    assert "12 mg" not in record.answer and "developer mode" not in record.answer.lower()


def test_cli_search_and_ask_print_the_json_contracts(demo_app, capsys):
    index = str(demo_app.settings.index_dir)
    assert main(["search", "amoxicillin dose for community-acquired pneumonia", "--k", "3", "--json", "--index", index]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"query", "results"} and len(data["results"]) == 3
    assert {"chunk_id", "doc_id", "title", "section", "page_start", "page_end", "char_start", "char_end", "text", "score",
            "bm25_rank", "dense_rank"} <= set(data["results"][0])
    assert main(["ask", "What is the amoxicillin dose for outpatient pneumonia?", "--json", "--index", index]) == 0
    record = json.loads(capsys.readouterr().out)
    assert {"question", "decision", "answer", "sentences", "groundedness", "refusal_reason", "evidence", "timings_s",
            "models", "settings_fingerprint"} <= set(record)


def test_cli_ingest_reports_failures_and_exits_nonzero(tmp_path, capsys):
    (tmp_path / "good.md").write_text("# Good\n\nGive 500 mg twice daily.\n")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\xfa not utf8 \x81")
    (tmp_path / "bad.txt").write_bytes(b"caf\xe9 au lait")
    code = main(["ingest", str(tmp_path), "--index", str(tmp_path / "idx")])
    out = capsys.readouterr()
    assert code == 1
    assert "1 added" in out.out and "1 failed" in out.out and "bad.txt" in out.out and "UTF-8" in out.out


def test_console_script_runs_offline(tmp_path):
    env = {"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path), "CLINRAG_INDEX_DIR": str(tmp_path / "none")}
    proc = subprocess.run([str(Path(sys.executable).parent / "clinrag"), "search", "anything"], capture_output=True, text=True, env=env)
    assert proc.returncode == 2 and "clinrag ingest" in proc.stderr


# ----------------------------------------------------------------------------------- shared real PDFs
_ANNOTATION = re.compile(r"^(?:rec|footnote|[sp]\d+)$")  # region labels of the gold files, not PDF text


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if not _ANNOTATION.match(w)]


def test_cdc_opioid_pdf_extraction_matches_the_gold_text(shared_data):
    [doc] = load_file(shared_data / "pdfs" / "rr7103a1-H.pdf", 200 * 10**6)
    assert len(doc.pages) == 100
    extracted = set(_words(doc.text))
    for name in ("box3-extraction.txt", "rec01-05-body-extraction.txt", "rec06-12-body-extraction.txt", "front-matter-extraction.txt"):
        gold = _words((shared_data / "pdfs" / name).read_text(encoding="utf-8"))
        found = sum(w in extracted for w in gold) / len(gold)
        assert found > 0.97, (name, found)


def test_image_heavy_who_pdf_reports_pages_without_text(shared_data):
    for name in ("WHO_IPC_core_components_2016.pdf", "WHO_RHIS_general-principles-2021.pdf", "Healthy-WHO.pdf"):
        [doc] = load_file(shared_data / "pdfs" / name, 200 * 10**6)
        assert doc.pages and doc.text.strip()
        assert isinstance(doc.metadata["pages_without_text"], list)


def test_real_pdfs_ingest_and_answer_with_page_citations(shared_data, tmp_path):
    app = App(load_settings(index_dir=tmp_path / "idx"))
    report = app.ingest([shared_data / "pdfs" / "rr7103a1-H.pdf", shared_data / "pdfs" / "CDC_Outpatient-Guide-508.pdf"])
    assert report.ok, report.failed
    results = app.retriever.search("naloxone offered when opioid overdose risk is increased", k=5).results
    assert results[0].doc_id.startswith("rr7103a1") and results[0].page_start >= 1
