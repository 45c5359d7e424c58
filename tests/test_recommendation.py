"""The recommendation parser, the population reader and the recommendation verdict (pure, fast)."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.clinical_question import clinical_question, drop_irrelevant_attributes
from rag.population import Population, population_fit, question_age, read_population, sentence_ages
from rag.recommendation import AGAINST, FOR, INDIVIDUAL, INSUFFICIENT, parse_recommendation, read_grade
from rag.verdict import recommendation_verdict

# our own sentences in the wording guidelines use (USPSTF, GRADE, VA/DoD, IDSA, CDC, ACC/AHA)
TABLE = [
    ("Grade B: The USPSTF recommends 1-time screening for AAA with ultrasonography in men aged 65 to 75 years who have ever smoked.", FOR, "grade B"),
    ("The USPSTF recommends against screening for thyroid cancer in asymptomatic adults (grade D).", AGAINST, "grade D"),
    ("The USPSTF recommends that clinicians selectively offer screening for colorectal cancer in adults aged 76 to 85 years.", INDIVIDUAL, None),
    ("For men aged 55 to 69 years, the decision to undergo PSA-based screening should be an individual one (grade C).", INDIVIDUAL, "grade C"),
    ("The USPSTF recommends that primary care professionals individualize the decision to offer or refer adults without obesity to behavioral counseling (C recommendation).", INDIVIDUAL, "grade C"),
    ("The USPSTF concludes that the current evidence is insufficient to assess the balance of benefits and harms of screening for oral cancer in adults.", INSUFFICIENT, None),
    ("The Work Group suggests not offering Tai Chi for the treatment of hypertension.", AGAINST, None),
    ("We suggest against the routine use of an inferior vena cava filter in patients treated with anticoagulants (weak recommendation, moderate-certainty evidence).", AGAINST, "weak recommendation, moderate-certainty evidence"),
    ("For patients with VTE, apixaban or rivaroxaban is recommended over a vitamin K antagonist (strong recommendation, moderate-certainty evidence).", FOR, "strong recommendation, moderate-certainty evidence"),
    ("Viscosupplementation is not recommended for hip arthritis.", AGAINST, None),
    ("Diagnostic arthroscopy is not covered.", AGAINST, None),
    ("Do not use meperidine for chronic pain.", AGAINST, None),
    ("Clinicians should prescribe immediate-release opioids instead of extended-release opioids when starting opioid therapy.", FOR, None),
    ("Rifampin is not recommended in patients receiving antiretroviral therapy (A-II).", AGAINST, "A-II"),
    ("Antibiotic therapy should not be delayed in patients with suspected sepsis.", FOR, None),
    ("Lithium should be considered for patients with bipolar disorder who do not have contraindications.", FOR, None),
    ("(Weak Against) There is insufficient evidence to recommend for or against prazosin for nightmares.", INSUFFICIENT, "Weak Against"),
    ("Offer a facemask to patients with respiratory symptoms at check-in.", FOR, None),
    ("The Task Force recommends team-based care to improve blood pressure control.", FOR, None),
    ("Strong Recommendation, Moderate-Quality Evidence: clinicians should treat acute cystitis with nitrofurantoin.", FOR, "Strong Recommendation, Moderate-Quality Evidence"),
]
NOT_RECOMMENDATIONS = [
    "These results suggest that aspirin reduces the risk of recurrence.",
    "The grade D recommendation reflects moderate certainty that starting aspirin has no net benefit.",
    "B The USPSTF recommends the service.",
    "Abdominal aortic aneurysm is usually defined as an infrarenal diameter of 3.0 cm or larger.",
]


@pytest.mark.parametrize("sentence, direction, grade", TABLE)
def test_recommendation_table(sentence, direction, grade):
    rec = parse_recommendation(sentence)
    assert rec is not None, sentence
    assert rec.direction == direction, (sentence, rec.cue)
    assert (rec.grade or None) == grade


@pytest.mark.parametrize("sentence", NOT_RECOMMENDATIONS)
def test_findings_and_scales_are_not_recommendations(sentence):
    assert parse_recommendation(sentence) is None


def test_a_grade_on_the_line_before_counts():
    rec = parse_recommendation("The Work Group recommends offering cognitive behavioral therapy for insomnia.", before="text\n(Strong For)\n")
    assert rec is not None and rec.grade == "Strong For" and rec.strength == "strong"
    after = parse_recommendation("The USPSTF recommends screening for HIV in adolescents and adults aged 15 to 65 years.", after=" (A recommendation)\n")
    assert after is not None and after.grade == "grade A"


_word = st.text(string.ascii_lowercase, min_size=3, max_size=9).filter(lambda w: w not in {"not", "avoid", "should", "offer", "against", "insufficient", "individual", "consider", "provide", "prescribe", "must", "discouraged", "suggest", "support", "supports", "favor", "favors", "advise", "advises", "recommend", "recommends", "never", "selective", "selectively", "contraindicated", "evidence", "refrain", "grade", "decision"})
_phrase = st.lists(_word, min_size=1, max_size=4).map(" ".join)
_body = st.sampled_from(["The USPSTF", "The Work Group", "The panel", "We", "The committee"])


@settings(max_examples=150, deadline=None)
@given(_body, _phrase, _phrase)
def test_against_negation_governs_only_its_verb(body, intervention, group):
    """A negation inside the population clause ("who do not have symptoms") does not turn a recommendation around;
    one on the verb does."""
    assert parse_recommendation(f"{body} recommends {intervention} in {group} who do not have symptoms.").direction == FOR
    assert parse_recommendation(f"{body} recommends against {intervention} in {group}.").direction == AGAINST
    assert parse_recommendation(f"{body} does not recommend {intervention} for {group}.").direction == AGAINST
    assert parse_recommendation(f"{body} suggests not offering {intervention} to {group}.").direction == AGAINST


@settings(max_examples=150, deadline=None)
@given(_phrase, _phrase)
def test_double_negatives_and_not_only(intervention, group):
    assert parse_recommendation(f"Clinicians should not only offer {intervention} but also counsel {group}.").direction == FOR
    assert parse_recommendation(f"{intervention.capitalize()} should not be withheld from {group}.").direction == FOR
    assert parse_recommendation(f"{intervention.capitalize()} should not be used in {group}.").direction == AGAINST


_acronym = st.text(string.ascii_uppercase, min_size=2, max_size=6)


@settings(max_examples=200, deadline=None)
@given(_acronym, _acronym, st.sampled_from("ABCDI"))
def test_grade_letters_next_to_other_capitals(a, b, letter):
    """Capital letters of acronyms (USPSTF, COPD, HIV, "A AAA") never read as a grade; "grade X" and "X recommendation" do."""
    plain = f"The {a} recommends screening for {b} in adults. A {b} test is used."
    assert read_grade(plain)[0] is None
    assert read_grade(f"The {a} recommends screening for {b} (grade {letter}).")[0] == f"grade {letter}"
    assert read_grade(f"{a} {b}: {letter} recommendation")[0] == f"grade {letter}"


# ----------------------------------------------------------------------------------------------- populations
def test_sentence_ages():
    assert sentence_ages("in adults aged 50 to 75 years")[0][0] == (50.0, 75.0)
    assert sentence_ages("in women 75 years or older")[0][0][0] == 75.0
    assert sentence_ages("in women younger than 21 years")[0][0] == (0.0, 20.0)
    assert sentence_ages("children aged 6 to 24 months")[0][0] == (0.5, 2.0)
    assert sentence_ages("give 500 mg for 5 to 7 days") == []


def test_question_ages():
    assert question_age("my dad is 70, does he still need colon cancer checks?") == (70.0, 70.0)
    assert question_age("I'm 10 weeks pregnant. Is a urine culture recommended?") is None
    assert question_age("55 yo F, asx: screening ECG?") == (55.0, 55.0)
    assert question_age("What about adults aged 76 to 85 years?") == (76.0, 85.0)


def test_population_fit_neighbouring_groups():
    asked = read_population("colorectal cancer screening in adults aged 76 to 85", question=True)
    assert population_fit(asked, read_population("screening adults 86 years or older")) < 0
    assert population_fit(asked, read_population("selectively offer screening in adults aged 76 to 85 years")) > 0
    woman_75 = read_population("mammography for women 75 years or older", question=True)
    assert population_fit(woman_75, read_population("biennial screening mammography for women aged 50 to 74 years")) < 0
    smoker = read_population("my dad is 70 and smoked for 30 years", question=True)
    assert population_fit(smoker, read_population("in men aged 65 to 75 years who have never smoked")) < 0
    assert population_fit(smoker, read_population("in men aged 65 to 75 years who have ever smoked")) > 0
    assert population_fit(Population(), read_population("in adults aged 50 to 75 years")) == 0


# ----------------------------------------------------------------------------------------------- lay questions
def test_lay_question_becomes_clinical():
    read = clinical_question("my dad is 70, does he still need colon cancer checks?")
    assert "colorectal" in read.text and "man aged 70 years" in read.text
    assert read.original.startswith("my dad is 70")


def test_attributes_that_do_not_change_a_recommendation_are_dropped():
    text, dropped = drop_irrelevant_attributes("For a Hindu retired farmer with CKD, how soon should potassium be checked?")
    assert "Hindu" not in text and "farmer" not in text and "CKD" in text and dropped
    text, _ = drop_irrelevant_attributes("For an uninsured construction worker with high office readings, is out-of-office measurement recommended?")
    assert "uninsured" not in text and "construction" not in text and "high office readings" in text
    same, dropped = drop_irrelevant_attributes("Should pregnant women be screened for bacteriuria?")
    assert same == "Should pregnant women be screened for bacteriuria?" and dropped == ()


# ----------------------------------------------------------------------------------------------- verdicts
def _verdict(question, sentences, contexts=()):
    asked = read_population(question, question=True)
    return recommendation_verdict(question, asked, sentences, [parse_recommendation(s) for s in sentences], contexts)


def test_verdict_follows_the_recommendation_for_the_asked_population():
    sentences = [
        "The USPSTF recommends screening for colorectal cancer in adults aged 50 to 75 years.",
        "The USPSTF recommends that clinicians selectively offer screening for colorectal cancer in adults aged 76 to 85 years.",
    ]
    assert _verdict("Does the USPSTF recommend colorectal cancer screening in adults aged 60?", sentences).verdict == "yes"
    assert _verdict("Should adults aged 80 get colorectal cancer screening?", sentences).verdict == "it depends"
    other = _verdict("Should adults aged 90 get colorectal cancer screening?", sentences)
    assert other.verdict is None and other.other_groups


def test_against_gives_no_and_asking_against_reads_the_other_way():
    s = ["The USPSTF recommends against screening for COPD in asymptomatic adults."]
    assert _verdict("Does the USPSTF recommend screening asymptomatic adults for COPD?", s).verdict == "no"
    assert _verdict("Does the USPSTF recommend against screening asymptomatic adults for COPD?", s).verdict == "yes"


def test_no_verdict_for_another_intervention_or_a_reversed_comparison():
    s = ["Warfarin is recommended over a direct oral anticoagulant for patients with a mechanical heart valve."]
    assert _verdict("Is a direct oral anticoagulant preferred over warfarin for a mechanical heart valve?", s) is None
    assert _verdict("Does the guideline recommend yoga for low back pain?", s) is None
    assert _verdict("Should X be avoided in a mechanical heart valve?", s) is None  # negative questions go to the reader


def test_a_sentence_that_excludes_the_asked_group_gives_no_verdict():
    s = ["Adults aged 50 years or older with CKD who are not on dialysis should be treated with a statin."]
    assert _verdict("Does KDIGO advise starting a statin in adults on dialysis?", s) is None


def test_insufficient_evidence_answers_does_it_recommend_with_no():
    s = ["The USPSTF concludes that the evidence is insufficient to assess the balance of benefits and harms of e-cigarettes for tobacco cessation in adults."]
    assert _verdict("Does the USPSTF recommend e-cigarettes for tobacco cessation in adults?", s).verdict == "no"
    assert _verdict("Should adults use e-cigarettes for tobacco cessation?", s).verdict == "insufficient evidence"


def test_a_lay_phrase_is_one_topic_unit_met_by_its_clinical_terms():
    from rag.verdict import topic_overlap

    q = "I'm 19 and my friend says I should start getting Pap smears. Do I need to be screened yet?"
    cervical = "Grade D: The USPSTF recommends against screening for cervical cancer in women younger than 21 years."
    thyroid = "Grade D: The USPSTF recommends against screening for thyroid cancer in asymptomatic adults."
    assert topic_overlap(q, cervical) == 1.0  # "friend", "says", "start" are not the topic
    assert topic_overlap(q, thyroid) == 0.0  # "cancer" alone does not make it about Pap smears
    lungs = "I'm 62 and have smoked a pack a day. Should I be getting a yearly scan of my lungs?"
    lcs = "The USPSTF recommends annual screening for lung cancer with LDCT in adults aged 50 to 80 years who smoke."
    assert topic_overlap(lungs, lcs) == 1.0


def test_an_intervention_the_sentence_does_not_name_still_counts_against_it():
    from rag.verdict import unmentioned_terms

    q = "My mom is 70 and her friend says acupuncture helps. Should she get acupuncture for her knee osteoarthritis?"
    s = "Grade B: The guideline recommends exercise for knee osteoarthritis in adults."
    assert unmentioned_terms(q, [s]) == ["acupunctur"]
    assert recommendation_verdict(q, read_population(q, question=True), [s], [parse_recommendation(s)], [""], [s]) is None


def test_a_comparison_asked_the_same_way_round_gets_the_verdict():
    s = ("When starting opioid therapy for chronic pain, clinicians should prescribe immediate-release opioids instead of "
         "extended-release/long-acting (ER/LA) opioids (recommendation category: A, evidence type: 4).")
    same = "When starting opioid therapy for chronic pain, does the guideline recommend immediate-release opioids rather than extended-release ones?"
    reverse = "When starting opioid therapy for chronic pain, does the guideline recommend extended-release opioids rather than immediate-release ones?"
    got = recommendation_verdict(same, read_population(same, question=True), [s], [parse_recommendation(s)])
    assert got is not None and got.verdict == "yes"
    got = recommendation_verdict(reverse, read_population(reverse, question=True), [s], [parse_recommendation(s)])
    assert got is None or got.verdict is None


def test_a_bracketed_va_dod_grade_after_the_sentence_counts():
    from rag.recommendation import recommendation_in_passage

    passage = ("Peer Support\n\nRecommendation\n\n    The care team should facilitate early involvement of a trained peer "
               "visitor. [C] \n\nPerioperative Phase\n")
    rec = recommendation_in_passage("The care team should facilitate early involvement of a trained peer visitor.", passage)
    assert (rec.direction, rec.grade) == (FOR, "[C]")
    assert read_grade("Offer education to the family. [EO]")[0] == "[EO]"


def test_a_negation_inside_a_relative_clause_does_not_make_the_question_negative():
    q = "Should clinicians order PSA-based prostate cancer screening for men aged 55 to 69 who do not express a preference for screening?"
    s = "Clinicians should not screen men who do not express a preference for screening for prostate cancer."
    got = recommendation_verdict(q, read_population(q, question=True), [s], [parse_recommendation(s)])
    assert got is not None and got.verdict == "no"
    negative = "Should clinicians avoid PSA-based screening for men aged 55 to 69?"
    assert recommendation_verdict(negative, read_population(negative, question=True), [s], [parse_recommendation(s)]) is None


def test_weeks_of_pregnancy_are_a_population_constraint():
    q = read_population("I'm 12 weeks pregnant and feel fine. Should I have the sugar test for gestational diabetes now?", question=True)
    before = read_population("The evidence is insufficient for screening for gestational diabetes in pregnant persons before 24 weeks of gestation.")
    after = read_population("The USPSTF recommends screening for gestational diabetes in pregnant persons at 24 weeks of gestation or after.")
    assert q.gestation == (12.0, 12.0) and before.gestation[1] < 24 and after.gestation == (24.0, 42.0)
    assert population_fit(q, before) > 0 and population_fit(q, after) == -1.0
    late = read_population("Should a pregnant woman at 28 weeks be screened for gestational diabetes?", question=True)
    assert population_fit(late, after) > 0 and population_fit(late, before) == -1.0
    assert read_population("Take 2 tablets for 24 weeks.").gestation is None  # weeks outside a pregnancy


def test_a_personal_lay_question_is_restated_as_the_clinical_question():
    assert clinical_question("I'm 47 and feel totally fine. Is it time for me to get checked for colon cancer?").restated == (
        "Is colorectal cancer screening recommended for an adult aged 47 years?")
    assert clinical_question("My dad is 70 and smoked for 30 years. Should he get checked for a bulge in the big artery "
                             "in his belly?").restated.startswith("Is abdominal aortic aneurysm screening ultrasonography recommended for a man aged 70")
    assert clinical_question("What is the amoxicillin dose for acute otitis media?").restated is None  # not personal
    assert clinical_question("I smoke. Is that bad?").restated is None  # no intervention in lay words


def test_a_question_that_asks_for_a_number_prefers_a_sentence_that_states_one():
    from rag.drafting.extractive import quantity_term
    from rag.question_kind import asks_for_quantity

    q = "When an opioid is prescribed for acute pain, how many days' supply will often be enough?"
    assert quantity_term(q, "Three days or less will often be sufficient.") > quantity_term(q, "Prescribe 5 mg at night.") > 0
    assert quantity_term(q, "Clinicians should prescribe the lowest effective dose.") == 0.0
    assert asks_for_quantity("What before-meal blood glucose range is the target?")
    assert not asks_for_quantity("Should adults be screened for HIV?")


def test_symptom_free_wording_and_ultrasound_are_read_as_the_guideline_words():
    from rag.verdict import topic_overlap, unmentioned_terms

    q = "I'm 45, I feel great, no chest pain, and my doctor says my heart risk is low. Should I get a heart tracing (EKG) anyway?"
    s = "Grade D: The USPSTF recommends against screening with resting or exercise ECG to prevent CVD events in asymptomatic adults at low risk of CVD events."
    assert topic_overlap(q, s) >= 0.5 and unmentioned_terms(q, [s]) == []
    dad = "My dad is 70 and smoked for 30 years. Should he get an ultrasound to check for a bulge in the big artery in his belly?"
    aaa = "Grade B: The USPSTF recommends 1-time screening for AAA with ultrasonography in men aged 65 to 75 years who have ever smoked."
    assert unmentioned_terms(dad, [aaa + " Screening for Abdominal Aortic Aneurysm"]) == []


def test_feeling_well_is_never_the_restated_intervention():
    q = "I'm 10 weeks pregnant and feel fine, but my midwife wants to send a urine sample for a culture. Is that recommended?"
    assert clinical_question(q).restated.startswith("Is asymptomatic bacteriuria screening urine culture recommended for a pregnant woman")


# ------------------------------------------------------------------- the question's conditions and intervention
def test_a_condition_the_recommendation_does_not_name_withholds_the_verdict():
    s = ["For patients with AF who are candidates for oral anticoagulation, a direct oral anticoagulant (DOAC) is "
         "recommended in preference to warfarin."]
    q = "Is a direct oral anticoagulant preferred over warfarin for a patient with atrial fibrillation and a mechanical heart valve?"
    got = _verdict(q, s, ["Atrial fibrillation"])
    assert got.verdict is None and got.unmet == "mechanical heart valve"
    plain = "Is a direct oral anticoagulant preferred over warfarin for a patient with atrial fibrillation?"
    assert _verdict(plain, s, ["Atrial fibrillation"]).verdict == "yes"


def test_the_asked_intervention_must_be_named_not_only_the_topic():
    from rag.asked_constraints import asked_interventions, unmet_constraint

    q = "Does the USPSTF recommend e-cigarettes as a method to help adults quit smoking?"
    counselling = ("The USPSTF recommends that clinicians advise adults to stop using tobacco and provide behavioural "
                   "interventions for cessation to nonpregnant adults who use tobacco (grade A).")
    ecig = ("The USPSTF concludes that the evidence is insufficient to assess the balance of benefits and harms of "
            "electronic cigarettes (e-cigarettes) for tobacco cessation in adults (I statement).")
    assert asked_interventions(q) == [frozenset({"cigarett"})]
    assert unmet_constraint(q, counselling, "Tobacco smoking cessation") == "e-cigarettes"
    assert unmet_constraint(q, ecig) is None
    assert unmet_constraint("Is vaping a recommended way to help me quit cigarettes?", ecig) is None  # lay: vaping
    assert _verdict(q, [counselling, ecig]).verdict == "no"  # from the I statement, not the counselling grade A
    assert _verdict("Is vaping a recommended way to help me quit cigarettes?", [counselling, ecig]).verdict == "no"


def test_screening_a_population_is_not_an_intervention_to_name():
    from rag.asked_constraints import asked_conditions, asked_interventions

    for q in ("Does the USPSTF recommend screening pregnant persons for asymptomatic bacteriuria?",
              "Does the USPSTF recommend screening adults 18 years or older for unhealthy alcohol use?",
              "Does the USPSTF recommend 1-time screening for abdominal aortic aneurysm in men aged 65 to 75?"):
        assert asked_interventions(q) == [] and asked_conditions(q) == []
    assert asked_conditions("After caring for a patient with suspected C. difficile, should staff use soap?") == [
        frozenset({"difficil"})]


def test_a_recommendation_for_pregnancy_only_does_not_answer_a_general_question():
    pregnant = ("The USPSTF recommends that clinicians ask all pregnant persons about tobacco use and provide "
                "behavioural interventions for cessation (grade A).")
    got = _verdict("Is behavioural counselling recommended to help adults quit smoking?", [pregnant])
    assert got.verdict is None and got.other_groups
    both = ("The USPSTF recommends behavioural counselling for tobacco cessation in adults, including pregnant "
            "persons (grade A).")
    assert _verdict("Is behavioural counselling recommended to help adults quit smoking?", [both]).verdict == "yes"


def test_before_a_week_of_gestation_and_younger_then_are_ranges():
    gdm = read_population("Does the USPSTF recommend gestational diabetes screening before 24 weeks of gestation?",
                          question=True)
    assert gdm.gestation == (0.0, 23.9)
    s = ["The USPSTF recommends screening for gestational diabetes in asymptomatic pregnant persons at 24 weeks of "
         "gestation or after (grade B).",
         "The USPSTF concludes that the current evidence is insufficient to assess the balance of benefits and harms "
         "of screening for gestational diabetes before 24 weeks of gestation (I statement)."]
    assert _verdict("Does the USPSTF recommend gestational diabetes screening before 24 weeks of gestation?", s).verdict == "no"
    assert question_age("cervical cancer screening for women younger then 21 years?") == (0.0, 20.0)


def test_a_list_item_is_quoted_whole_without_its_marker():
    from rag.passage_sentences import is_whole_sentence_quote

    passage = ("## When not to screen\n\nThe Task Force recommends against several kinds of screening.\n\n"
               "- The USPSTF recommends against screening for cervical cancer in women younger than 21 years (grade D).\n"
               "- The USPSTF recommends against screening in women older than 65 years (grade D).\n")
    claim = "The USPSTF recommends against screening for cervical cancer in women younger than 21 years (grade D)."
    assert is_whole_sentence_quote(claim, passage)
    assert not is_whole_sentence_quote("screening for cervical cancer in women younger than 21 years (grade D).", passage)


def test_a_condition_the_question_rules_out_is_not_met_by_a_sentence_that_has_it():
    from rag.asked_constraints import affirms_what_question_rules_out, negated_terms

    q = ("What grade does the USPSTF give to behavioral counseling on healthful diet for adults without obesity and "
         "without known cardiovascular risk factors?")
    assert {"obes", "risk"} <= negated_terms(q)
    assert affirms_what_question_rules_out(q, "The USPSTF recommends referring adults who are overweight or obese "
                                              "and have CVD risk factors to intensive counseling (grade B).") == "obes"
    assert affirms_what_question_rules_out(q, "The USPSTF recommends individualizing counseling for adults without "
                                              "obesity who do not have CVD risk factors (grade C).") is None
    # the question and the sentence rule out the same thing: not an exclusion of the asked group
    ace = "For adults with microalbuminuria without other apparent cause, initiate ACE inhibitor therapy (Moderate Recommendation)."
    got = _verdict("Should an adult with sickle cell disease and microalbuminuria with no other cause be started on an ACE inhibitor?",
                   [ace], ["Sickle cell disease"])
    assert got is not None and got.verdict == "yes"


def test_a_comparative_evidence_statement_answers_the_same_comparison_only():
    from rag.verdict import comparison_verdict

    s = ("There is good evidence in literature on lateral epicondylitis that, for patients with symptoms lasting 6 months "
         "or more, platelet-rich plasma injections result in better pain and functional outcomes after 1 year than "
         "steroid injections.")
    assert comparison_verdict("Do platelet rich plasma shots do better than steroid shots at 1 year?", s) == "yes"
    assert comparison_verdict("Do steroid shots do better than platelet rich plasma shots at 1 year?", s) is None
    negated = "There is good evidence that platelet-rich plasma injections are not better than steroid injections."
    assert comparison_verdict("Do platelet rich plasma shots do better than steroid shots?", negated) is None
    trial = "Platelet-rich plasma injections resulted in better pain scores than steroid injections."  # not a guideline's evidence statement
    assert comparison_verdict("Do platelet rich plasma shots do better than steroid shots?", trial) is None


def test_an_imperative_after_the_clause_that_names_whom_it_is_for():
    r = parse_recommendation("For adults with microalbuminuria without other apparent cause, initiate ACE inhibitor therapy.")
    assert r is not None and r.direction == FOR and r.cue == "initiate"
    r = parse_recommendation("In people with sickle cell disease, do not use meperidine for pain.")
    assert r is not None and r.direction == AGAINST and r.cue == "do not"
    assert parse_recommendation("For adults with microalbuminuria, the ACE inhibitor lowered protein loss in trials.") is None


def test_steroid_shots_are_injections_not_vaccinations():
    from rag.clinical_question import lay_groups

    assert [sorted(g.clinical) for g in lay_groups("do platelet rich plasma shots do better than steroid shots?")] == [["inject"]]
    assert any("vaccin" in g.clinical for g in lay_groups("Should I get my shots before travelling?"))


def test_an_acronym_says_the_asked_condition_and_wanting_pregnancy_is_not_pregnancy():
    from rag.asked_constraints import unmet_constraint

    q = "Is rifampin recommended for treating latent TB in HIV-infected patients who are receiving antiretroviral therapy?"
    art = "Rifampin is not recommended in HIV infected patients receiving ART for treatment of latent TB or active TB."
    assert unmet_constraint(q, art) is None
    assert _verdict(q, [art]).verdict == "no"
    assert unmet_constraint("Is warfarin preferred for a patient with AF and a mechanical heart valve?",
                            "For patients with atrial fibrillation and a mechanical heart valve, warfarin is recommended.") is None
    assert unmet_constraint("Is warfarin preferred for a patient with AF and a mechanical heart valve?",
                            "For patients with AF, a DOAC is recommended.") == "mechanical heart valve"
    planning = ("For clients who might want to get pregnant in the future and prefer reversible methods of "
                "contraception, providers should present the most effective methods first.")
    got = _verdict("Should providers present the most effective reversible contraception methods first?", [planning])
    assert got is not None and got.verdict == "yes"


def test_a_number_the_question_already_gives_is_no_answer_to_it():
    from rag.drafting.extractive import quantity_term

    q = "After at least 6 weeks of conservative care, how large must a partial-thickness tear be before surgery?"
    assert quantity_term(q, "Conservative care for 6 weeks is required; if no improvement, surgery may be considered.") == 0.0
    assert quantity_term(q, "If tear is >50% of the tendon thickness, may consider surgery.") > 0.0
    assert quantity_term(q, "Conservative care for 6 to 12 weeks is required.") > 0.0  # 12 is new


def test_asking_about_the_course_a_sentence_puts_second_gets_no():
    s = ["The USPSTF recommends that clinicians selectively offer screening for AAA with ultrasonography in men aged 65 to "
         "75 years who have never smoked rather than routinely screening all men in this group."]
    routinely = _verdict("Does the USPSTF recommend routinely screening all men aged 65 to 75 who have never smoked for AAA?", s)
    assert routinely.verdict == "no" and "rather than" in routinely.reason
    assert _verdict("Should men aged 65 to 75 who have never smoked be screened for AAA?", s).verdict == "it depends"


def test_a_recommendation_to_stop_answers_whether_to_continue_with_no():
    s = ["Screening should be discontinued once a person has not smoked for 15 years."]
    context = ["Lung Cancer: Screening"]
    assert _verdict("Should annual lung cancer screening continue once a person has not smoked for 15 years?", s, context).verdict == "no"
    assert _verdict("Should lung cancer screening stop once a person has not smoked for 15 years?", s, context).verdict == "yes"


def test_clinician_shorthand_with_a_bare_verb_asks_yes_or_no():
    from rag.question_kind import is_yes_no_question

    assert is_yes_no_question("67 yo M, never smoker, no sx: screen for AAA w/ US?")
    assert is_yes_no_question("55F, smoker: start statin?")
    assert not is_yes_no_question("How often to screen, every year?")
    assert not is_yes_no_question("What should I do, test or wait?")


def test_sentences_about_the_publication_are_no_answer_candidates():
    from clinrag.records import SearchResult
    from rag.drafting.extractive import candidate_sentences

    text = ("The Clearinghouse encourages users of this booklet to duplicate and distribute as many copies as desired. "
            "Drink half a cup of fruit juice to treat low blood glucose. (Strong For; Reviewed, Amended). This booklet is also available at www.example.gov.")
    assert [s for _, _, s in candidate_sentences(
        [SearchResult("doc-1#c0", "doc-1", "Eating and diabetes", "Low blood glucose", 1, 1, 0, len(text), text, 1.0, 1, 1)])] == ["Drink half a cup of fruit juice to treat low blood glucose."]


def test_a_personal_risk_question_in_everyday_words_gets_the_recommendation_verdict():
    from rag.focus import focus_question

    asked = ("I'm 58 with high cholesterol, and my doctor worked out that my chance of a heart attack or stroke in the next "
             "10 years is about 12%. Should I be taking a statin?")
    statin = ("The USPSTF recommends that clinicians prescribe a statin for the primary prevention of CVD for adults aged 40 "
              "to 75 years who have 1 or more CVD risk factors (ie, dyslipidemia, diabetes, hypertension, or smoking) and an "
              "estimated 10-year CVD risk of 10% or greater.")
    focused = focus_question(asked, 200, True).text
    assert "dyslipidemia" in focused and "cardiovascular disease" in focused  # "high cholesterol", "heart attack or stroke"
    got = recommendation_verdict(focused, read_population(focused, question=True), [statin], [parse_recommendation(statin)],
                                 ["Statin Use for the Primary Prevention of Cardiovascular Disease in Adults"], [statin])
    assert got is not None and got.verdict == "yes"  # "chance" is how the asker says risk, not a topic no passage names


def test_shorthand_setting_words_do_not_dilute_the_topic():
    s = ("The USPSTF recommends that clinicians ask all pregnant persons about tobacco use, advise them to stop using "
         "tobacco, and provide behavioral interventions for cessation to pregnant persons who use tobacco.")
    q = ("28 yo pregnant pt, smokes ~10 cig/day: ask about tobacco, advise quitting + behavioral cessation interventions at "
         "f/u prenatal visits?")
    assert _verdict(q, [s]).verdict == "yes"
    assert _verdict("28 yo pregnant pt, smokes: prescribe varenicline or bupropion?", [s]) is None  # another intervention


def test_a_label_governs_the_items_under_it():
    rec = parse_recommendation("Use Is NOT RECOMMENDED: Carisoprodol (Soma®); Any combination of opioids with benzodiazepines.")
    assert rec is not None and rec.direction == "against" and rec.intervention.startswith("Carisoprodol")
    assert parse_recommendation("Recommended: Supervised exercise therapy; Walking programs.").direction == "for"
    assert parse_recommendation("Iontophoresis: Manipulation; Massage.") is None  # no label: no recommendation


def test_an_issuer_name_or_a_numeral_is_not_the_asker():
    from rag.clinical_question import is_personal

    assert not is_personal("Is carisoprodol okay with opioids under the Washington L&I opioid guideline?")
    assert not is_personal("What does a grade I statement mean for type I diabetes?")
    assert is_personal("I'm 50, should I be screened?") and is_personal("can i take it with my pills")


def test_a_grade_that_opens_the_next_chunk_counts_for_the_paragraph_before_it():
    from rag.recommendation import recommendation_in_passage

    sentence = "The USPSTF recommends that clinicians individualize the decision to offer counseling to adults without obesity."
    passage = f"Recommendation Summary\n\n{sentence} Existing evidence indicates a small benefit."
    assert recommendation_in_passage(sentence, passage, "(C recommendation)\n\nClinical Considerations").grade == "grade C"
    assert recommendation_in_passage(sentence, passage, "").grade is None
    # a grade that opens the next recommendation, a paragraph apart, or one that says another direction does not count
    assert recommendation_in_passage(sentence, passage, "Grade B: The USPSTF recommends screening for obesity.").grade is None
    assert recommendation_in_passage(sentence, passage + "\n\nOther text.", "(C recommendation)").grade is None
    assert recommendation_in_passage(sentence, passage, "(D recommendation)").grade is None


def test_a_question_whether_to_stop_is_answered_by_a_recommendation_to_stop():
    from rag.population import read_population
    from rag.verdict import recommendation_verdict

    q = "Should lung cancer screening be stopped once a person has not smoked for 15 years?"
    stop = "Screening should be discontinued once a person has not smoked for 15 years."
    go_on = "Lung cancer screening should be offered to adults who smoke."
    asked = read_population(q, question=True)
    got = recommendation_verdict(q, asked, [stop], [parse_recommendation(stop)], ["Lung cancer: screening"])
    assert got is not None and got.verdict == "yes"
    other = recommendation_verdict(q, asked, [go_on], [parse_recommendation(go_on)], ["Lung cancer: screening"])
    assert other is None or other.verdict is None  # a recommendation to screen says nothing of when to stop


def test_may_be_given_is_a_weak_recommendation_for():
    rec = parse_recommendation("An inhaled beta2-agonist such as salbutamol may be given for bronchospasm that persists after epinephrine.")
    assert rec.direction == "for" and rec.strength == "weak"


def test_a_question_whether_to_keep_something_for_some_cases_needs_a_sentence_that_reserves_it():
    from rag.population import read_population
    from rag.verdict import recommendation_verdict

    q = "Should imaging be held back unless there are red flags or no response to 4 to 6 weeks of conservative care?"
    reserve = "Imaging should be reserved for patients presenting with specific red flags or non-response to 4 to 6 weeks of conservative care."
    always = "Imaging should be performed for patients with red flags or no response to 4 to 6 weeks of conservative care."
    asked = read_population(q, question=True)
    assert recommendation_verdict(q, asked, [reserve], [parse_recommendation(reserve)]).verdict == "yes"
    other = recommendation_verdict(q, asked, [always], [parse_recommendation(always)])
    assert other is None or other.verdict is None


def test_a_grade_question_is_addressed_only_by_a_sentence_on_its_topic():
    from rag.question_kind import asks_for_grade
    from rag.verdict import addresses_topic

    q = "What USPSTF grade applies to oral cancer screening by primary care clinicians in asymptomatic adults?"
    assert asks_for_grade(q) and asks_for_grade("How strong is the NHLBI recommendation to refer people to an ophthalmologist?")
    assert not asks_for_grade("Does the USPSTF recommend screening for oral cancer?")
    copd = "The USPSTF recommends against screening for chronic obstructive pulmonary disease (COPD) in asymptomatic adults."
    oral = "The USPSTF concludes that the current evidence is insufficient to assess screening for oral cancer in asymptomatic adults."
    assert not addresses_topic(q, [copd], ["Screening for COPD"])
    assert addresses_topic(q, [copd, oral], ["Screening for COPD", "Oral Cancer: Screening"])


def test_an_occupation_used_as_the_person_is_dropped_and_the_word_before_it_kept():
    q = "How often is a Td or Tdap booster recommended for an Asian-American accountant who has already had one Tdap dose?"
    text, dropped = drop_irrelevant_attributes(q)
    assert text == "How often is a Td or Tdap booster recommended for an Asian-American patient who has already had one Tdap dose?"
    assert dropped == ("an Asian-American accountant",)
    assert drop_irrelevant_attributes("What dose for a software engineer with influenza?")[0] == "What dose for a patient with influenza?"
