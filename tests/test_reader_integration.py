"""The trained reader and the shipped calibration on a tiny real index (real MiniLM, real reader; marker: model).

Behaviour, not plumbing: a lay question is answered from the right sentence, an out-of-corpus question is
refused, a wrong dose is not supported, verdicts follow the evidence and are withheld when it does not decide.
"""

from __future__ import annotations

import textwrap

import pytest

from clinrag.settings import load_settings
from composition.app import App

pytestmark = pytest.mark.model

DOCS = {
    "cystitis.md": """\
        ---
        doc_id: "uti-demo-2010"
        title: "Acute uncomplicated cystitis in women (demo)"
        issuer: "Demo Society"
        version: "2010"
        ---
        # Acute uncomplicated cystitis in women (demo)

        ## First-line treatment
        Nitrofurantoin monohydrate/macrocrystals 100 mg twice daily for 5 days is an appropriate first-line choice
        for acute uncomplicated cystitis. Trimethoprim-sulfamethoxazole 160/800 mg twice daily for 3 days is an
        alternative when local resistance is below 20%.

        ## Follow-up
        Routine post-treatment urine cultures are not needed in women whose symptoms resolve.
        """,
    "crc.md": """\
        ---
        doc_id: "crc-demo-2021"
        title: "Colorectal cancer screening (demo)"
        issuer: "Demo Task Force"
        version: "2021"
        ---
        # Colorectal cancer screening (demo)

        ## Recommendations
        The task force recommends screening for colorectal cancer in all adults aged 50 to 75 years (grade A).
        The task force recommends screening for colorectal cancer in adults aged 45 to 49 years (grade B).
        For adults aged 76 to 85 years, the decision to screen should be an individual one, taking into account
        overall health and prior screening history (grade C).
        """,
    "asthma.md": """\
        ---
        doc_id: "asthma-demo-2024"
        title: "Asthma management (demo)"
        issuer: "Demo Initiative"
        version: "2024"
        ---
        # Asthma management (demo)

        ## Reliever therapy
        Short-acting beta2-agonist monotherapy is not recommended for adults and adolescents with asthma.
        As-needed low-dose inhaled corticosteroid with formoterol is the preferred reliever.
        """,
}


@pytest.fixture(scope="module")
def reader_app(tmp_path_factory) -> App:
    folder = tmp_path_factory.mktemp("reader-corpus")
    for name, text in DOCS.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    app = App(load_settings(index_dir=tmp_path_factory.mktemp("reader-index")))
    report = app.ingest([folder])
    assert report.ok, report.failed
    return app


def test_a_lay_question_is_answered_with_the_five_day_course(reader_app):
    record = reader_app.answerer("extractive").ask("my wife has a bladder infection, how many days should she take nitrofurantoin?")
    assert record.decision == "answer", record.refusal_reason
    assert "5 days" in record.answer and record.sentences[0].citations[0].startswith("uti-demo-2010")
    assert record.verdict is None  # not a yes/no question


def test_an_out_of_corpus_question_is_refused(reader_app):
    record = reader_app.answerer("extractive").ask("What is the recommended dupilumab dose for moderate atopic dermatitis?")
    assert record.decision == "refuse", record.answer
    assert record.refusal_code in {"topic_not_in_library", "no_relevant_evidence", "evidence_does_not_answer"}


def test_a_microgram_claim_is_not_supported_by_a_milligram_passage(reader_app):
    passage = "Give 500 mg of amoxicillin three times daily for 5 days."
    verifier = reader_app.verifier
    same = verifier.support("Give 500 mg of amoxicillin three times daily for 5 days.", passage)
    micrograms = verifier.support("Give 500 µg of amoxicillin three times daily for 5 days.", passage)
    assert micrograms < 0.1 and micrograms < same
    supported, swapped = reader_app.reader.support("Give 500 mg of amoxicillin three times daily.", [passage])[0], \
        reader_app.reader.support("Give amoxicillin for 5 weeks.", [passage])[0]
    assert supported[0] > swapped[0]  # P(entailed)


def test_verdicts_follow_the_evidence(reader_app):
    answerer = reader_app.answerer("extractive")
    no = answerer.ask("Is short-acting beta2-agonist monotherapy recommended for adults with asthma?")
    assert no.decision == "answer" and no.verdict == "no", (no.verdict, no.verdict_reason, no.answer)
    yes = answerer.ask("Should adults aged 50 to 75 be screened for colorectal cancer?")
    # the recommendation sentence for the asked population decides: for -> yes
    assert yes.decision == "answer" and yes.verdict == "yes", (yes.verdict, yes.verdict_reason, yes.answer)
    assert "all adults aged 50 to 75 years" in yes.sentences[0].text and yes.recommendation["direction"] == "for"
    selective = answerer.ask("Should adults aged 76 to 85 be screened for colorectal cancer?")
    # an individual decision is said as such, never as a plain yes or no
    assert selective.decision == "answer" and selective.verdict == "it depends", (selective.verdict, selective.answer)
    assert selective.answer.startswith("It depends: individual decision.")
    assert any("individual" in s.text or "selectively" in s.text for s in selective.sentences)


def test_the_reader_ranks_the_answering_passage_first(reader_app):
    response = reader_app.search("how long is the nitrofurantoin course for a bladder infection", k=3, mode="reranked")
    top, *rest = response.results
    assert top.doc_id == "uti-demo-2010" and all(top.reader_score > r.reader_score for r in rest)


def test_weights_are_checked_against_their_hash(tmp_path):
    from clinrag.errors import ModelUnavailableError
    from rag.reader import CrossEncoderReader

    settings = load_settings()
    bad = CrossEncoderReader(settings.reader.weights_dir, "0" * 64)
    with pytest.raises(ModelUnavailableError, match="sha256"):
        bad.relevance("q", ["p"])
    missing = CrossEncoderReader(tmp_path, settings.reader.sha256)
    with pytest.raises(ModelUnavailableError, match="not found"):
        missing.relevance("q", ["p"])
