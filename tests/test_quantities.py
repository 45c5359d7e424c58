"""The numbers-and-doses check: same quantity in any spelling matches; any change of number or unit does not."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from clinrag.quantities import Quantity, missing_numbers, quantities

# canonical unit -> spellings that must all mean the same unit
UNITS = {
    "mcg": ["µg", "μg", "ug", "mcg", "micrograms"],
    "mg": ["mg", "milligrams"],
    "g": ["g", "grams"],
    "ml": ["mL", "ml", "milliliters"],
    "l": ["L", "liters"],
    "unit": ["units", "IU", "international units"],
    "mmol": ["mmol"],
    "%": ["%", " percent"],
}
PERS = {
    "": [""],
    "kg": ["/kg", " per kg", " per kilogram"],
    "day": ["/day", " per day", " daily", " a day"],
    "dose": ["/dose", " per dose"],
    "hour": ["/h", " per hour"],
}
values = st.one_of(
    st.integers(min_value=1, max_value=5000).map(str),
    st.tuples(st.integers(0, 99), st.integers(1, 9)).map(lambda t: f"{t[0]}.{t[1]}"),
)


def phrase(value: str, unit_spelling: str, per_spelling: str) -> str:
    sep = "" if unit_spelling.startswith(" ") or unit_spelling == "%" else " "
    return f"Give {value}{sep}{unit_spelling.strip() if unit_spelling == ' percent' else unit_spelling}{per_spelling} of the study drug."


@st.composite
def dose(draw):
    unit = draw(st.sampled_from(sorted(UNITS)))
    per = "" if unit == "%" else draw(st.sampled_from(sorted(PERS)))
    return draw(values), unit, per


@settings(max_examples=300, deadline=None)
@given(dose(), st.data())
def test_the_same_quantity_in_any_spelling_matches(d, data):
    value, unit, per = d
    passage = phrase(value, data.draw(st.sampled_from(UNITS[unit])), data.draw(st.sampled_from(PERS[per])))
    claim = phrase(value, data.draw(st.sampled_from(UNITS[unit])), data.draw(st.sampled_from(PERS[per])))
    assert missing_numbers(claim, passage) == [], (claim, passage)


@settings(max_examples=300, deadline=None)
@given(dose(), st.data())
def test_a_changed_number_is_a_mismatch(d, data):
    value, unit, per = d
    other = data.draw(values.filter(lambda v: float(v) != float(value)))
    passage = phrase(value, UNITS[unit][0], PERS[per][0])
    claim = phrase(other, data.draw(st.sampled_from(UNITS[unit])), data.draw(st.sampled_from(PERS[per])))
    assert missing_numbers(claim, passage), (claim, passage)


@settings(max_examples=300, deadline=None)
@given(dose(), st.data())
def test_a_changed_unit_is_a_mismatch(d, data):
    value, unit, per = d
    other = data.draw(st.sampled_from(sorted(u for u in UNITS if u != unit and u != "%")))
    passage = phrase(value, data.draw(st.sampled_from(UNITS[unit])), PERS[per][0] if unit != "%" else "")
    claim = phrase(value, data.draw(st.sampled_from(UNITS[other])), PERS[per][0] if unit != "%" else "")
    assert missing_numbers(claim, passage), (claim, passage)


@settings(max_examples=300, deadline=None)
@given(dose(), st.data())
def test_a_changed_denominator_is_a_mismatch(d, data):
    value, unit, per = d
    if unit == "%":
        unit = "mg"
    other = data.draw(st.sampled_from(sorted(p for p in PERS if p != per and p != "")))
    passage = phrase(value, UNITS[unit][0], data.draw(st.sampled_from(PERS[per])))
    claim = phrase(value, UNITS[unit][0], data.draw(st.sampled_from(PERS[other])))
    assert missing_numbers(claim, passage), (claim, passage)


def test_micrograms_are_not_milligrams():
    assert missing_numbers("Give 500 µg.", "Give 500 mg.") == ["500 mcg"]
    assert missing_numbers("Give 500 mg.", "Give 500 µg.") == ["500 mg"]
    assert missing_numbers("Give 500 mcg.", "Give 500 µg.") == []
    assert missing_numbers("Give 500 ug.", "Give 500 μg.") == []


def test_leaving_out_a_weight_denominator_is_a_mismatch_but_leaving_out_a_frequency_is_not():
    assert missing_numbers("The dose is 10 mg.", "The dose is 10 mg/kg.") == ["10 mg"]
    assert missing_numbers("Give nitrofurantoin 100 mg for 5 days.", "Nitrofurantoin 100 mg twice daily for 5 days.") == []
    assert missing_numbers("Give 100 mg daily.", "Nitrofurantoin 100 mg twice daily.") == ["100 mg/day"]


def test_ranges_lists_and_number_words():
    assert quantities("3 to 6 mg/kg") == [Quantity("3", "mg", ("kg",)), Quantity("6", "mg", ("kg",))]
    assert missing_numbers("3-6 mg/kg", "3 mg/kg to 6 mg/kg of elemental iron") == []
    assert missing_numbers("adults aged 50 to 75 years", "adults between 50 and 75 years of age") == []
    assert missing_numbers("four to five servings of milk", "have 4 to 5 servings of milk each day") == []
    assert missing_numbers("a 5-day course", "treat for 5 days") == []
    assert missing_numbers("below 130/80 mm Hg [2]", "a target below 130/80 mmHg") == []
    assert missing_numbers("at most 3 g per 24 hours", "do not exceed 3 grams per day") == []
    assert missing_numbers("1,000 mg", "1000 mg") == [] and missing_numbers("0.50 mL", "0.5 ml") == []
    assert missing_numbers("1.5 mg", "15 mg") == ["1.5 mg"]
