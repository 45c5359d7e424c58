"""The premise read as a recommendation and set against the guideline's own (rag/premise_contradiction.py)."""

from __future__ import annotations

import pytest

from rag.premise_contradiction import claimed_recommendation, contradiction, prohibited_items

IR_INSTEAD = ("When starting opioid therapy for chronic pain, clinicians should prescribe immediate-release opioids instead "
              "of extended-release/long-acting (ER/LA) opioids (recommendation category: A, evidence type: 4).")
THYROID_I = ("The USPSTF concludes that the current evidence is insufficient to assess the balance of benefits and harms of "
             "screening for thyroid dysfunction in nonpregnant, asymptomatic adults.")
NO_CONTRACTS = ("Recommend against the use of no-suicide contracts as intervention to prevent future suicide in patients "
                "at high acute risk for suicide.")
DO_NOT_USE = ("Drugs and Drug Combinations to Avoid\n\nDO NOT USE\n\n    Parenteral opioids in an outpatient setting \n\n"
              "    Meperidine for chronic pain \n\n    Methadone for acute or break-through pain \n\n"
              "USE WITH CAUTION\n\n    Methadone for chronic pain in opioid-naive patients\n")


def _one(premise: str, sentence: str, passage: str | None = None):
    return contradiction(premise, [(1, 0, sentence)], [passage or sentence])


@pytest.mark.parametrize("premise, sentence, why", [
    ("The CDC 2016 opioid guideline recommends starting chronic pain patients on extended-release/long-acting opioids.",
     IR_INSTEAD, "preference"),
    ("The USPSTF's A-grade recommendation to screen all asymptomatic adults for thyroid dysfunction.", THYROID_I, "direction"),
    ("High-risk patients should sign a no-suicide contract before discharge.", NO_CONTRACTS, "direction"),
    ("The CDC guide allows gloves to be washed and reused between patients when they look clean.",
     "HCP do not wash gloves for the purpose of reuse.", "direction"),
    ("The USPSTF gives routine iron supplementation for all pregnant women a B grade.",
     "The USPSTF concludes that the current evidence is insufficient to assess the balance of benefits and harms of "
     "routine iron supplementation for pregnant women to prevent adverse maternal health and birth outcomes.", "direction"),
])
def test_a_recommendation_the_other_way_contradicts_the_premise(premise, sentence, why):
    found = _one(premise, sentence)
    assert found is not None and found.why == why and found.sentence == sentence


@pytest.mark.parametrize("premise, sentence", [
    # the premise states what the guideline says
    ("The CDC 2016 opioid guideline recommends starting chronic pain patients on immediate-release opioids.", IR_INSTEAD),
    # the contradicting sentence is about another population (pregnant vs nonpregnant)
    ("The USPSTF recommends screening for thyroid dysfunction in pregnant women.", THYROID_I),
    # another intervention altogether
    ("The guideline recommends safety planning for high-risk patients before discharge.", NO_CONTRACTS),
    # "Do not delay" is no prohibition of the premise's act
    ("The guideline recommends giving antibiotics within one hour for sepsis.",
     "Do not delay antibiotics in patients with suspected sepsis."),
])
def test_no_contradiction_without_an_opposing_recommendation_on_the_same_thing(premise, sentence):
    assert _one(premise, sentence) is None


def test_a_premise_that_claims_the_guideline_is_against_something_is_left_to_the_other_checks():
    assert _one("The guideline advises against ACE inhibitors in sickle cell disease.", THYROID_I) is None


def test_items_listed_under_do_not_use_are_prohibited_and_carry_their_heading():
    items = prohibited_items(DO_NOT_USE)
    assert items == ["DO NOT USE: Parenteral opioids in an outpatient setting", "DO NOT USE: Meperidine for chronic pain",
                     "DO NOT USE: Methadone for acute or break-through pain"]
    found = contradiction("The opioid guideline prefers methadone for breakthrough pain.", [], [DO_NOT_USE])
    assert found is not None and found.why == "prohibited" and found.sentence.endswith("break-through pain")
    assert found.recommendation.direction == "against"
    # "use with caution" is not a prohibition
    assert contradiction("The guideline prefers methadone for chronic pain in opioid-naive patients.", [], [DO_NOT_USE]) is None


@pytest.mark.parametrize("premise, direction, grade", [
    ("The guide allows gloves to be reused.", "for", None),
    ("The USPSTF's A-grade recommendation to screen adults for thyroid dysfunction.", "for", "grade A"),
    ("The USPSTF gives statin use a B grade.", "for", "grade B"),
])
def test_claims_read_as_recommendations(premise, direction, grade):
    claimed = claimed_recommendation(premise)
    assert claimed is not None and claimed.direction == direction and claimed.grade == grade
