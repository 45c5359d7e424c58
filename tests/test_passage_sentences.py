"""A passage's sentences as the extractive drafter reads them: lists and broken lines joined again (pure)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from rag.passage_sentences import is_whole_sentence_quote, passage_sentences

SICK_DAY = (
    "● In people with type 1 diabetes, when blood glucose is \nhigh, the body produces ketones. Ketones can make \n"
    "you sick. Test your urine or blood for ketones if \n• your blood glucose is above 240 \n"
    "• you can’t keep food or liquids down \n●\t Call your health care provider right away if \n"
    "• you have ketones \n• you throw up more than once \n43"
)


def test_a_lead_in_takes_its_items_and_the_next_list_is_its_own():
    sentences = passage_sentences(SICK_DAY)
    assert "Test your urine or blood for ketones if: your blood glucose is above 240; you can’t keep food or liquids down." in sentences
    assert "Call your health care provider right away if: you have ketones; you throw up more than once." in sentences
    assert not any(s.startswith(("your blood", "you have", "43")) for s in sentences)  # no item, no page number alone


def test_a_sentence_broken_by_a_blank_line_is_joined_again():
    text = "● Keep taking your diabetes medicines. You need\n \nthem even if you can’t keep food down.\n \n● Drink water."
    assert "You need them even if you can’t keep food down." in passage_sentences(text)


def test_items_that_are_sentences_stay_sentences():
    text = "Tips include the following:\n● Check your blood glucose level every 4 hours. Write down the results.\n● Keep taking your medicines."
    sentences = passage_sentences(text)
    assert "Check your blood glucose level every 4 hours." in sentences and "Keep taking your medicines." in sentences
    assert "Tips include the following:" in sentences


def test_numbered_amounts_join_a_colon_lead_in_and_the_paragraph_after_the_list_is_apart():
    text = ("If it is below 70, have one of the following right away:\n● 3 or 4 glucose tablets\n"
            "● 1 tablespoon of sugar or honey\nAfter 15 minutes, check your blood glucose again.")
    sentences = passage_sentences(text)
    assert sentences[0] == "If it is below 70, have one of the following right away: 3 or 4 glucose tablets; 1 tablespoon of sugar or honey."
    assert sentences[1] == "After 15 minutes, check your blood glucose again."


def test_items_of_a_list_without_a_lead_in_do_not_swallow_each_other():
    assert passage_sentences("- Check blood pressure\n- Measure weight") == ["Check blood pressure", "Measure weight"]


def test_joined_sentences_are_quotes_of_their_passage_and_a_changed_one_is_not():
    for sentence in passage_sentences(SICK_DAY):
        assert is_whole_sentence_quote(sentence, SICK_DAY), sentence
    assert not is_whole_sentence_quote("Test your urine or blood for ketones if: your blood glucose is above 250.", SICK_DAY)
    assert not is_whole_sentence_quote("Test your urine or blood for ketones if", SICK_DAY)  # a lead-in cut from its list
    qa = "Q: When do I test for ketones?\nA: Test your urine if \n• your glucose is above 240"
    assert not is_whole_sentence_quote("A: Test your urine if: your glucose is above 240.", qa)


_WORD = st.sampled_from(["blood", "glucose", "Test", "if", "above", "240", "you", "Call", "the", "of", "and", "mg", "Avoid"])
_LINE = st.lists(_WORD, min_size=1, max_size=6).map(" ".join)
_LAYOUT = st.sampled_from(["\n", "\n• ", "\n● ", "\n\n", ". ", "\n1. ", ":\n- ", "\n12\n", "\n\n    "])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_LINE, _LAYOUT), min_size=1, max_size=12))
def test_no_word_is_invented_dropped_out_of_order_or_doubled(parts):
    """The sentences hold the passage's words in order, less list markers and page-foot numbers."""
    text = "".join(line + layout for line, layout in parts)
    out_words = re.findall(r"[A-Za-z0-9]+", " ".join(passage_sentences(text)))
    in_words = re.findall(r"[A-Za-z0-9]+", text)
    it = iter(in_words)
    assert all(word in it for word in out_words)  # a subsequence: nothing invented or reordered
    assert len(out_words) <= len(in_words)


def test_a_heading_takes_no_items_and_no_run_on_line():
    text = "## Practical points\n\n- Use oseltamivir 75 mg twice daily for 5 days in adults.\n- prefer molecular tests."
    assert passage_sentences(text) == ["## Practical points", "Use oseltamivir 75 mg twice daily for 5 days in adults.",
                                       "prefer molecular tests."]


OPIOID_TABLE = """Drugs and Drug Combinations to Avoid

DO NOT USE

    Parenteral opioids in an outpatient setting 

    Meperidine for chronic pain 

Use Is NOT RECOMMENDED

    Carisoprodol (Soma®) 

    Any combination of opioids with benzodiazepines or barbiturates.

Workers should be reassessed every visit."""


def test_a_recommendation_label_takes_the_items_indented_under_it():
    """An item cut off from its "DO NOT USE" label would read as advice for it."""
    assert passage_sentences(OPIOID_TABLE) == [
        "Drugs and Drug Combinations to Avoid",
        "DO NOT USE: Parenteral opioids in an outpatient setting; Meperidine for chronic pain.",
        "Use Is NOT RECOMMENDED: Carisoprodol (Soma®); Any combination of opioids with benzodiazepines or barbiturates.",
        "Workers should be reassessed every visit.",
    ]
    assert is_whole_sentence_quote("DO NOT USE: Parenteral opioids in an outpatient setting; Meperidine for chronic pain.",
                                   OPIOID_TABLE)


def test_indented_lines_under_a_line_that_is_no_label_stay_apart():
    table = "Passive modalities\n\n    Manipulation \n\n    Transcutaneous electrical nerve stimulation (TENS) "
    assert passage_sentences(table) == ["Passive modalities", "Manipulation",
                                        "Transcutaneous electrical nerve stimulation (TENS)"]
