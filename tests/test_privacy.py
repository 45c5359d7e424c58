"""PHI redaction: recall per identifier kind on the synthetic set, and no clinical number lost (clinrag/privacy/)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from clinrag.privacy import KINDS, find_identifiers, redact, redact_text

DATA = Path(__file__).parent / "data"
NUMBER = re.compile(r"\d[\d,.]*(?:/\d[\d,.]*)?")

# guideline-style sentences full of clinical numbers, eponyms and capitalised terms: nothing here is an identifier
CLINICAL_SENTENCES = [
    "Record 50000IU doses of vitamin D weekly for 8 weeks.",
    "Give amoxicillin 500 mg three times daily for 5 days.",
    "Target blood pressure is below 130/80 mm Hg; stage 1 hypertension is 130-139/80-89 mm Hg.",
    "An 89-year-old woman with an eGFR of 25 mL/min/1.73 m2 and a 67 yo man on warfarin, INR 2.0 to 3.0.",
    "Since 2019 the guideline recommends PCV20; the 2017 ACC/AHA guideline defines stage 2 as 140/90 or higher.",
    "Platelets 150000/uL and WBC 11000/uL; ferritin 12 ng/mL, hemoglobin 9.8 g/dL, MCV 72 fL.",
    "HbA1c 7.5% (58 mmol/mol); heparin 5000 units subcutaneously every 8 hours.",
    "Insulin glargine 10 units at bedtime, titrate by 2 units every 3 days.",
    "Colchicine 1.2 mg then 0.6 mg one hour later; vitamin B12 1000 mcg IM monthly.",
    "A CHA2DS2-VASc score of 2 or more in men; a Wells score above 4 suggests PE.",
    "Patients with Wilson disease, Graves disease, Cushing syndrome or Parkinson's disease.",
    "Stevens-Johnson syndrome occurs with lamotrigine; Bell's palsy is treated with prednisolone 50 mg for 10 days.",
    "The Glasgow Coma Scale score is 8 or less; use the Ottawa ankle rules in adults.",
    "Hodgkin lymphoma in a 34-year-old; Down syndrome screening at 11 to 14 weeks.",
    "MR grade 3 and TR; may 2 tablets be taken together? Dec 5 mg dose.",
    "Take 1/2 tablet on 3/4 of days; he is 45 and takes 2 puffs twice a day.",
    "Adults aged 40 to 74 years should be screened every 2 years; women aged 21 to 29 years every 3 years.",
    "Dosing: 15 mg/kg every 6 hours, max 4 g/day; Tdap at 27 to 36 weeks of gestation; influenza vaccine each October.",
    "Potassium 5.5-6.0 mEq/L is moderate hyperkalemia; correct sodium by 8 mmol/L per 24 h.",
    "CD4 count below 200 cells/mm3; ICD-10 code E11.9; BRCA1 and BRCA2 carriers; PHQ-9 score of 10 or more.",
    "A 1000000 IU dose is never used; doses of 2000-4000 IU daily; the 2019-2020 season vaccine.",
    "Dabigatran 150 mg twice daily if CrCl above 30 mL/min; epinephrine 0.01 mg/kg IM, max 0.5 mg.",
    "The FEV1/FVC ratio below 0.70 confirms COPD; a T-score of -2.5 or lower; lithium 0.6-1.0 mmol/L.",
    "Morphine 90 MME per day or more; 10000 steps a day; sleep 7-9 hours; the NNT is 50 over 5 years.",
    "Patient education is key; the Patient Health Questionnaire (PHQ-9) screens for depression.",
    "I have an irregular heartbeat called AFib; what is MR imaging of bone metastases at 1.5 T and 3 T?",
    "A Black patient with hypertension; Han Chinese, Korean and Thai patients; the Philadelphia chromosome.",
]


def _set():
    return [json.loads(line) for line in (DATA / "phi_questions.jsonl").read_text(encoding="utf-8").splitlines()]


def _covered(text: str, start: int, end: int) -> bool:
    pos = start
    for f in find_identifiers(text):
        if f.start <= pos < f.end:
            pos = f.end
    return pos >= end


def test_the_phi_set_is_large_covers_every_kind_in_every_case_and_is_reproducible():
    from scripts.make_phi_set import build

    records = _set()
    assert len(records) >= 300
    assert records == json.loads(json.dumps(build())), "tests/data/phi_questions.jsonl is stale: run scripts/make_phi_set.py"
    kinds_by_case = {(s["kind"], r["case"]) for r in records for s in r["spans"]}
    assert {(k, c) for k in KINDS for c in ("mixed", "lower", "upper")} <= kinds_by_case
    assert all(len(r["text"]) > 80 and r["text"].count(".") >= 2 for r in records)  # long, multi-sentence messages


def test_recall_is_one_for_every_kind_on_the_phi_set():
    missed: dict[str, list[str]] = {}
    for record in _set():
        if record["hard"]:  # an unlisted name after a weak cue in lower/upper case: a documented limit
            continue
        for span in record["spans"]:
            if not _covered(record["text"], span["start"], span["end"]):
                missed.setdefault(span["kind"], []).append(f"{record['id']}: {record['text'][span['start']:span['end']]!r}")
    assert missed == {}


def test_clinical_numbers_in_the_phi_set_survive_redaction():
    for record in _set():
        redacted = redact_text(record["text"]).text
        for number in record["clinical"]:
            assert number in redacted, (record["id"], number, redacted)


@pytest.mark.parametrize("sentence", CLINICAL_SENTENCES)
def test_guideline_sentences_lose_no_number_and_gain_no_redaction(sentence):
    result = redact_text(sentence)
    assert result.text == sentence, [(f.kind, sentence[f.start:f.end]) for f in result.findings]


def test_no_number_of_the_bundled_guideline_corpus_is_lost():
    from bench.phi_bench import guideline_sentences

    sentences = guideline_sentences()
    assert len(sentences) > 300
    lost = []
    for sentence in sentences:
        missing = Counter(NUMBER.findall(sentence)) - Counter(NUMBER.findall(redact_text(sentence).text))
        if missing:
            lost.append((sentence, list(missing)))
    assert lost == []


def test_hand_written_messages_keep_their_measured_recall():
    from bench.phi_bench import heldout_recall

    found, total, misses = heldout_recall()
    assert total == 60 and found >= 59, misses  # 56/60 when first measured, before fixes; see bench/phi_bench.py


def test_redact_keeps_its_old_interface_and_the_structured_result_names_kinds_only():
    text, n = redact("Mr. John Smith, MRN: 12345678, DOB 01/02/1960, phone 555-123-4567, needs 500 mg amoxicillin.")
    assert "John" not in text and "12345678" not in text and "555-123-4567" not in text and "01/02" not in text
    assert "500 mg amoxicillin" in text and n >= 4
    result = redact_text("Patient Maria Garcia, 92 years old, maria@example.com, lives in Springfield.")
    assert result.kinds == ("AGE", "EMAIL", "LOCATION", "NAME")
    summary = result.summary()
    assert summary == {"redacted": True, "count": 4, "kinds": {"AGE": 1, "EMAIL": 1, "LOCATION": 1, "NAME": 1}}
    assert "Maria" not in json.dumps(summary) and "Maria" not in result.describe()
    assert result.text == "Patient [NAME], [AGE 90+], [EMAIL], lives in [LOCATION]."
    assert redact_text("What is the target blood pressure?").summary() == {"redacted": False, "count": 0, "kinds": {}}


def test_the_year_is_kept_unless_it_reveals_an_age_over_89():
    assert redact("DOB 03/14/1985, admitted March 3, 2021.")[0] == "DOB [DATE]/1985, admitted [DATE], 2021."
    assert redact("born 02/03/1921")[0] == "born [DATE]"
    assert redact("She was born in 1925.")[0] == "She was born in [AGE 90+]."
    assert redact("He was born in 1970.")[0] == "He was born in 1970."


def test_names_are_found_by_context_in_any_case():
    for text, name in [
        ("my name is xiomara quetzalli and i have asthma", "xiomara quetzalli"),
        ("MY NAME IS XIOMARA QUETZALLI AND I HAVE ASTHMA", "XIOMARA QUETZALLI"),
        ("Dr. Oyelaran said to stop", "Oyelaran"),
        ("dr. oyelaran said to stop", "oyelaran"),
        ("patient maria garcia has a cough", "maria garcia"),
        ("Patient Tavish Oyelaran has a cough", "Tavish Oyelaran"),
        ("my mother, brisa vantongeren, lives alone", "brisa vantongeren"),
        ("Garcia, Maria was seen", "Garcia, Maria"),
    ]:
        start = text.index(name)
        assert _covered(text, start, start + len(name)), text


def test_long_adversarial_input_is_scanned_in_bounded_time():
    import time

    for text in ("a." * 2500, "1-" * 2500, "1." * 2500, "A1-" * 1700, "Aa " * 1700, "x@" * 2500):
        started = time.perf_counter()
        redact_text(text)
        assert time.perf_counter() - started < 10, text[:20]  # was 2-4 s on 5000 characters before bounding repeats


# ----------------------------------------------------------------------------- the prose set (scripts/make_phi_prose_set.py)
def _prose_set():
    return [json.loads(line) for line in (DATA / "phi_prose.jsonl").read_text(encoding="utf-8").splitlines()]


def test_the_prose_set_is_reproducible_covers_every_kind_and_is_mostly_lower_case():
    from scripts.make_phi_prose_set import build

    records = _prose_set()
    assert records == json.loads(json.dumps(build())), "tests/data/phi_prose.jsonl is stale: run scripts/make_phi_prose_set.py"
    assert {s["kind"] for r in records for s in r["spans"]} == set(KINDS)
    assert sum(r["case"] == "lower" for r in records) > len(records) / 2
    assert not any(re.search(r"\b[a-z][a-z ]{1,20}:\s", r["text"]) for r in records), "the prose set has no 'Label: value'"


def test_recall_is_one_for_every_kind_on_the_prose_set():
    missed: dict[str, list[str]] = {}
    for record in _prose_set():
        for span in record["spans"]:
            if not _covered(record["text"], span["start"], span["end"]):
                missed.setdefault(span["kind"], []).append(f"{record['id']}: {record['text'][span['start']:span['end']]!r}")
    assert missed == {}


def test_clinical_numbers_in_the_prose_set_survive_redaction():
    for record in _prose_set():
        redacted = redact_text(record["text"]).text
        for number in record["clinical"]:
            assert number in redacted, (record["id"], number, redacted)


@pytest.mark.parametrize("text,identifier,kind", [
    ("John from 62704 asks about statins", "62704", "LOCATION"),
    ("Dr. Smith at 1402 Elm Street Springfield 62704 keeps the notes", "62704", "LOCATION"),
    ("we moved to 94110-2231 in the summer", "94110-2231", "LOCATION"),
    ("our patients come from 60614 and 60657 mostly", "60657", "LOCATION"),
    ("the family near 02139 cannot reach the clinic", "02139", "LOCATION"),
    ("plate 7ABC123 was on the police report", "7ABC123", "VEHICLE"),
    ("his car's plates were xk-4471 that night", "xk-4471", "VEHICLE"),
    ("the plate on her moped reads 4ght221", "4ght221", "VEHICLE"),
    ("the car 1hgcm82633a004352 belongs to her son", "1hgcm82633a004352", "VEHICLE"),
    ("the pump with serial number SN-4471-XK alarms", "SN-4471-XK", "DEVICE"),
    ("her monitor, s/n 7721-9931-aa, failed", "7721-9931-aa", "DEVICE"),
    ("the medicare card shows 1eg4-te5-mk73", "1eg4-te5-mk73", "HEALTH_PLAN"),
])
def test_zip_codes_plates_vins_serials_and_mbis_are_redacted_wherever_they_stand(text, identifier, kind):
    start = text.index(identifier)
    assert _covered(text, start, start + len(identifier)), redact_text(text).text
    assert kind in redact_text(text).kinds


@pytest.mark.parametrize("text", [
    "Her WBC was 11000 and platelets 95000 on the last panel.",
    "The BNP was 12500 pg/mL and the NT-proBNP 35100 on admission.",
    "he walks 10000 steps a day and 12500 participants were enrolled",
    "a platelet count between 12500 and 15000, or from 20500 to 45000",
    "vitamin d 50000 iu weekly; a viral load of 20500 copies; a dose of 12500 units",
    "A 3.5 mm plate at T12; growth plate 2 mm; the cribriform plate; plate 1 of 3.",
    "amoxicillin 500 mg, aged 85, since 2019, LDL 62 mg/dL, 10 weeks pregnant, the 2017 guideline",
    "CPT 99213 and ICD code 12345; reference [12267]; p=0·00010; 13 of 12345 tested",
])
def test_clinical_numbers_are_not_taken_for_zip_codes_or_plates(text):
    result = redact_text(text)
    assert result.text == text, [(f.kind, text[f.start:f.end]) for f in result.findings]
