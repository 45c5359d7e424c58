"""Metric and scoring functions of eval/ against hand-computed cases."""

from __future__ import annotations

import math

import pytest

from eval import metrics as M
from eval import scoring as S
from eval.suites import stratified_sample, variant_kind

approx = pytest.approx


# ----------------------------------------------------------------------------- retrieval
def test_hit_and_reciprocal_rank():
    ranked = ["a", "b", "c"]
    assert M.hit_at_k(ranked, {"c"}, 1) == 0.0
    assert M.hit_at_k(ranked, {"c"}, 3) == 1.0
    assert M.reciprocal_rank(ranked, {"c"}) == approx(1 / 3)
    assert M.reciprocal_rank(ranked, {"z"}) == 0.0
    assert M.first_hit_rank(ranked, ["b", "c"]) == 2


def test_retrieval_summary_averages_over_questions_with_gold():
    summary = M.retrieval_summary([["x", "g1"], ["g2"], ["y"]], [["g1"], ["g2"], []])
    assert summary["n"] == 2  # the question without gold docs is skipped
    assert summary["recall@1"] == approx(0.5)
    assert summary["recall@5"] == approx(1.0)
    assert summary["recall@10"] == approx(1.0)
    assert summary["mrr"] == approx(0.75)


def test_ndcg_binary_document_level():
    # gold at rank 2: DCG = 1/log2(3), ideal = 1
    assert M.ndcg_at_k(["x", "g"], {"g"}, 10) == approx(1 / math.log2(3))
    # a second gold doc never retrieved still counts in the ideal ranking
    assert M.ndcg_at_k(["x", "g"], {"g", "h"}, 10) == approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    # chunks of the same document collapse to one ranked document
    assert M.ndcg_at_k(["g", "g", "x"], {"g"}, 10) == approx(1.0)
    assert M.ndcg_at_k([], {"g"}, 10) == 0.0
    assert M.ndcg_at_k(["x"] * 3, {"g"}, 10) == 0.0
    # a gold doc ranked below k does not count
    assert M.ndcg_at_k([f"x{i}" for i in range(10)] + ["g"], {"g"}, 10) == 0.0


# ----------------------------------------------------------------------------- selective prediction
def test_ece_by_hand():
    # bin 0.9-1.0: accuracy 0.5 vs confidence 0.9; bin 0.1-0.2: accuracy 0 vs 0.1; each half the items
    assert M.ece([0.9, 0.9, 0.1, 0.1], [1, 0, 0, 0]) == approx(0.5 * 0.4 + 0.5 * 0.1)
    assert M.ece([1.0, 0.0], [1, 0]) == approx(0.0)  # 1.0 falls in the last bin
    assert M.ece([], []) is None


def test_brier_by_hand():
    assert M.brier([1.0, 0.0, 0.5], [1, 1, 0]) == approx((0 + 1 + 0.25) / 3)
    assert M.brier([0.2, 0.4], [0, 0]) == approx((0.04 + 0.16) / 2)  # one class only
    assert M.brier([], []) is None


def test_aurc_by_hand():
    # risks after accepting 1..4 items: 0, 1/2, 1/3, 1/2
    assert M.aurc([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]) == approx((0 + 0.5 + 1 / 3 + 0.5) / 4)
    assert M.aurc([0.9, 0.1], [1, 0]) == approx(0.25)
    # ties enter together, so the order of tied items does not matter
    assert M.aurc([0.5, 0.5], [1, 0]) == approx(0.5) == M.aurc([0.5, 0.5], [0, 1])
    coverage, risk = M.risk_coverage_curve([0.9, 0.5, 0.5], [1, 0, 1])
    assert coverage == approx([1 / 3, 1.0]) and risk == approx([0.0, 1 / 3])
    assert M.aurc([], []) is None


def test_auroc_and_binary_classification():
    assert M.auroc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]) == approx(1.0)
    assert M.auroc([0.9, 0.8], [1, 1]) is None
    result = M.binary_classification([True, False, True, True], [True, False, False, True])
    assert result["confusion_matrix"] == [[1, 1], [0, 2]]
    assert result["balanced_accuracy"] == approx((1.0 + 0.5) / 2)


def test_percentile_mean_and_rounding():
    assert M.percentile([1, 2, 3, 4], 50) == approx(2.5)
    assert M.percentile([], 50) is None
    assert M.mean([]) is None
    assert M.rounded({"a": [1.234567, float("nan")]}, 2) == {"a": [1.23, None]}


# ----------------------------------------------------------------------------- scoring
def test_normalize_answer_removes_markers_and_unifies_dashes():
    assert S.normalize_answer("Give  It [1] now [2, 3].  Mid\u2013outer") == "give it now . mid-outer"


@pytest.mark.parametrize(
    "synonym, text, expected",
    [
        ("130/80", "Aim for a goal below 130/80 mmHg [1].", True),
        ("130/80", "Aim below 1130/80 mmHg.", False),
        ("130/80", "Aim below 130/805 mmHg.", False),
        ("130/80 mmHg", "below 130/80 mmHg.", True),
        ("5", "take 1.5 mg", False),
        ("5", "for 5 days", True),
        ("5 days", "for 5 days.", True),
        ("1", "give it daily [1]", False),  # citation markers are not answer text
        ("0.01 mg/kg", "epinephrine at 0.01 mg/kg IM", True),
        ("0.01 mg/kg", "epinephrine at 10.01 mg/kg", False),
        ("ACE inhibitor", "ACE inhibitors and ARBs", True),
        ("ace", "a face mask", False),
        ("mid-outer thigh", "into the mid\u2013outer thigh", True),
        ("PD-L1 status", "assesses pd-l1 status of tumours", True),
        ("Thiazide", "THIAZIDE diuretics", True),
        ("", "anything", False),
    ],
)
def test_synonym_matching(synonym, text, expected):
    assert S.synonym_in_text(synonym, text) is expected


def test_token_f1_and_rouge_l():
    assert S.token_f1("the cat sat", "the cat ran") == approx(2 / 3)
    assert S.token_f1("", "x") == 0.0
    assert S.token_f1("cat [1]", "cat") == approx(1.0)
    assert S.lcs_length("a b c d".split(), "a c d e".split()) == 3
    assert S.rouge_l("alpha beta gamma delta", "alpha gamma delta epsilon") == approx(0.75)
    assert S.rouge_l("alpha", "zeta") == 0.0


def test_yesno_scoring_uses_verdict_then_first_word():
    q = {"expected_behavior": "answer", "answer_type": "yesno", "gold_answer": "no"}
    assert S.score_question(q, "answer", "Yes. Something [1].", "no").correct is True
    assert S.score_question(q, "answer", "No, it is not advised [1].", None).correct is True
    assert S.score_question(q, "answer", "Yes, it is [1].", None).correct is False


def test_short_list_and_long_scoring():
    short = {"expected_behavior": "answer", "answer_type": "short", "gold_answer": [["10 days", "ten days"]]}
    assert S.score_question(short, "answer", "Treat for ten days [1].", None).correct is True
    assert S.score_question(short, "answer", "Treat for 110 days [1].", None).correct is False
    both = {"expected_behavior": "answer", "answer_type": "short", "gold_answer": [["130 to 139", "130-139"], ["80 to 89"]]}
    assert S.score_question(both, "answer", "Systolic 130–139 or diastolic 80 to 89 mm Hg [1].", None).correct is True
    partial = S.score_question(both, "answer", "Systolic 130-139 mm Hg [1].", None)
    assert partial.correct is False and partial.value == approx(0.5)
    items = {"expected_behavior": "answer", "answer_type": "list", "gold_answer": [["a1"], ["b2"], ["c3"], ["d4"]]}
    half = S.score_question(items, "answer", "a1 and b2 [1]", None)
    assert half.correct is True and half.value == approx(0.5)
    assert S.score_question(items, "answer", "a1 only", None).correct is False
    long = {"expected_behavior": "answer", "answer_type": "long", "reference_answer": "use a direct oral anticoagulant for three months"}
    scored = S.score_question(long, "answer", "Use a direct oral anticoagulant for at least three months [1].", None)
    assert scored.correct is True and scored.detail["token_f1"] > 0.5
    assert S.score_question(long, "answer", "Unrelated words entirely.", None).correct is False
    assert S.ROUGE_L_THRESHOLD == 0.2


def test_decisions_refusals_and_false_premise():
    refuse = {"expected_behavior": "refuse", "answer_type": "short", "gold_answer": None}
    assert S.score_question(refuse, "refuse", "", None).correct is True
    assert S.score_question(refuse, "answer", "Something [1].", None).correct is False
    answerable = {"expected_behavior": "answer", "answer_type": "short", "gold_answer": [["45"]], "category": "screening"}
    assert S.score_question(answerable, "refuse", "", None).correct is False
    premise = dict(answerable, category="false-premise")
    assert S.score_question(premise, "refuse", "", None).correct is True
    unscorable = {"expected_behavior": "answer", "answer_type": "short", "gold_answer": None}
    assert S.score_question(unscorable, "answer", "x", None).correct is None


# ----------------------------------------------------------------------------- sampling and variants
def test_stratified_sample_is_deterministic_and_proportional():
    questions = [{"id": i, "expected_behavior": "answer" if i < 30 else "refuse"} for i in range(40)]
    a = stratified_sample(questions, 8, seed=3)
    assert a == stratified_sample(questions, 8, seed=3)
    assert [q["id"] for q in a] == sorted(q["id"] for q in a)  # file order kept
    assert sum(q["expected_behavior"] == "refuse" for q in a) == 2
    assert len(stratified_sample(questions, 1, seed=0)) == 1
    assert stratified_sample(questions, None) == questions
    assert stratified_sample(questions, 2, seed=0)[1]["expected_behavior"] == "refuse"  # each behaviour present


def test_variant_kind():
    assert variant_kind({"variant_of": "q1", "variant": "lay"}) == "lay"
    assert variant_kind({"variant_of": "q1", "category": "robustness-misspelled"}) == "misspelled"
    assert variant_kind({"variant_of": "q1", "id": "q1-demographic-2"}) == "demographic"
    assert variant_kind({"category": "lay"}) is None  # not a variant without variant_of
    assert variant_kind({"variant_of": "q1", "category": "delayed"}) is None


def test_short_answers_match_across_case_and_hyphens():
    from eval.scoring import synonym_in_text

    assert synonym_in_text("HER-2", "Test the tumour for Her2 status.")
    assert synonym_in_text("Her2", "HER-2 positive disease")
    assert not synonym_in_text("HER-2", "HER-3 positive disease")
