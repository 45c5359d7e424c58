"""Structured identifiers (e-mail, URL, IP, MAC, SSN, phone, fax, VIN, MBI, card, image files, plates) and
labelled values ("MRN 12345", "member ID ...")."""

from __future__ import annotations

import ipaddress
import re

from clinrag.privacy.lexicon import _NOT_NAME
from clinrag.privacy.units import _FOLLOWED_BY_UNIT, _is_quantity

# bounded repeats and token-start lookbehinds keep these linear on long runs like 'a.a.a.a...' (2000+ characters)
_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]{1,64}(?:@|\s?[\[(]at[\])]\s?)[\w-]{1,63}(?:(?:\.|\s?[\[(]dot[\])]\s?)[\w-]{1,63}){1,6}\b", re.I
)
_URL = re.compile(
    r"\b(?:(?:https?|ftp)://|www\.)[^\s<>\"')\]]+"
    r"|(?<![\w.-])(?:[a-z0-9-]{1,63}\.){1,6}(?:com|org|net|edu|gov|io|info|biz|us|uk|ca|au|de|health|me|co|ly|app)\b"
    r"(?:/[^\s<>\"')\]]*)?",
    re.I,
)
_IPV4 = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.]*\d)")
_IPV6_CANDIDATE = re.compile(r"(?<![\w:])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:])", re.I)
_MAC = re.compile(r"\b[0-9a-f]{2}(?:[:-][0-9a-f]{2}){5}\b", re.I)
_SSN = re.compile(r"(?<![\d-])\d{3}([- ])\d{2}\1\d{4}(?![\d-])")
_PHONE = re.compile(
    r"(?<![\w/.-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-]?)\d{3}[\s.-]\d{4}(?:\s*(?:x|ext\.?|extension)\s*\d{1,5})?(?![\w/-])"
    r"|(?<![\w/.-])\+(?:\d[\s.-]?){8,14}\d(?![\w/-])"
    r"|(?<![\w/.-])\(0\d{2,4}\)\s?\d{3,4}[\s.-]?\d{3,4}(?![\w/-])"
    r"|(?<![\w/.-])0\d{2,4}[\s.-]\d{3,4}[\s.-]\d{3,4}(?![\w/-])",
    re.I,
)
_FAX_CUE = re.compile(r"\bfax(?:ed|ing)?\b[^.\d\n]{0,30}$", re.I)  # 'fax the results to', 'fax: ')
_VIN = re.compile(r"\b(?=[A-HJ-NPR-Z0-9]{17}\b)(?=[A-HJ-NPR-Z0-9]*\d)(?=[A-HJ-NPR-Z0-9]*[A-HJ-NPR-Z])[A-HJ-NPR-Z0-9]{17}\b", re.I)
# Medicare Beneficiary Identifier: 11 characters in fixed classes (1EG4-TE5-MK73), dashes optional
_MBI = re.compile(r"(?<![\w-])[1-9][A-Z][A-Z0-9]\d-?[A-Z][A-Z0-9]\d-?[A-Z]{2}\d{2}(?![\w-])", re.I)
_CARD = re.compile(r"(?<![\d-])\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}(?![\d-])")
_IMAGE_FILE = re.compile(r"(?<![\w.-])[\w-]{1,100}\.(?:jpe?g|png|heic|heif|gif|bmp|tiff?|webp)\b", re.I)
_PHOTO_PHRASE = re.compile(
    r"\b(?:full[- ]?face|frontal|facial|passport|profile|id)\s+(?:photo(?:graph)?s?|pictures?|pics?|images?|shots?)\b"
    r"|\b(?:photo(?:graph)?s?|pictures?|pics?|images?|snapshots?|videos?)\s+of\s+(?:my|his|her|their|the\s+patient'?s?|"
    r"the|our|your)\s+(?:\w+\s+)?(?:face|faces|head and shoulders)\b"
    r"|\b(?:selfies?|headshots?|mugshots?|mug shots?)\b",
    re.I,
)


# A licence plate after the word "plate" (or "tag" of a car), with up to five words between ("plate 7ABC123", "the
# plate on his truck reads 8xyz441"): four to eight letters and digits, at least one digit, in one or two groups.
_PLATE = re.compile(
    r"\b(?:plates?|(?:licen[cs]e|car|vehicle|registration|number)\s+tags?|tags?\s+(?:number|no\b\.?|#))(?![\w-])"
    r"(?:(?:\s+(?:number|no\.?|#|reads?|read|is|was|were|are|says|said|shows|of|on|it|his|her|their|my|our|the|a|car|truck|van|"
    r"vehicle|bike|motorcycle|suv|pickup|sedan|jeep)\b){0,5}"
    r"|(?:\s+[a-z'’]{1,12}){1,4}?\s+(?:reads?|is|was|says|said|shows|showed|number|no\.?|#)\b)\s*[:#]?\s*"
    r"(?<![\w-])(?P<value>(?=[A-Z0-9]*\d|[A-Z0-9]+[- ][A-Z0-9]*\d)[A-Z0-9]{1,4}(?:[- ]?[A-Z0-9]{1,5})?)(?![\w-])",
    re.I,
)


_PLATE_NOT_FIRST = frozenset({"near", "level", "zone", "area", "site", "size", "type", "grade", "fig", "see", "via"})


def _plates(text: str):
    for m in _PLATE.finditer(text):
        value = m.group("value")
        alnum = sum(c.isalnum() for c in value)
        if not 4 <= alnum <= 8 or _is_quantity(value, text[m.end() : m.end() + 14]):
            continue
        if value.isdigit() and alnum < 5 or _FOLLOWED_BY_UNIT.match(text[m.end() : m.end() + 14]):
            continue  # 'growth plate 2 mm', 'plate 1 of 3'
        first = re.split(r"[- ]", value)[0].lower()
        if " " in value and (first in _NOT_NAME or first in _PLATE_NOT_FIRST):
            continue  # 'plate at T12'
        yield m.start("value"), m.end("value"), "VEHICLE", 5


def _structured(text: str, _case: bool):
    yield from _plates(text)
    for m in _EMAIL.finditer(text):
        yield m.start(), m.end(), "EMAIL", 6
    for m in _URL.finditer(text):
        if "@" in text[max(0, m.start() - 1) : m.start() + 1] or _IMAGE_FILE.fullmatch(m.group()):
            continue
        yield m.start(), m.end(), "URL", 5
    for m in _IPV4.finditer(text):
        yield m.start(), m.end(), "IP", 6
    for m in _IPV6_CANDIDATE.finditer(text):
        candidate = m.group()
        if "::" in candidate or candidate.count(":") == 7:
            try:
                ipaddress.IPv6Address(candidate)
            except ValueError:
                continue
            yield m.start(), m.end(), "IP", 6
    for m in _MAC.finditer(text):
        yield m.start(), m.end(), "DEVICE", 5
    for m in _SSN.finditer(text):
        yield m.start(), m.end(), "SSN", 5
    for m in _PHONE.finditer(text):
        digits = sum(c.isdigit() for c in m.group())
        if digits < 9 or _is_quantity(m.group(), text[m.end() : m.end() + 12]):
            continue
        kind = "FAX" if _FAX_CUE.search(text[max(0, m.start() - 30) : m.start()]) else "PHONE"
        yield m.start(), m.end(), kind, 4
    for m in _VIN.finditer(text):
        yield m.start(), m.end(), "VEHICLE", 3
    for m in _CARD.finditer(text):
        yield m.start(), m.end(), "ACCOUNT", 3
    for m in _MBI.finditer(text):
        yield m.start(), m.end(), "HEALTH_PLAN", 4
    for m in _IMAGE_FILE.finditer(text):
        yield m.start(), m.end(), "PHOTO", 5
    for m in _PHOTO_PHRASE.finditer(text):
        yield m.start(), m.end(), "PHOTO", 5


# ------------------------------------------------------------------------------------------ labelled values
# a cue word, then connectors ("number", "no.", "#", ":", "is"), then the value (must hold a digit)
_LABELS: list[tuple[str, str]] = [
    ("SSN", r"ssn|ss#|ss\s?no|social\s+security(?:\s+(?:number|no\.?|#|card))?|social\s+insurance\s+number|sin\s+(?:number|no)"),
    ("MRN", r"mrn|mr#|mr\s+no\.?|medical\s+record(?:\s+(?:number|no\.?|#))?|med(?:ical)?\s+rec(?:ord)?\.?\s*(?:number|no\.?|#)?|"
            r"record\s+(?:number|no\.?|#)|chart\s+(?:number|no\.?|#|id)|hospital\s+(?:number|no\.?|#|id)|"
            r"patient\s+(?:id|number|no\.?|#|identifier)|pt\.?\s+(?:id|#|no\.?)|nhs\s+(?:number|no\.?)|chi\s+number|"
            r"unit\s+number|encounter\s+(?:number|no\.?|id|#)|visit\s+(?:number|id|#)|accession\s+(?:number|no\.?|#)|"
            r"hospital\s+registration\s+number|emr\s+(?:id|number|#)|ehr\s+(?:id|number|#)|epic\s+(?:id|number|#)"),
    ("HEALTH_PLAN", r"member\s+(?:id|number|no\.?|#)|membership\s+(?:number|no\.?)|medicare(?:\s+(?:number|no\.?|id|#|card))?|"
                    r"medicaid(?:\s+(?:number|no\.?|id|#|card))?|mbi|hicn|insurance(?:\s+(?:id|number|no\.?|#|policy|card|member))+|"
                    r"policy\s+(?:number|no\.?|#|id)|health\s+plan(?:\s+(?:id|number|no\.?|#))?|beneficiary\s+(?:id|number|no\.?|#)|"
                    r"subscriber\s+(?:id|number|no\.?|#)|group\s+(?:number|no\.?|#)|plan\s+(?:id|number)|insurer\s+id|"
                    r"tricare(?:\s+(?:id|number))?|blue\s+cross(?:\s+(?:id|number))?"),
    ("ACCOUNT", r"(?:bank\s+|billing\s+|checking\s+|savings\s+|patient\s+)?account(?:\s+(?:number|no\.?|#|id))?|acct\.?(?:\s*(?:number|no\.?|#))?|"
                r"billing\s+(?:number|id|#)|invoice\s+(?:number|no\.?|#)|iban|routing\s+(?:number|no\.?)|"
                r"(?:credit|debit)\s+card(?:\s+(?:number|no\.?|#))?|card\s+(?:number|no\.?|#)"),
    ("LICENSE", r"driver'?s?\s+licen[cs]e(?:\s+(?:number|no\.?|#))?|driving\s+licen[cs]e(?:\s+(?:number|no\.?|#))?|"
                r"(?:medical\s+|nursing\s+|professional\s+|state\s+)?licen[cs]e(?:\s+(?:number|no\.?|#|id))?|dea(?:\s+(?:number|no\.?|#|registration))?|"
                r"npi(?:\s+(?:number|no\.?|#))?|certificate(?:\s+(?:number|no\.?|#|id))?|certification\s+(?:number|no\.?|#)|"
                r"permit\s+(?:number|no\.?|#)|board\s+(?:number|certification\s+number)|registration\s+(?:number|no\.?)"),
    ("VEHICLE", r"vin|vehicle\s+identification(?:\s+number)?|vehicle\s+(?:id|number|reg(?:istration)?)|"
                r"(?:licen[cs]e\s+|number\s+|registration\s+|car\s+|vehicle\s+)plates?(?:\s+(?:number|no\.?|#))?|"
                r"plates?\s+(?:number|no\.?|#|reads|is)|tag\s+(?:number|no\.?|#)|car\s+registration|registration\s+plate"),
    ("DEVICE", r"serial(?:\s+(?:number|no\.?|#|id))?|s/n|sn|device\s+(?:id|identifier|number|serial|no\.?)|udi(?:-di)?|"
               r"imei|meid|(?:pacemaker|defibrillator|icd|implant|pump|cgm|monitor|sensor|transmitter)\s+(?:id|serial|number|#)|"
               r"lot\s+(?:number|no\.?|#)|model/serial|mac\s+address|bluetooth\s+id"),
    ("BIOMETRIC", r"finger\s?prints?(?:\s+(?:id|hash|template|code|record|scan|number|no\.?))?|thumb\s?prints?|"
                  r"retina(?:l)?\s+scans?(?:\s+(?:id|hash|template|code))?|iris\s+(?:scans?|templates?|codes?)(?:\s+(?:id|hash|code))?|"
                  r"voice\s?prints?(?:\s+(?:id|hash|template))?|palm\s?prints?(?:\s+(?:id|hash))?|"
                  r"dna\s+(?:profile|sample|fingerprint|id)(?:\s+(?:id|number|no\.?|#))?|face\s?(?:id|print|template)|"
                  r"facial\s+(?:recognition|geometry)(?:\s+(?:id|template|hash))?|biometric\s*(?:id|template|hash|record|identifier)?|"
                  r"gait\s+(?:signature|profile)(?:\s+id)?"),
    ("PHONE", r"phone|telephone|tel\.?|cell(?:\s+phone)?|mobile|cellphone|pager|beeper|contact\s+(?:number|no\.?)|"
              r"call\s+(?:me\s+|him\s+|her\s+|us\s+)?(?:at|on)|text\s+(?:me\s+)?(?:at|on)|whatsapp"),
    ("FAX", r"fax"),
    ("ID", r"(?:employee|student|staff|member|national|tax|passport|military|service|veteran|va|prisoner|inmate|"
           r"case|claim|reference|ref|booking|confirmation|order|ticket|badge|customer|client|resident|study|subject|"
           r"participant|enrolment|enrollment|registration|id\s+card)\s*(?:id|number|no\.?|#|code)?|passport|"
           r"id|identifier|ein|itin|tin|ssn\s+ending|identification(?:\s+number)?"),
]
_CONNECTOR = r"(?:\s*(?:number|num|nbr|no\.?|#|id|code|:|=|is|was|of|reads|ending(?:\s+in)?|last\s+(?:four|4)(?:\s+digits)?|-)\s*|\s+)"
_VALUE = r"(?:[A-Za-z]{1,4}[\s-])?[A-Za-z0-9]*\d[A-Za-z0-9]*(?:[-./:][A-Za-z0-9]+)*(?:\s\d[A-Za-z0-9-]*){0,3}"
_LABEL_RES = [
    (kind, re.compile(rf"\b(?:{cue})(?:{_CONNECTOR})+?(?P<value>{_VALUE})", re.I))
    for kind, cue in _LABELS
]
_VALUE_STOP = frozenset({"is", "was", "no", "of", "on", "at", "in", "the", "and", "or", "for", "to", "a", "an", "number", "id"})


def _labelled(text: str, _case: bool):
    for kind, pattern in _LABEL_RES:
        for m in pattern.finditer(text):
            start, end = m.start("value"), m.end("value")
            value = m.group("value")
            lead = re.match(r"([A-Za-z]{1,4})[\s-]", value)
            if lead and lead.group(1).lower() in _VALUE_STOP:
                start += lead.end()
                value = text[start:end]
            if not value or not any(c.isdigit() for c in value):
                continue
            digits = sum(c.isdigit() for c in value)
            after = text[end : end + 12]
            if _is_quantity(value, after) or digits < 3 and kind != "VEHICLE":
                continue
            if kind == "ID" and digits < 4 and not re.search(r"[A-Za-z]", value):
                continue
            # a plain number after a cue like 'ID' that is really a dose or a count stays
            yield start, end, kind, 7
