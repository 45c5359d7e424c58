from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rag.fusion import weighted_rrf

ids = st.lists(st.sampled_from(list("abcdefghij")), unique=True, max_size=10)


@given(ids, ids)
def test_fusion_contains_exactly_the_union_and_is_sorted(a, b):
    fused = weighted_rrf({"x": a, "y": b}, {"x": 1.0, "y": 1.0})
    assert {i for i, _ in fused} == set(a) | set(b)
    scores = [s for _, s in fused]
    assert scores == sorted(scores, reverse=True)


@given(ids, ids)
def test_fusion_is_symmetric_for_equal_weights(a, b):
    assert dict(weighted_rrf({"x": a, "y": b}, {"x": 1, "y": 1})) == dict(weighted_rrf({"x": b, "y": a}, {"x": 1, "y": 1}))


@given(ids)
def test_single_ranking_order_is_preserved(a):
    assert [i for i, _ in weighted_rrf({"x": a}, {"x": 1.0})] == a


@given(ids, ids)
def test_zero_weight_ignores_a_ranking(a, b):
    assert [i for i, _ in weighted_rrf({"x": a, "y": b}, {"x": 1.0, "y": 0.0})] == a


def test_an_item_ranked_high_by_both_beats_one_ranked_first_by_one():
    fused = weighted_rrf({"bm25": ["a", "b", "c"], "dense": ["b", "c", "a"]}, {"bm25": 1, "dense": 1})
    assert fused[0][0] == "b"


def test_weights_shift_the_winner():
    rankings = {"bm25": ["a", "b"], "dense": ["b", "a"]}
    assert weighted_rrf(rankings, {"bm25": 2.0, "dense": 1.0})[0][0] == "a"
    assert weighted_rrf(rankings, {"bm25": 1.0, "dense": 2.0})[0][0] == "b"
