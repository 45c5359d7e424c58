"""The reader's training pairs (``training/pairs/``): the yes/no rules on recommendation sentences, and builders that
keep a group on one side of the train/heldout split and give the same pairs for the same seed. No shared data."""

from __future__ import annotations

import random

import pytest

from training.corpus import Passage
from training.pairs import (
    CONTRADICTED,
    ENTAILED,
    NO,
    NOT_STATED,
    YES,
    perturbation_examples,
    templated_examples,
    templated_yesno,
    verdict_label,
)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The USPSTF recommends against screening for hepatitis B virus infection in adolescents.",
         [("Does the USPSTF recommend screening for hepatitis B virus infection in adolescents?", NO)]),
        ("Adults aged 50 to 75 years should be screened for colorectal cancer.",
         [("Should adults aged 50 to 75 years be screened for colorectal cancer?", YES)]),
        ("Aspirin is not recommended for primary prevention in adults aged 60 years or older.",
         [("Is aspirin recommended for primary prevention in adults aged 60 years or older?", NO)]),
        ("The USPSTF concludes that the current evidence is insufficient to assess the balance of benefits and harms of "
         "screening for vitamin D deficiency.", [("Does the USPSTF recommend screening for vitamin D deficiency?", NOT_STATED)]),
        ("In adults with asthma, inhaled corticosteroids should be used daily.",
         [("In adults with asthma, should inhaled corticosteroids be used daily?", YES)]),
        ("Is screening useful?", []),
    ],
)
def test_templated_yes_no_questions_follow_the_sentence(sentence, expected):
    assert templated_yesno(sentence) == expected


def test_the_verdict_label_reads_the_polarity_of_sentence_and_question():
    sentence = "Clinicians should not prescribe antibiotics for viral sinusitis."
    assert verdict_label("Should clinicians prescribe antibiotics?", sentence) == NO
    assert verdict_label("Should clinicians avoid antibiotics?", sentence) == YES  # a question against flips it
    assert verdict_label("Should we screen?", "The evidence is insufficient to recommend screening.") == NOT_STATED
    assert verdict_label("Should we screen?", "Screening takes ten minutes.") is None


def _passages() -> list[Passage]:
    texts = {
        "colon": ["Adults aged 50 to 75 years should be screened for colorectal cancer every 10 years with colonoscopy.",
                  "The USPSTF recommends against routine screening for colorectal cancer in adults older than 85 years.",
                  "Colonoscopy allows removal of polyps during the same procedure in most adults."],
        "aspirin": ["Aspirin is not recommended for primary prevention in adults aged 60 years or older.",
                    "Low-dose aspirin of 81 mg daily should be taken by adults after a myocardial infarction.",
                    "Bleeding risk rises with age and with the use of anticoagulant medicines in older adults."],
    }
    return [Passage(doc, doc.title(), f"Recommendations {i}", text, i)
            for doc, items in texts.items() for i, text in enumerate(items)]


def _sides(examples) -> dict[str, set[str]]:
    sides: dict[str, set[str]] = {}
    for e in examples:
        sides.setdefault(e.group, set()).add(e.split)
    return sides


def test_templated_examples_are_seeded_and_keep_a_document_on_one_side():
    first = templated_examples(_passages(), random.Random(0), heldout=0.5)
    assert first == templated_examples(_passages(), random.Random(0), heldout=0.5)
    assert {e.task for e in first} == {"verdict", "relevance"}
    assert all(len(splits) == 1 for splits in _sides(first).values())
    verdicts = {(e.first, e.second): e.label for e in first if e.source == "templated-verdict" and e.second.endswith(".")}
    assert verdicts.get(("Is aspirin recommended for primary prevention in adults aged 60 years or older?",
                         "Aspirin is not recommended for primary prevention in adults aged 60 years or older.")) == NO


def test_perturbed_claims_keep_the_sentence_entailed_and_a_changed_number_contradicted():
    examples = perturbation_examples(_passages(), random.Random(1), 6, "perturb-test", heldout=0.5)
    assert examples == perturbation_examples(_passages(), random.Random(1), 6, "perturb-test", heldout=0.5)
    assert all(len(splits) == 1 for splits in _sides(examples).values())
    verbatim = [e for e in examples if e.source == "perturb-test-verbatim"]
    assert verbatim and all(e.label == ENTAILED and e.first in e.second for e in verbatim)
    contradicted = [e for e in examples if e.source == "perturb-test-contradicted"]
    assert contradicted and all(e.label == CONTRADICTED for e in contradicted)
    assert all(e.first not in {v.first for v in verbatim} for e in contradicted)


def test_the_batch_plan_runs_whole_epochs_then_a_seeded_part_of_one():
    from training.pairs import Example
    from training.train import TrainConfig, batch_plan

    examples = [Example(task, f"q{i}", "p" * (i % 7), i % 2, "test", f"g{i}", "train")
                for task in ("relevance", "verdict") for i in range(40)]
    one = batch_plan(examples, TrainConfig(epochs=1.0, batch_size=8))
    assert sorted(e.first + e.task for b in one for e in b) == sorted(e.first + e.task for e in examples)
    assert all(len({e.task for e in b}) == 1 and len(b) <= 8 for b in one)  # a batch holds one task
    half = batch_plan(examples, TrainConfig(epochs=1.5, batch_size=8))
    assert half[: len(one)] == one and len(half) == len(one) + len(one) // 2
    assert batch_plan(examples, TrainConfig(epochs=1.5, batch_size=8, seed=14)) != half
