"""Write the synthetic PHI question set, ``tests/data/phi_questions.jsonl`` (deterministic: fixed seed, no IO but the
output file).

Every one of the 19 identifier kinds of ``clinrag.privacy.KINDS`` (the 18 HIPAA Safe Harbor categories, with ages over
89 apart from dates) appears in at least 16 long, multi-sentence clinical messages, in mixed, lower and upper case.
Each line: ``{"id", "text", "case", "spans": [{"start", "end", "kind"}], "clinical": [numbers that must survive],
"hard": bool}``. ``hard`` marks messages whose name is in none of the detector's name lists and follows only a weak
cue in lower or upper case: a known limit, reported apart by ``bench/phi_bench.py`` and not part of the recall
floor. Every value here is invented (555 phone numbers, documentation-range IPs, example.* domains).

Usage: python scripts/make_phi_set.py [--out tests/data/phi_questions.jsonl] [--check]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

SEED = 20240610
OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "phi_questions.jsonl"
PER_KIND = 16  # messages per kind

# names from the detector's lists (first, last) and invented names in none of them
LISTED = [("Maria", "Garcia"), ("John", "Smith"), ("Aisha", "Khan"), ("Robert", "Nguyen"), ("Linda", "Okafor"),
          ("Carlos", "Hernandez"), ("Emily", "Walsh"), ("Wei", "Chen"), ("Patricia", "Kowalski"), ("James", "Patel"),
          ("Olivia", "Johnson"), ("Ahmed", "Hassan"), ("Sofia", "Rossi"), ("Kevin", "Obrien"), ("Priya", "Sharma"),
          ("Dorothy", "Miller")]
INVENTED = [("Xiomara", "Quetzalli"), ("Tavish", "Oyelaran"), ("Brisa", "Vantongeren"), ("Oren", "Blaustock"),
            ("Yesenia", "Marchetto"), ("Ikaika", "Kealoha"), ("Saoirse", "Dunleavy"), ("Zoltan", "Hegedus")]

CLINICAL = [
    ("She takes metformin 500 mg twice daily and lisinopril 10 mg once a day.", ["500", "10"]),
    ("Her blood pressure last week was 130/80 mm Hg.", ["130/80"]),
    ("He was started on vitamin D 50000IU weekly for 8 weeks.", ["50000IU", "8"]),
    ("Her HbA1c was 7.2% and eGFR 45 mL/min/1.73 m2.", ["7.2", "45", "1.73"]),
    ("He is 67 years old and has had type 2 diabetes since 2015.", ["67", "2", "2015"]),
    ("She weighs 82 kg and her BMI is 31.", ["82", "31"]),
    ("Platelets were 150000 and WBC 11000 on the last panel.", ["150000", "11000"]),
    ("Her potassium is 5.8 mmol/L and sodium 131 mmol/L.", ["5.8", "131"]),
    ("He had a fever of 38.9 C for 3 days.", ["38.9", "3"]),
    ("She is a 45-year-old woman, 28 weeks pregnant.", ["45", "28"]),
    ("The dose was 1000 mg every 8 hours for 5 days.", ["1000", "8", "5"]),
    ("Her LDL is 190 mg/dL despite atorvastatin 80 mg.", ["190", "80"]),
    ("He drinks 3 units of alcohol per day and smoked 20 pack-years until 2019.", ["3", "20", "2019"]),
    ("A 3-year-old child weighing 14 kg got amoxicillin 45 mg/kg/day.", ["3", "14", "45"]),
    ("Creatinine rose from 1.1 to 2.4 mg/dL within 48 hours.", ["1.1", "2.4", "48"]),
    ("She is 89 years old and on apixaban 2.5 mg twice daily.", ["89", "2.5"]),
    ("His heart rate is 112 bpm and respiratory rate 24.", ["112", "24"]),
    ("She received 30 mL/kg of crystalloid in the first 3 hours.", ["30", "3"]),
]
QUESTIONS = [
    "What is the recommended nitrofurantoin regimen for cystitis?",
    "Should the statin dose be increased?",
    "What blood pressure target does the guideline recommend?",
    "Is a second dose of the vaccine needed?",
    "How soon should antibiotics be given in suspected sepsis?",
    "What is the first-line treatment for mild asthma in adults?",
    "When should the anticoagulant be stopped before surgery?",
    "Which opioid dose threshold needs extra caution?",
]

# kind -> list of (template, values) where a template has one or more {slot}s; a slot named like a kind is annotated
# with that kind, {first}/{last}/{full} are name slots (kind NAME). 'weak' templates hold a weak name cue only.
R = random.Random(SEED)


def _digits(n: int) -> str:
    return "".join(R.choice("0123456789") for _ in range(n))


def _letters(n: int) -> str:
    return "".join(R.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(n))


NAME_STRONG = [
    "My name is {full} and I am asking for my own care.",
    "Hello, this is {full} writing from the ward.",
    "I'm caring for Mr. {last}, who was admitted overnight.",
    "Dr. {last} asked me to check the guideline.",
    "Name: {full}.",
    "Our patient, Mrs. {full}, was transferred yesterday.",
    "The referring physician is Dr. {full}.",
    "Thanks, {full}",
    "The patient named {full} refuses the injection.",
]
NAME_WEAK = [
    "Patient {full} has a penicillin allergy.",
    "My daughter {first} has had a cough for two weeks.",
    "I am worried about my husband {first} {last}.",
    "We saw pt {full} in clinic today.",
    "My mother, {full}, lives alone.",
]
NAME_BARE = [  # listed names only: no cue at all
    "{full} was seen in the emergency department.",
    "Can {first} still take ibuprofen with her kidney disease?",
    "The nurse spoke with {last}, {first} about the results.",
]

TEMPLATES: dict[str, list[str]] = {
    "LOCATION": [
        "She lives at {LOCATION_street}.",
        "Please send the letter to {LOCATION_street}, {LOCATION_city}, MA {LOCATION_zip}.",
        "He lives in {LOCATION_city} with his son.",
        "The family moved to {LOCATION_city} last spring.",
        "Our clinic is in {LOCATION_county} and we see many farm workers.",
        "Her zip code is {LOCATION_zip} if that matters for the vaccine program.",
        "Home address: {LOCATION_street}, {LOCATION_unit}.",
        "Mail goes to {LOCATION_pobox}.",
        "The patient is from {LOCATION_city}, TX and travelled here for care.",
    ],
    "DATE": [
        "Her date of birth is {DATE_numeric}.",
        "He was admitted on {DATE_long}.",
        "DOB {DATE_numeric}.",
        "Surgery is scheduled for {DATE_dayfirst}.",
        "She was discharged on {DATE_iso}.",
        "Symptoms started on {DATE_short} and got worse.",
        "The last dose was given {DATE_monthyear}.",
        "His birthday is {DATE_long}.",
    ],
    "AGE": [
        "She is a {AGE_hyphen} woman with heart failure.",
        "My grandfather is {AGE_yo} and very frail.",
        "The patient, aged {AGE_number}, lives in a care home.",
        "He is {AGE_number} and still drives.",
        "A {AGE_words} man fell at home.",
        "Resident is {AGE_number} years old with dementia.",
    ],
    "PHONE": [
        "You can call me at {PHONE_us}.",
        "Her daughter's phone number is {PHONE_us}.",
        "Mobile: {PHONE_intl}.",
        "Call the ward on {PHONE_paren} if needed.",
        "My cell is {PHONE_dotted}.",
        "Text me at {PHONE_plain} after 5.",
    ],
    "FAX": [
        "Please fax the results to {FAX}.",
        "Our fax number is {FAX}.",
        "Fax: {FAX}.",
        "Send the referral by fax to {FAX} today.",
    ],
    "EMAIL": [
        "Email me at {EMAIL}.",
        "Her e-mail is {EMAIL} if you need to reach her.",
        "Contact: {EMAIL}.",
        "Please reply to {EMAIL} with the dosing table.",
    ],
    "SSN": [
        "His SSN is {SSN_dashed}.",
        "Social security number {SSN_spaced} is on the form.",
        "SSN: {SSN_plain}.",
        "The claim lists {SSN_dashed} as her number.",
    ],
    "MRN": [
        "MRN {MRN}.",
        "Medical record number {MRN} for reference.",
        "Her MRN: {MRN}.",
        "Chart number {MRN} in Epic.",
        "Hospital number {MRN}, ward 4.",
        "NHS number {MRN_nhs}.",
    ],
    "HEALTH_PLAN": [
        "Medicare number {HEALTH_PLAN_mbi}.",
        "Her insurance member ID is {HEALTH_PLAN}.",
        "Medicaid ID {HEALTH_PLAN}.",
        "Policy number {HEALTH_PLAN} with the health plan.",
        "Subscriber ID: {HEALTH_PLAN}.",
    ],
    "ACCOUNT": [
        "The billing account number is {ACCOUNT}.",
        "Account #{ACCOUNT} was charged twice.",
        "Acct {ACCOUNT}.",
        "He paid with card {ACCOUNT_card}.",
    ],
    "LICENSE": [
        "Her driver's license number is {LICENSE}.",
        "My DEA number is {LICENSE_dea}.",
        "NPI {LICENSE_npi}.",
        "Nursing license RN {LICENSE_digits} in this state.",
        "Certificate number {LICENSE}.",
    ],
    "VEHICLE": [
        "The car's VIN is {VEHICLE_vin}.",
        "His license plate is {VEHICLE_plate}.",
        "Plate number {VEHICLE_plate} was in the crash report.",
        "VIN: {VEHICLE_vin}.",
    ],
    "DEVICE": [
        "Her pacemaker serial number is {DEVICE}.",
        "Insulin pump S/N {DEVICE}.",
        "Device ID {DEVICE_digits}.",
        "IMEI {DEVICE_imei} of the glucose monitor phone.",
        "The MAC address of his CGM is {DEVICE_mac}.",
        "Serial no. {DEVICE}.",
    ],
    "URL": [
        "My profile is at {URL}.",
        "See {URL} for her records.",
        "I posted the photos on {URL}.",
        "Link: {URL}.",
    ],
    "IP": [
        "The portal logged in from {IP_v4}.",
        "His home IP address is {IP_v4}.",
        "Access came from {IP_v6}.",
        "IP {IP_v4} appears in the audit.",
    ],
    "BIOMETRIC": [
        "Her fingerprint ID is {BIOMETRIC}.",
        "Voiceprint hash {BIOMETRIC_hex}.",
        "Retinal scan template {BIOMETRIC}.",
        "Iris scan code {BIOMETRIC}.",
        "DNA profile number {BIOMETRIC}.",
        "Face ID {BIOMETRIC}.",
    ],
    "PHOTO": [
        "I attached a {PHOTO_phrase} so you can see the swelling.",
        "See {PHOTO_file} for the rash.",
        "Here is a {PHOTO_phrase}.",
        "I uploaded {PHOTO_file} and a {PHOTO_phrase}.",
    ],
    "ID": [
        "Employee ID {ID}.",
        "My student number is {ID_digits}.",
        "Passport number {ID_digits}.",
        "Case number {ID_case}.",
        "Claim number {ID}.",
        "Reference {ID}.",
        "His ID number is {ID_digits}.",
        "Number on the bracelet: {ID_long}.",
    ],
}

STREETS = ["Maple Avenue", "North Oak St", "W. Elm Street", "Harbor View Road", "Cedar Lane", "Sunset Blvd",
           "Old Mill Rd", "Pine Court", "Washington Street", "Lakeshore Drive"]
CITIES_POOL = ["Springfield", "Worcester", "Tulsa", "Fort Collins", "Boston", "Dayton", "Bakersfield", "Akron",
               "Chula Vista", "Providence", "Eugene", "Knoxville"]
COUNTIES = ["Essex County", "Yolo County", "Cook County", "Orange County", "Lancaster County", "Marin County"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
AGE_WORDS = ["ninety-two-year-old", "ninety-five year old", "ninety-year-old", "one hundred year old"]
URLS = ["https://www.facebook.com/maria.lopez.77", "www.example-clinic.org/patients/88213", "instagram.com/jsmith_1980",
        "http://example.com/records?id=4471", "bit.ly/3xYz9Q", "https://portal.example.net/u/kn2291"]
PHOTO_PHRASES = ["full-face photo", "photo of her face", "selfie", "headshot", "passport photo", "picture of my face"]
PHOTO_FILES = ["IMG_4821.JPG", "face_scan_2021.png", "maria_face.jpeg", "DSC00412.jpg", "photo-77.heic"]


def _split(slot: str) -> tuple[str, str]:
    """'HEALTH_PLAN_mbi' -> ('HEALTH_PLAN', 'mbi'); 'DATE' -> ('DATE', '')."""
    kind = "HEALTH_PLAN" if slot.startswith("HEALTH_PLAN") else slot.split("_")[0]
    return kind, slot[len(kind) + 1 :]


def _value(slot: str) -> str:
    kind, sub = _split(slot)
    if kind == "LOCATION":
        return {
            "street": lambda: f"{R.randint(2, 9999)} {R.choice(STREETS)}",
            "city": lambda: R.choice(CITIES_POOL),
            "zip": lambda: f"0{_digits(4)}",
            "county": lambda: R.choice(COUNTIES),
            "unit": lambda: f"Apt {R.randint(1, 40)}{R.choice('ABCD')}",
            "pobox": lambda: f"P.O. Box {R.randint(10, 9999)}",
        }[sub]()
    if kind == "DATE":
        # Safe Harbor keeps the year: it is outside the annotated span («...» marks the span), unless the year shows an
        # age over 89 (born in the 1920s), when the whole date is annotated
        m, d = R.randint(1, 12), R.randint(1, 28)
        y = R.randint(1920, 1929) if R.random() < 0.2 else R.randint(1950, 2023)
        old = y < 1930
        value = {
            "numeric": f"«{m:02d}/{d:02d}»/{y}",
            "long": f"«{MONTHS[m - 1]} {d}», {y}",
            "dayfirst": f"«{d} {MONTHS[m - 1]}» {y}",
            "iso": f"{y}-«{m:02d}-{d:02d}»",
            "short": f"«{m}/{d}»",
            "monthyear": f"«{MONTHS[m - 1]}» {y}",
        }[sub]
        return f"«{value.replace('«', '').replace('»', '')}»" if old else value
    if kind == "AGE":
        n = R.randint(90, 104)
        return {"hyphen": f"{n}-year-old", "yo": f"{n} yo", "number": str(n), "words": R.choice(AGE_WORDS)}[sub]
    if kind in {"PHONE", "FAX"}:
        a, b, c = R.choice(["617", "212", "415", "312", "503"]), "555", f"01{_digits(2)}"
        return {
            "us": f"{a}-{b}-{c}", "intl": f"+1 {a} {b} {c}", "paren": f"({a}) {b}-{c}", "dotted": f"{a}.{b}.{c}",
            "plain": f"{a}{b}{c}", "": R.choice([f"{a}-{b}-{c}", f"({a}) {b}-{c}", f"{a}.{b}.{c}"]),
        }[sub]
    if kind == "EMAIL":
        first, last = R.choice(LISTED + INVENTED)
        return R.choice([f"{first.lower()}.{last.lower()}@example.com", f"{first[0].lower()}{last.lower()}{R.randint(1, 99)}@mail.example.org",
                         f"{last.lower()}_{_digits(3)}@example.co.uk"])
    if kind == "SSN":
        a, b, c = f"9{_digits(2)}", _digits(2), _digits(4)
        return {"dashed": f"{a}-{b}-{c}", "spaced": f"{a} {b} {c}", "plain": f"{a}{b}{c}"}[sub]
    if kind == "MRN":
        return f"{_digits(3)} {_digits(3)} {_digits(4)}" if sub == "nhs" else R.choice(
            [_digits(8), f"A{_digits(7)}", f"{_digits(2)}-{_digits(5)}", f"H{_digits(6)}"])
    if kind == "HEALTH_PLAN":
        if sub == "mbi":
            return f"{R.randint(1, 9)}{_letters(2)}{R.randint(0, 9)}-{_letters(2)}{R.randint(0, 9)}-{_letters(2)}{_digits(2)}"
        return R.choice([f"{_letters(3)}{_digits(9)}", f"BC-{_digits(7)}", f"{_digits(8)}A", f"W{_digits(8)}"])
    if kind == "ACCOUNT":
        if sub == "card":
            return f"4111 {_digits(4)} {_digits(4)} {_digits(4)}"
        return R.choice([_digits(9), f"{_digits(4)}-{_digits(4)}", f"00{_digits(6)}"])
    if kind == "LICENSE":
        return {"dea": f"{_letters(2)}{_digits(7)}", "npi": f"1{_digits(9)}", "digits": _digits(6),
                "": R.choice([f"D{_digits(7)}", f"{_digits(4)}-{_digits(5)}", f"S{_digits(3)}-{_digits(4)}-{_digits(4)}"])}[sub]
    if kind == "VEHICLE":
        if sub == "vin":
            return f"1{_letters(2)}{_digits(1)}{_letters(2)}{_digits(2)}{_letters(1)}{_digits(1)}{_letters(1)}{_digits(6)}"
        return R.choice([f"{R.randint(1, 9)}{_letters(3)}{_digits(3)}", f"{_letters(3)}-{_digits(4)}"])
    if kind == "DEVICE":
        return {
            "digits": f"00{_digits(12)}", "imei": f"35{_digits(13)}",
            "mac": ":".join(f"{R.randint(0, 255):02X}" for _ in range(6)),
            "": R.choice([f"PJN{_digits(6)}H", f"SN-{_digits(5)}-{_letters(2)}", _digits(8)]),
        }[sub]
    if kind == "URL":
        return R.choice(URLS)
    if kind == "IP":
        return f"203.0.113.{R.randint(1, 254)}" if sub == "v4" else R.choice(
            ["2001:db8:85a3::8a2e:370:7334", "2001:db8::1", "fe80::1ff:fe23:4567:890a"])
    if kind == "BIOMETRIC":
        if sub == "hex":
            return "".join(R.choice("0123456789abcdef") for _ in range(24))
        return R.choice([f"FP-{_digits(4)}-{_digits(4)}", f"RS-{_digits(5)}", f"IRX{_digits(5)}", f"{_digits(4)}-{_digits(4)}-ZZ"])
    if kind == "PHOTO":
        return R.choice(PHOTO_PHRASES) if sub == "phrase" else R.choice(PHOTO_FILES)
    if kind == "ID":
        return {"digits": _digits(9), "case": f"{R.randint(2015, 2023)}-CV-{_digits(5)}", "long": _digits(10),
                "": R.choice([f"E-{_digits(6)}", f"CLM{_digits(7)}", f"REF-{_digits(5)}"])}[sub]
    raise KeyError(slot)


def _fill(template: str, name: tuple[str, str]) -> list[tuple[str, str | None]]:
    """Template -> pieces (text, kind or None)."""
    pieces: list[tuple[str, str | None]] = []
    pos = 0
    for m in re.finditer(r"\{(\w+)\}", template):
        pieces.append((template[pos : m.start()], None))
        slot = m.group(1)
        if slot in {"first", "last", "full"}:
            text = {"first": name[0], "last": name[1], "full": f"{name[0]} {name[1]}"}[slot]
            pieces.append((text, "NAME"))
        else:
            value, kind = _value(slot), _split(slot)[0]
            if "«" not in value:
                pieces.append((value, kind))
            else:
                for outside, inside in re.findall(r"([^«]*)«([^»]*)»", value + "«»"):
                    if outside:
                        pieces.append((outside, None))
                    if inside:
                        pieces.append((inside, kind))
        pos = m.end()
    pieces.append((template[pos:], None))
    return pieces


def _message(identifier_sentences: list[list[tuple[str, str | None]]], case: str, index: int) -> dict:
    fillers = R.sample(CLINICAL, R.randint(1, 3))
    sentences: list[list[tuple[str, str | None]]] = [[(f, None)] for f, _ in fillers] + identifier_sentences
    R.shuffle(sentences)
    sentences.append([(R.choice(QUESTIONS), None)])
    text, spans = "", []
    for sentence in sentences:
        for piece, kind in sentence:
            if kind:
                spans.append({"start": len(text), "end": len(text) + len(piece), "kind": kind})
            text += piece
        text += " "
    text = text.strip()
    if case == "lower":
        text = text.lower()
    elif case == "upper":
        text = text.upper()
    clinical = [n for f, numbers in fillers for n in numbers]
    if case != "mixed":
        clinical = [n.lower() if case == "lower" else n.upper() for n in clinical]
    return {"text": text, "case": case, "spans": spans, "clinical": clinical}


def build() -> list[dict]:
    R.seed(SEED)
    cases = ["mixed", "lower", "upper"]
    records = []
    n = 0
    for kind, templates in TEMPLATES.items():
        for i in range(PER_KIND):
            name = LISTED[(n + i) % len(LISTED)]
            sentences = [_fill(templates[i % len(templates)], name)]
            if i % 4 == 3:  # a second identifier of another kind in the same message
                other = R.choice([k for k in TEMPLATES if k != kind])
                sentences.append(_fill(R.choice(TEMPLATES[other]), name))
            record = _message(sentences, cases[i % 3], n)
            record.update(id=f"{kind.lower()}-{i:02d}", hard=False)
            records.append(record)
        n += PER_KIND
    # names: strong cues (listed and invented names), weak cues, no cue (listed names only)
    for i in range(3 * PER_KIND):
        group = ("strong", "weak", "bare")[i % 3]
        invented = group != "bare" and i % 2 == 0
        name = (INVENTED if invented else LISTED)[i % (len(INVENTED) if invented else len(LISTED))]
        template = {"strong": NAME_STRONG, "weak": NAME_WEAK, "bare": NAME_BARE}[group][i % {"strong": 9, "weak": 5, "bare": 3}[group]]
        case = cases[(i // 3) % 3]
        record = _message([_fill(template, name)], case, i)
        record.update(id=f"name-{group}-{i:02d}", hard=invented and group == "weak" and case != "mixed")
        records.append(record)
    return records


def write(path: Path) -> int:
    records = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=True) + "\n" for r in records), encoding="utf-8")
    return len(records)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs from what this script writes")
    args = parser.parse_args(argv)
    if args.check:
        expected = "".join(json.dumps(r, ensure_ascii=True) + "\n" for r in build())
        same = args.out.is_file() and args.out.read_text(encoding="utf-8") == expected
        print("up to date" if same else f"{args.out} differs: run scripts/make_phi_set.py")
        return 0 if same else 1
    n = write(args.out)
    print(f"wrote {n} messages to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
