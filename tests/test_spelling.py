"""Spelling correction of question words against the retrieved passages (rag/spelling.py), pure and fast."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from clinrag.text import STOPWORDS, content_terms
from rag.spelling import (
    correct_spelling,
    osa_distance,
    passage_vocabulary,
    spell_checked,
    unknown_words,
)

PASSAGES = [
    "Grade A: The USPSTF recommends screening for hypertension in adults 18 years or older with office blood pressure.",
    "Grade D: The USPSTF recommends against screening for thyroid cancer in asymptomatic adults.",
    "The USPSTF recommends screening for depression in the adult population, including pregnant and postpartum persons.",
    "Hypotension after the first dose is uncommon.",
]
VOCAB = passage_vocabulary(PASSAGES)


def _index_knows(vocabulary_texts):
    terms = {t for text in vocabulary_texts for t in content_terms(text)}
    return lambda term: term in terms


def test_misspelled_words_are_corrected_to_passage_words():
    fixed = correct_spelling("Is screeening for hypertenshun recomended in pregant women with depresion?",
                             _index_knows(PASSAGES), VOCAB)
    # "recomended" is three edits from "recommends", the nearest passage word: left as written
    assert fixed.text == "Is screening for hypertension recomended in pregnant women with depression?"
    assert ("hypertenshun", "hypertension") in fixed.changes


def test_swapped_letters_count_once():
    assert osa_distance("thyriod", "thyroid", 2) == 1
    assert correct_spelling("thyriod cancer", _index_knows(PASSAGES), VOCAB).text == "thyroid cancer"


def test_a_word_the_index_knows_is_never_changed():
    # "hypotension" is one substitution and one insertion from "hypertension", but the index holds it
    question = "Is hypotension common after the first dose?"
    assert correct_spelling(question, _index_knows(PASSAGES), VOCAB).text == question


def test_prefixes_of_opposite_meaning_are_never_swapped():
    # the index knows neither word's term here, yet hypo- never becomes hyper-
    vocab = passage_vocabulary(["hypertension screening"])
    assert correct_spelling("hypotension screening", lambda term: False, vocab).changes == ()
    assert correct_spelling("postnatal care", lambda term: False, passage_vocabulary(["prenatal care"])).changes == ()


def test_short_words_capitals_and_far_words_stay():
    q = "Is HTNN or the BP oldr than fine? xylophone"
    assert correct_spelling(q, lambda term: False, VOCAB).text == q


def test_capitalised_word_keeps_its_capital():
    assert correct_spelling("Screeening for thyroid cancer?", _index_knows(PASSAGES), VOCAB).text == "Screening for thyroid cancer?"


class _FakeRetriever:
    def __init__(self, texts):
        self.texts = texts
        self.searches = 0

    def knows_term(self, term):
        return term in {t for text in self.texts for t in content_terms(text)}

    def search(self, query, k=None, mode="fused"):
        from clinrag.records import SearchResponse, SearchResult

        self.searches += 1
        results = [SearchResult(f"c{i}", "d", "Title", "", None, None, 0, len(t), t, 1.0, None, None) for i, t in enumerate(self.texts)]
        return SearchResponse(query=query, results=results, top_bm25=1.0, top_dense=1.0)


def test_the_edge_searches_only_when_a_word_is_unknown():
    retriever = _FakeRetriever(PASSAGES)
    assert spell_checked("Is screening for hypertension recommended?", retriever, 5).changes == ()
    assert retriever.searches == 0
    assert spell_checked("Is screening for hypertenshun recommended?", retriever, 5).text == "Is screening for hypertension recommended?"
    assert retriever.searches == 1
    assert unknown_words("hypertenshun in adults", retriever.knows_term) == ["hypertenshun"]


def _brute_osa(a: str, b: str) -> int:
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


words = st.text(alphabet=string.ascii_lowercase[:6], min_size=0, max_size=9)


@settings(max_examples=300, deadline=None)
@given(words, words, st.integers(min_value=0, max_value=4))
def test_osa_distance_with_a_limit_agrees_with_the_full_table(a, b, limit):
    full = _brute_osa(a, b)
    assert osa_distance(a, b, limit) == (full if full <= limit else limit + 1)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(w for w in VOCAB if len(w) >= 6)), st.data())
def test_one_deleted_letter_is_restored_when_unambiguous(word, data):
    i = data.draw(st.integers(min_value=1, max_value=len(word) - 1))
    typo = word[:i] + word[i + 1:]
    if typo in VOCAB or typo in STOPWORDS or not content_terms(typo):
        return  # a word in its own right
    fixed = correct_spelling(typo, lambda term: False, VOCAB)
    # the correction is a passage word one edit away (the nearest one; ties go to the more frequent word)
    assert len(fixed.changes) == 1
    assert fixed.text in VOCAB and osa_distance(typo, fixed.text, 1) == 1
