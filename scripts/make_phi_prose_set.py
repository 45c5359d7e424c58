"""Write the second synthetic PHI set, ``tests/data/phi_prose.jsonl``: identifiers in running prose, written unlike
``scripts/make_phi_set.py`` so that detection tuned on one set is measured on another (deterministic: fixed seed,
no IO but the output file).

What differs from the first set: other templates (no "Label: value" forms; an identifier sits in a sentence the way
a worried relative or a busy nurse writes it: "john from 62704 asks ...", "the plate on his truck reads 8xyz441",
"her pump with serial number sn-4471-xk alarms at night"), other orders (the question first or in the middle,
identifiers before and after clinical sentences), two thirds of the messages in lower case, and clinical sentences
full of numbers that look like identifiers (five-digit lab values and counts, doses, ages under 90, years, lab
values with units), which must survive. Every kind of ``clinrag.privacy.KINDS`` is present; ZIP codes (with and
without a state or a street), licence plates, VINs and device serials have the most templates. Every value is
invented (555 phone numbers, documentation-range IPs, example.* domains, made-up ZIP codes and VINs).

Each line: ``{"id", "text", "case", "spans": [{"start", "end", "kind"}], "clinical": [numbers that must survive],
"hard": false}`` (the schema of the first set, so ``bench/phi_bench.py --set tests/data/phi_prose.jsonl`` scores it).

Usage: python scripts/make_phi_prose_set.py [--out tests/data/phi_prose.jsonl] [--check]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

SEED = 20250214
OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "phi_prose.jsonl"
PER_KIND = 12  # messages per kind (ZIP codes, plates, VINs and serials get more through their own groups)

NAMES = [("maria", "garcia"), ("john", "smith"), ("aisha", "khan"), ("robert", "nguyen"), ("linda", "okafor"),
         ("carlos", "hernandez"), ("emily", "walsh"), ("wei", "chen"), ("patricia", "kowalski"), ("james", "patel")]

# clinical sentences whose numbers must survive redaction (five-digit values on purpose)
CLINICAL = [
    ("her wbc was 12500 and platelets 95000 last week.", ["12500", "95000"]),
    ("he takes 500 mg of metformin twice a day.", ["500"]),
    ("she is 72 and has had diabetes since 2018.", ["72", "2018"]),
    ("his ldl was 62 mg/dl on atorvastatin.", ["62"]),
    ("she is 10 weeks pregnant with her second child.", ["10"]),
    ("vitamin d 50000 iu weekly was started in march.", ["50000"]),
    ("the a1c came back at 7.9% this time.", ["7.9"]),
    ("he walks 10000 steps a day.", ["10000"]),
    ("the bnp was 12500 pg/ml on admission.", ["12500"]),
    ("a bp of 150/95 was measured twice.", ["150/95"]),
    ("her egfr dropped to 38 in 2023.", ["38", "2023"]),
    ("he weighs 88 kg and is 89 years old.", ["88", "89"]),
    ("she had 2 doses of the vaccine in 2021.", ["2", "2021"]),
    ("his viral load was 20500 copies per ml.", ["20500"]),
    ("the platelet count fell from 180000 to 45000 over 3 days.", ["180000", "45000", "3"]),
    ("about 25000 adults in the trial took 81 mg aspirin.", ["25000", "81"]),
    ("he was 67 when the stent went in back in 2015.", ["67", "2015"]),
    ("her ferritin is 15 ng/ml and hemoglobin 9.1 g/dl.", ["15", "9.1"]),
]
QUESTIONS = [
    "is it safe to keep taking the statin?",
    "how long should the antibiotic course last?",
    "what blood pressure should we aim for?",
    "does she need a second dose of the vaccine?",
    "when should the anticoagulant be stopped before surgery?",
    "what is the first-line treatment for her asthma?",
    "should the metformin dose change with her kidney function?",
    "which screening test is recommended at this age?",
]

# kind -> prose templates; {slot}s are filled by _value (a slot named like a kind is annotated with that kind) and
# {first}/{last}/{full} are names (kind NAME)
TEMPLATES: dict[str, list[str]] = {
    "NAME": [
        "i'm asking on behalf of {full}, who lives next door.",
        "{full} came in this morning with a rash on both arms.",
        "we saw {full} twice last month about the cough.",
        "it's for my aunt {first}, she has had diabetes for years.",
        "this message is from {full} on the ward.",
        "the pharmacist rang about {full} and the new inhaler.",
    ],
    "LOCATION": [
        "{first} from {LOCATION_zip} asks about statins.",
        "we are up in {LOCATION_zip} and the nearest pharmacy is closed.",
        "she just moved to the {LOCATION_zip} area with her son.",
        "he drives in from {LOCATION_zip4} every week for dialysis.",
        "mail the leaflet to {LOCATION_street} {LOCATION_city} {LOCATION_zip} please.",
        "dr. {last} at {LOCATION_street} {LOCATION_city} {LOCATION_zip} referred her.",
        "the clinic near {LOCATION_zip} ran out of the vaccine.",
        "her house on {LOCATION_street} flooded in the storm.",
        "they live in {LOCATION_city}, {LOCATION_state} {LOCATION_zip4} now.",
        "our patients come from {LOCATION_zip} and {LOCATION_zip} mostly.",
    ],
    "DATE": [
        "she was born {DATE_md_year}.",
        "the fall happened on {DATE_slash} this year.",
        "his surgery went ahead on {DATE_dm}.",
        "we last saw him {DATE_md}.",
    ],
    "AGE": [
        "my grandmother turned {AGE_n} in the spring.",
        "he is {AGE_n} now and lives alone.",
        "my {AGE_n} year old mother keeps falling.",
        "a {AGE_n}-year-old neighbour asked me this.",
    ],
    "PHONE": [
        "ring me back on {PHONE} when you can.",
        "{PHONE} is the best number to reach her.",
        "her cell {PHONE} goes straight to voicemail.",
    ],
    "FAX": [
        "can you fax the form over to {FAX} today?",
        "the surgery's fax line is {FAX} if email fails.",
    ],
    "EMAIL": [
        "send the summary to {EMAIL} when you can.",
        "{EMAIL} is the address her daughter checks.",
    ],
    "SSN": [
        "she read out {SSN} as her social security number.",
        "his social is {SSN} according to the intake sheet.",
    ],
    "MRN": [
        "her chart at st mary's is filed under {MRN}.",
        "the mrn on his wristband reads {MRN}.",
    ],
    "HEALTH_PLAN": [
        "her medicare card shows {HEALTH_PLAN_mbi} on the front.",
        "he is covered by his union plan, member id {HEALTH_PLAN}.",
    ],
    "ACCOUNT": [
        "the bill for account {ACCOUNT} came twice.",
        "she paid the copay with the card {ACCOUNT_card}.",
    ],
    "LICENSE": [
        "my dea is {LICENSE_dea} if the pharmacy asks.",
        "the locum gave npi {LICENSE_npi} on the letter.",
    ],
    "VEHICLE": [
        "the crew noted plate {VEHICLE_plate} on the car that hit him.",
        "his truck, plate {VEHICLE_plate}, is still in the car park.",
        "a van with plates {VEHICLE_plate2} blocked the ambulance bay.",
        "the plate on her scooter reads {VEHICLE_plate}.",
        "the tow slip lists {VEHICLE_vin} for the car he crashed.",
        "the vin of the car was {VEHICLE_vin} according to police.",
        "police traced the car by its vin {VEHICLE_vin} after the crash.",
    ],
    "DEVICE": [
        "her pump with serial number {DEVICE_sn} alarms at night.",
        "the pacemaker, serial {DEVICE_pm}, was interrogated on friday.",
        "his cgm sensor (serial {DEVICE_sn}) fell off in the shower.",
        "the glucometer with s/n {DEVICE_pm} shows an error code.",
        "the imei of the monitor phone is {DEVICE_imei}.",
        "the defibrillator serial number is {DEVICE_sn} on the card.",
    ],
    "URL": [
        "her blog at {URL} describes the rash.",
        "he posted the readings on {URL} for me.",
    ],
    "IP": [
        "the portal login came from {IP}.",
        "someone at {IP} opened her record.",
    ],
    "BIOMETRIC": [
        "her fingerprint template {BIOMETRIC} is kept by the clinic.",
        "the voiceprint id {BIOMETRIC} was used to log in.",
    ],
    "PHOTO": [
        "i took a selfie to show the swelling.",
        "attached is {PHOTO_file} of the wound.",
    ],
    "ID": [
        "his passport {ID} is with the embassy.",
        "the case is filed under {ID_case} at the court.",
        "her employee number is {ID} at the plant.",
    ],
}
# templates whose text is the identifier itself (no slot)
NO_SLOT = {"i took a selfie to show the swelling.": ("selfie", "PHOTO")}

STREETS = ["1402 elm street", "77 harbor road", "230 w. maple ave", "9 cedar lane", "4120 old mill rd", "15 pine court"]
CITIES = ["springfield", "worcester", "tulsa", "dayton", "akron", "knoxville", "bakersfield", "providence"]
STATES = ["il", "ma", "ok", "oh", "tn", "ca", "ri"]
MONTHS = ["january", "february", "march", "april", "june", "july", "august", "september", "october", "november",
          "december"]
URLS = ["www.example-blog.org/rash-diary", "https://photos.example.net/u/77812", "example.com/readings/4471"]
PHOTO_FILES = ["img_2231.jpg", "wound-left-leg.png", "photo_0091.heic"]
R = random.Random(SEED)


def _digits(n: int) -> str:
    return "".join(R.choice("0123456789") for _ in range(n))


def _letters(n: int) -> str:
    return "".join(R.choice("abcdefghjklmnprstuvwxyz") for _ in range(n))


def _zip() -> str:
    # invented five-digit codes that are not round thousands (those are read as counts)
    while True:
        code = f"{R.randint(1, 9)}{_digits(4)}"
        if not code.endswith("000"):
            return code


def _vin() -> str:
    alphabet = "abcdefghjklmnprstuvwxyz0123456789"
    body = "".join(R.choice(alphabet) for _ in range(15))
    return f"{R.randint(1, 5)}{body}{R.randint(0, 9)}"


def _value(slot: str) -> str:
    kind = "HEALTH_PLAN" if slot.startswith("HEALTH_PLAN") else slot.split("_")[0]
    sub = slot[len(kind) + 1 :]
    if kind == "LOCATION":
        return {
            "zip": _zip, "zip4": lambda: f"{_zip()}-{_digits(4)}", "street": lambda: R.choice(STREETS),
            "city": lambda: R.choice(CITIES), "state": lambda: R.choice(STATES),
        }[sub]()
    if kind == "DATE":
        # Safe Harbor keeps the year: the annotated span leaves it out («...» marks the span)
        m, d, y = R.randint(1, 11), R.randint(1, 28), R.randint(1950, 2023)
        return {"md_year": f"«{MONTHS[m - 1]} {d}» {y}", "slash": f"«{m}/{d}»", "dm": f"«{d} {MONTHS[m - 1]}»",
                "md": f"«{MONTHS[m - 1]} {d}»"}[sub]
    if kind == "AGE":
        return str(R.randint(90, 103))
    if kind in {"PHONE", "FAX"}:
        a, c = R.choice(["617", "212", "415", "312", "503"]), f"01{_digits(2)}"
        return R.choice([f"{a} 555 {c}", f"({a})555-{c}", f"{a}.555.{c}", f"+1 {a} 555 {c}"])
    if kind == "EMAIL":
        first, last = R.choice(NAMES)
        return R.choice([f"{first}.{last}@example.com", f"{first[0]}{last}{R.randint(1, 99)}@mail.example.org"])
    if kind == "SSN":
        return R.choice([f"9{_digits(2)}-{_digits(2)}-{_digits(4)}", f"9{_digits(2)} {_digits(2)} {_digits(4)}"])
    if kind == "MRN":
        return R.choice([_digits(8), f"{_digits(2)}-{_digits(6)}"])
    if kind == "HEALTH_PLAN":
        if sub == "mbi":
            # the real format: letters other than s, l, o, i, b, z in the letter positions
            mbi = "".join(R.choice("acdefghjkmnpqrtuvwxy") for _ in range(5))
            return f"{R.randint(1, 9)}{mbi[0]}{R.randint(0, 9)}{R.randint(0, 9)}-{mbi[1]}{R.randint(0, 9)}{R.randint(0, 9)}-{mbi[2:4]}{_digits(2)}"
        return R.choice([f"{_letters(3)}{_digits(9)}", f"w{_digits(8)}"])
    if kind == "ACCOUNT":
        return f"4111 {_digits(4)} {_digits(4)} {_digits(4)}" if sub == "card" else R.choice([_digits(9), f"{_digits(4)}-{_digits(5)}"])
    if kind == "LICENSE":
        return f"{_letters(2)}{_digits(7)}" if sub == "dea" else f"1{_digits(9)}"
    if kind == "VEHICLE":
        if sub == "vin":
            return _vin()
        if sub == "plate2":
            return R.choice([f"{_letters(3)} {_digits(4)}", f"{_letters(3)}-{_digits(3)}"])
        return R.choice([f"{R.randint(1, 9)}{_letters(3)}{_digits(3)}", f"{_letters(2)}{_digits(2)}{_letters(3)}"])
    if kind == "DEVICE":
        if sub == "imei":
            return f"35{_digits(13)}"
        if sub == "pm":
            return R.choice([f"pjn{_digits(6)}h", f"{_letters(3)}{_digits(6)}"])
        return R.choice([f"sn-{_digits(4)}-{_letters(2)}", f"g7x-{_digits(4)}{_letters(2)}", f"{_digits(4)}-{_digits(4)}-{_letters(2)}"])
    if kind == "URL":
        return R.choice(URLS)
    if kind == "IP":
        return R.choice([f"198.51.100.{R.randint(1, 254)}", f"203.0.113.{R.randint(1, 254)}", "2001:db8::7334"])
    if kind == "BIOMETRIC":
        return R.choice([f"fp-{_digits(4)}-{_digits(4)}", f"vp{_digits(6)}"])
    if kind == "PHOTO":
        return R.choice(PHOTO_FILES)
    if kind == "ID":
        return f"{R.randint(2015, 2023)}-cv-{_digits(5)}" if sub == "case" else R.choice([f"x{_digits(8)}", _digits(9)])
    raise KeyError(slot)


def _kind_of(slot: str) -> str:
    return "HEALTH_PLAN" if slot.startswith("HEALTH_PLAN") else slot.split("_")[0]


def _fill(template: str, name: tuple[str, str]) -> list[tuple[str, str | None]]:
    """Template -> pieces (text, kind or None)."""
    if template in NO_SLOT:
        word, kind = NO_SLOT[template]
        before, after = template.split(word, 1)
        return [(before, None), (word, kind), (after, None)]
    pieces: list[tuple[str, str | None]] = []
    pos = 0
    for m in re.finditer(r"\{(\w+)\}", template):
        pieces.append((template[pos : m.start()], None))
        slot = m.group(1)
        if slot in {"first", "last", "full"}:
            pieces.append(({"first": name[0], "last": name[1], "full": f"{name[0]} {name[1]}"}[slot], "NAME"))
        else:
            value, kind = _value(slot), _kind_of(slot)
            if slot == "LOCATION_state":  # a state is not an identifier under Safe Harbor
                pieces.append((value, None))
                pos = m.end()
                continue
            for outside, inside in re.findall(r"([^«]*)«([^»]*)»", value + "«»") if "«" in value else [("", value)]:
                if outside:
                    pieces.append((outside, None))
                if inside:
                    pieces.append((inside, kind))
        pos = m.end()
    pieces.append((template[pos:], None))
    return pieces


def _message(identifiers: list[list[tuple[str, str | None]]], case: str) -> dict:
    fillers = R.sample(CLINICAL, R.randint(1, 3))
    sentences = [[(f, None)] for f, _ in fillers] + identifiers
    R.shuffle(sentences)
    # the question first, in the middle or last (the first set always ends with it)
    sentences.insert(R.choice([0, len(sentences) // 2, len(sentences)]), [(R.choice(QUESTIONS), None)])
    text, spans = "", []
    for sentence in sentences:
        for piece, kind in sentence:
            if case == "mixed" and kind == "NAME":
                piece = piece.title()
            if kind:
                spans.append({"start": len(text), "end": len(text) + len(piece), "kind": kind})
            text += piece
        text += " "
    text = text.strip()
    if case == "mixed":  # sentence case: a capital after each sentence end
        text = re.sub(r"(^|[.?!] )([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)
    return {"text": text, "case": case, "spans": spans, "clinical": [n for _, numbers in fillers for n in numbers]}


def build() -> list[dict]:
    R.seed(SEED)
    records = []
    for k, (kind, templates) in enumerate(TEMPLATES.items()):
        count = max(PER_KIND, 2 * len(templates))
        for i in range(count):
            name = NAMES[(k + i) % len(NAMES)]
            identifiers = [_fill(templates[i % len(templates)], name)]
            if i % 3 == 2:  # a second identifier of another kind
                other = R.choice([t for t in TEMPLATES if t != kind])
                identifiers.append(_fill(R.choice(TEMPLATES[other]), name))
            case = "mixed" if i % 3 == 1 else "lower"
            record = _message(identifiers, case)
            record.update(id=f"prose-{kind.lower()}-{i:02d}", hard=False)
            records.append({"id": record.pop("id"), **record})
    return records


def _dump(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=True) + "\n" for r in records)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs from what this script writes")
    args = parser.parse_args(argv)
    expected = _dump(build())
    if args.check:
        same = args.out.is_file() and args.out.read_text(encoding="utf-8") == expected
        print("up to date" if same else f"{args.out} differs: run scripts/make_phi_prose_set.py")
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(expected, encoding="utf-8")
    print(f"wrote {expected.count(chr(10))} messages to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
