"""Pure parts of reading: reranking, the verdict decision, the question focus, shorthand, yes/no detection."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rag.focus import expand_shorthand, focus_question, reduce_message
from rag.question_kind import is_yes_no_question
from rag.rerank import rerank_order
from rag.verdict import decide_verdict

probabilities = st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=20)


@settings(max_examples=200, deadline=None)
@given(probabilities, st.floats(min_value=0.0, max_value=2.0))
def test_rerank_is_a_permutation_that_puts_a_clearly_more_relevant_passage_first(relevance, prior):
    order = rerank_order(relevance, prior)
    assert sorted(order) == list(range(len(relevance)))
    best = max(range(len(relevance)), key=lambda i: relevance[i])
    if relevance[best] > 0.99 and all(p < 0.01 for i, p in enumerate(relevance) if i != best) and prior <= 1.0:
        assert order[0] == best


def test_rerank_breaks_ties_by_the_fused_rank():
    assert rerank_order([0.5, 0.5, 0.5], 0.5) == [0, 1, 2]
    assert rerank_order([0.1, 0.9, 0.5], 0.0) == [1, 2, 0]


def test_a_verdict_needs_confidence_and_no_contrary_evidence():
    assert decide_verdict([[0.97, 0.01, 0.02]], 0.9).verdict == "yes"
    assert decide_verdict([[0.02, 0.95, 0.03]], 0.9).verdict == "no"
    uncertain = decide_verdict([[0.6, 0.1, 0.3]], 0.9)
    assert uncertain.verdict is None and "confidence" in uncertain.reason
    both = decide_verdict([[0.95, 0.03, 0.02], [0.04, 0.93, 0.03]], 0.9)
    assert both.verdict is None and "both ways" in both.reason
    assert decide_verdict([], 0.9).verdict is None
    chosen = decide_verdict([[0.2, 0.1, 0.7], [0.96, 0.02, 0.02]], 0.9)
    assert chosen.verdict == "yes" and chosen.evidence == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=6),
       st.floats(min_value=0.5, max_value=0.99))
def test_a_stated_verdict_always_reaches_the_threshold(rows, threshold):
    decision = decide_verdict(rows, threshold)
    if decision.verdict is not None:
        row = rows[decision.evidence]
        assert row[0 if decision.verdict == "yes" else 1] >= threshold


def test_a_long_consumer_message_is_reduced_to_the_question_it_asks():
    message = (
        "Hello doctor, I hope you are well. My mother is 72 and lives alone since my father died last year. "
        "She walks every day and eats well, and she has never smoked. Her last colonoscopy was when she was 62 "
        "and it was normal. Does she still need colon cancer screening at her age? Thank you so much for your help."
    )
    focused = focus_question(message)
    assert focused.reduced and focused.original == message
    assert "colon cancer screening" in focused.text and "Thank you" not in focused.text
    assert len(focused.text) < len(message) / 2
    short = "How long should nitrofurantoin be given for cystitis?"
    assert reduce_message(short) == (short, False)


def test_clinician_shorthand_is_expanded_beside_the_original_words():
    text, found = expand_shorthand("SCD pt on chronic opioids: in-person eval q how many months per NHLBI?")
    assert text.startswith("SCD pt on chronic opioids") and {"patient", "evaluation", "every"} <= set(found)
    assert expand_shorthand("What is the target blood pressure?") == ("What is the target blood pressure?", ())


def test_yes_no_questions_are_told_from_wh_questions():
    assert is_yes_no_question("my dad is 70, does he still need colon cancer checks?")
    assert is_yes_no_question("When starting opioids for chronic pain, does the CDC recommend immediate-release ones?")
    assert is_yes_no_question("Shoud I test for HLA-B*5701 before starting abacavir?")
    assert is_yes_no_question("Is P. gingivalis found in the brain?")
    assert not is_yes_no_question("What strength of recommendation does NHLBI attach to hydroxyurea?")
    assert not is_yes_no_question("How often should HIV viral load be measured?")
    assert not is_yes_no_question("Where is the protein located?")


def test_the_premise_a_question_takes_for_granted_is_extracted():
    from rag.premise import question_premise

    assert question_premise(
        "Since the CDC guideline recommends starting chronic pain patients on extended-release opioids, which one first?"
    ) == "The CDC guideline recommends starting chronic pain patients on extended-release opioids."
    assert question_premise("Why does the USPSTF recommend a Pap test every year for women in their 20s?") == (
        "The USPSTF recommends a Pap test every year for women in their 20s."
    )
    assert question_premise(
        "The VA/DoD guideline says high-risk patients should sign a no-suicide contract. What should it include?"
    ) == "High-risk patients should sign a no-suicide contract."
    assert question_premise("My dad is 72 and says his eyesight is fine. Should his doctor test his vision?") is None
    assert question_premise("As of 2018, which algorithm is used?") is None
    assert question_premise("What is the target blood pressure?") is None


def test_a_study_aim_or_background_decides_no_verdict_and_a_finding_beside_it_still_does():
    from rag.verdict import decide_verdict, states_no_finding

    aim = "OBJECTIVE: To test if secular growth acceleration occurs during fetal life."
    finding = "RESULTS: Birth weight rose by 50 g per decade, most of it after 28 weeks."
    for sentence in (aim, "BACKGROUND: PVL-positive strains suggest the toxin is a key factor.",
                     "The primary aim of this study was to investigate whether duration of treatment mattered.",
                     "We hypothesized that clinical predictors are not adequate.",
                     "It is not known, however, whether affect-regulated exercise improves fitness."):
        assert states_no_finding(sentence), sentence
    for sentence in (finding, "The USPSTF recommends screening for colorectal cancer in adults aged 45 to 49 years (grade B).",
                     "To reduce the risk of falls, exercise is recommended for adults 65 or older."):
        assert not states_no_finding(sentence), sentence
    alone = decide_verdict([[0.95, 0.03, 0.02]], 0.8, [aim])
    assert alone.verdict is None and "set out to do" in alone.reason
    beside = decide_verdict([[0.97, 0.02, 0.01], [0.03, 0.9, 0.07]], 0.8, [aim, finding])
    assert beside.verdict == "no" and beside.evidence == 1  # the aim's confident "yes" neither decides nor conflicts


def test_a_background_sentence_is_no_recommendation_to_decide_a_verdict():
    from rag.stated_verdict import state_verdict
    from clinrag.records import SentenceRecord
    from tests.fakes import LexicalReader

    text = "BACKGROUND: The mortality associated with PVL-positive strains suggest that this toxin is a key marker."
    kept = [SentenceRecord(text=text, markers=[1], citations=[], support=0.9)]
    stated = state_verdict("Is PVL associated with the pathogenesis of bacteraemia?", "Is PVL associated with bacteraemia?",
                           kept, [], LexicalReader(), 0.99)
    assert stated.source != "recommendation" and stated.recommendations == [None]


def test_a_question_that_asks_two_things_is_read_as_two_asks_with_its_scene():
    from rag.question_kind import question_parts

    assert question_parts("What LVEF defines HFrEF, and what LVEF threshold applies for a primary prevention ICD?") == [
        "What LVEF defines HFrEF?", "what LVEF threshold applies for a primary prevention ICD?"]
    scene = "A COPD patient had 2 moderate exacerbations last year."
    assert question_parts(f"{scene} Which GOLD group are they in, and what is the initial treatment?") == [
        f"{scene} Which GOLD group are they in?", f"{scene} what is the initial treatment?"]
    one = "Is low-dose aspirin recommended for adults aged 60 and older who have no heart disease and no diabetes?"
    assert question_parts(one) == [one]
