"""Patient-identifier (PHI) detection and redaction for questions, before anything leaves the process or is written.

Covers the 18 identifier kinds of the HIPAA Safe Harbor method (45 CFR 164.514(b)(2)); ``KINDS`` maps each label to
its category. Detection is deterministic: regular expressions for structured identifiers, labelled values ("MRN
12345", "member ID ..."), and context rules plus name lists for names and places. Pure functions, no IO, no model.

What is kept on purpose (clinical meaning): doses and quantities ("500 mg", "50000IU", "30 mL/kg"), blood
pressures ("130/80"), lab values (also five-digit ones: "WBC 12500", "BNP 35100", "10000 steps", round thousands,
ranges), ages up to 89, years on their own ("since 2019"), and a month on its own ("in January"). ZIP codes and
ZIP+4 are redacted wherever they stand, not only after a state or a cue ("John from 62704 asks ..."), as are licence
plates after "plate"/"tag" ("the plate on his truck reads 8xyz441"), VINs, Medicare beneficiary identifiers and
device serials in context. What is replaced: every span found, by ``[KIND]`` (ages over 89 by ``[AGE 90+]``, the
aggregation Safe Harbor allows).

Known limits (measured by ``bench/phi_bench.py`` on ``tests/data/phi_questions.jsonl`` and the prose set
``tests/data/phi_prose.jsonl``; ``--zip-stress`` shows the five-digit counts of biomedical prose that the ZIP rule
still takes, such as "13051 rotavirus-positive samples"): a name that is in none of the name lists, written in lower or
upper case, after a weak cue only ("patient xiomara ..."), is missed; a first name that is also an English word
("Will", "Grace") is taken only when capitalised next to a surname. Redaction is applied to the question only;
guideline passages are never redacted (they are not patient data, and redacting their numbers changes them).

``redact(text) -> (text, n)`` is the old interface; ``redact_text(text)`` returns a ``Redaction`` with the kinds
found, so a caller (the UI, the audit log) can say that something was redacted without repeating what.
"""

from clinrag.privacy.redaction import KINDS, Finding, Redaction, find_identifiers, placeholder, redact, redact_text

__all__ = ["KINDS", "Finding", "Redaction", "find_identifiers", "placeholder", "redact", "redact_text"]
