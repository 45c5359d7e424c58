"""The topic-absent gate (rag/topic_presence.py): a specialist question word that no indexed passage uses."""

from __future__ import annotations

from clinrag.text import content_terms
from rag.topic_presence import absent_topic_words

# a fake index vocabulary (stems, as the index stores them) and a fake frequency table: deterministic, no wordfreq
_LIBRARY = {t for w in ("cystitis", "diabetic", "screening", "treatment", "adults", "recommended", "drug", "first-line",
                        "acetaminophen", "fever", "children") for t in content_terms(w)}
_COMMON = {"teacher", "school", "blood", "stream", "treatment", "first", "recommended", "drug", "driver", "truck",
           "fridge", "toddler", "patients", "schoolteacher", "bloodstream", "should", "women"}
_ENGLISH = _COMMON | {"fibromyalgia", "pemphigus", "vulgaris", "rituximab", "nondiabetic", "tylenol", "sarcoidosis"}


def knows(term: str) -> bool:
    return term in _LIBRARY


def rare(word: str) -> bool:
    return word.lower() not in _COMMON


def unknown(word: str) -> bool:
    return word.lower() not in _ENGLISH


def absent(question: str) -> list[str]:
    return absent_topic_words(question, knows, rare, unknown)


def test_a_specialist_word_the_library_never_uses_is_named():
    assert absent("What is the recommended first-line drug treatment for fibromyalgia?") == ["fibromyalgia"]
    assert absent("What dose of rituximab treats pemphigus vulgaris?") == ["rituximab", "pemphigus", "vulgaris"]


def test_a_word_the_library_uses_or_an_everyday_word_is_never_named():
    assert absent("What is the first-line treatment for cystitis in adults?") == []
    assert absent("Should a truck driver with a toddler keep medicine in the fridge?") == []


def test_misspellings_acronyms_glosses_negated_prefixes_and_compounds_are_never_named():
    assert absent("Is screening recommended for fibromialgya?") == []  # unknown to English: a misspelling
    assert absent("Is HFrEF treatment recommended?") == []  # an acronym written with capitals inside
    assert absent("Can children with fever take Tylenol (acetaminophen)?") == []  # a gloss names the same thing twice
    assert absent("Is screening recommended for nondiabetic adults?") == []  # 'diabetic' is in the library
    assert absent("Should a schoolteacher with a bloodstream infection be treated?") == []  # everyday words run together


def test_each_word_is_named_once_in_question_order():
    assert absent("Does sarcoidosis treatment differ from fibromyalgia or sarcoidosis care?") == ["sarcoidosis", "fibromyalgia"]


def test_an_animal_no_passage_names_is_found_and_one_a_passage_names_or_an_acronym_is_not():
    from rag.topic_presence import absent_animals

    schedule = ["The schedule is organised by age; vaccines are recommended routinely for adults."]
    assert absent_animals("Which vaccination schedule is recommended for dogs travelling abroad?", schedule) == ["dogs"]
    assert absent_animals("What is the PEP schedule after a dog bite?", ["Rabies PEP after bites by dogs or bats."]) == []
    assert absent_animals("A COPD patient has a CAT score of 8: which GOLD group?", schedule) == []
    assert absent_animals("Is the shingles vaccine recommended at 50?", schedule) == []
