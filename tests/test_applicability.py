"""Whether a statement applies to the person a question names, read from its scope sentences (rag/applicability.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from rag.applicability import asked_person, scope_sentences, scope_verdict, with_scope_passages

IRON = ("This recommendation applies to children ages 6 to 24 months living in the United States who are asymptomatic "
        "for iron deficiency anemia. It does not apply to children younger than age 6 months or older than 24 months, "
        "children who are severely malnourished, children who were born prematurely or with low birth weight, or "
        "children who have symptoms of iron deficiency anemia.")
OSA = ("This recommendation applies to asymptomatic adults (18 years and older). This recommendation also does not "
       "apply to children, adolescents, or pregnant women.")
SPEECH = ("This recommendation applies only to asymptomatic children whose parents or clinicians do not have specific "
          "concerns about their speech, language, hearing, or development. It does not apply to children whose parents "
          "or clinicians raise those concerns; these children should undergo evaluation and, if needed, treatment.")


def _verdict(question: str, passage: str):
    found = scope_verdict(question, [passage], ["doc"])
    return None if found is None else found.verdict


@pytest.mark.parametrize("question, passage, verdict", [
    ("Does the statement on iron deficiency anemia in young children cover an 18-month-old who was born at term and "
     "has no anemia symptoms?", IRON, "yes"),
    ("Does the iron deficiency statement apply to a 3-year-old?", IRON, "no"),
    ("Does the iron deficiency statement apply to a 4-month-old?", IRON, "no"),
    ("Does the iron deficiency statement cover a 12-month-old born prematurely?", IRON, "no"),
    ("Does the iron deficiency statement cover a 12-month-old who has symptoms of anemia?", IRON, "no"),
    ("Does the statement on obstructive sleep apnea in adults apply to pregnant women?", OSA, "no"),
    ("Does the sleep apnea statement apply to a 15-year-old?", OSA, "no"),
    ("Does the sleep apnea statement apply to a 45-year-old man?", OSA, "yes"),
    # the scope does not say whether a man who snores is asymptomatic: no verdict
    ("Does the sleep apnea statement apply to a 45-year-old man who snores?", OSA, None),
    ("Does the speech and language delay statement apply to a 3-year-old whose parents are worried about her speech?",
     SPEECH, "no"),
    # not an applicability question
    ("Does the USPSTF recommend screening pregnant women for sleep apnea?", OSA, None),
])
def test_the_scope_decides_whether_the_statement_applies(question, passage, verdict):
    assert _verdict(question, passage) == verdict


def test_the_deciding_sentence_is_the_passage_s_own():
    found = scope_verdict("Does the sleep apnea statement apply to pregnant women?", ["Intro.", OSA], ["doc", "doc"])
    assert found.passage == 2 and found.sentence in OSA and found.sentence.startswith("This recommendation also does not")


def test_only_the_first_document_with_scope_sentences_counts():
    other = "This recommendation does not apply to pregnant women."
    assert scope_verdict("Does the sleep apnea statement apply to a 45-year-old man?", [OSA, other], ["osa", "other"]).verdict == "yes"
    assert scope_verdict("Does it apply to pregnant women?", ["Nothing on scope here.", OSA], ["a", "b"]).passage == 2


def test_asked_person_and_scope_sentences():
    assert asked_person("Does the OSA statement apply to pregnant women?") == "pregnant women"
    assert asked_person("Does the guideline cover an 18-month-old?") == "an 18-month-old"
    assert asked_person("Does the guideline cover diagnostic shoulder arthroscopy?") is None
    assert [kind for kind, _ in scope_sentences(OSA)] == ["applies", "excludes"]


@dataclass(frozen=True)
class _Passage:
    chunk_id: str
    doc_id: str
    text: str


def test_scope_passages_of_the_first_document_join_the_shown_evidence():
    shown = [_Passage("a1", "a", "Screening for OSA: I statement."), _Passage("b1", "b", "Other.")]
    evidence = shown + [_Passage("a2", "a", OSA), _Passage("b2", "b", OSA), _Passage("a3", "a", "No scope.")]
    assert [p.chunk_id for p in with_scope_passages("Does it apply to pregnant women?", shown, evidence)] == ["a1", "b1", "a2"]
    assert [p.chunk_id for p in with_scope_passages("Is OSA screening recommended?", shown, evidence)] == ["a1", "b1"]
