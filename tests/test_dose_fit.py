"""A sentence's dose range against the dose a question names (rag/dose_fit.py), and the verdict that follows."""

from __future__ import annotations

from hypothesis import given, strategies as st

from rag.dose_fit import asked_doses, dose_bounds, dose_fit
from rag.question_kind import asked_part

LOW = ("The USPSTF recommends against daily supplementation with 400 IU or less of vitamin D and 1,000 mg or less of "
       "calcium for the primary prevention of fractures in postmenopausal women.")
HIGH = ("The current evidence is insufficient to assess daily supplementation with doses greater than 400 IU of vitamin D "
        "and greater than 1,000 mg of calcium.")
Q = "I take a small vitamin D pill (400 IU) and a 500 mg calcium tablet every day. Is that recommended?"


def test_the_range_that_holds_the_question_s_dose_fits_and_the_other_does_not():
    assert asked_doses(Q) == {"iu": 400.0, "mg": 500.0}
    assert dose_fit(Q, LOW) == 1
    assert dose_fit(Q, HIGH) == -1
    assert dose_fit("Should I take 2,000 IU of vitamin D a day?", HIGH) == 1
    assert dose_fit("Should I take 2,000 IU of vitamin D a day?", LOW) == -1


def test_plain_amounts_and_other_units_say_nothing():
    assert dose_bounds("Give 81 mg of aspirin daily.") == {}
    assert dose_fit("Is 81 mg of aspirin recommended?", "Give 81 mg of aspirin daily.") == 0
    assert dose_fit("Is 5 ml of syrup enough?", LOW) == 0


@given(st.integers(min_value=1, max_value=5000), st.integers(min_value=1, max_value=5000))
def test_a_dose_is_inside_exactly_one_of_n_or_less_and_greater_than_n(dose, bound):
    q = f"Is {dose} mg recommended?"
    at_most = dose_fit(q, f"Doses of {bound} mg or less are recommended.")
    above = dose_fit(q, f"Doses greater than {bound} mg are not recommended.")
    assert {at_most, above} == {1, -1}
    assert (at_most == 1) == (dose <= bound)


def test_the_focus_suffix_is_not_the_question_but_its_own_parentheses_are():
    assert asked_part(f"{Q} (osteoporosis; women aged 63 years)") == Q
    assert asked_part("Is X recommended? (screening) (boy)") == "Is X recommended?"
    assert asked_part("Is X (a drug) recommended?") == "Is X (a drug) recommended?"


def test_the_verdict_comes_from_the_range_that_holds_the_dose():
    from rag.population import read_population
    from rag.recommendation import parse_recommendation
    from rag.verdict import recommendation_verdict

    question = ("I'm 63 and went through menopause. I was going to take a vitamin D pill (400 IU) and a 500 mg calcium "
                "tablet every day so I don't break a bone. Is that recommended? (fracture prevention; supplementation)")
    sentences = [HIGH, LOW]
    found = recommendation_verdict(question, read_population(question, question=True), sentences,
                                   [parse_recommendation(s) for s in sentences],
                                   ["Vitamin D, calcium, or combined supplementation for the prevention of fractures"] * 2)
    assert found is not None and found.verdict == "no" and found.index == 1
