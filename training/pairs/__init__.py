"""Training examples for the reader's three tasks, built from the sources in ``training/sources.py``.

Every example carries a ``group`` (document, article or topic) and lands on the ``train`` or ``heldout`` side by
a stable hash of that group, so a question, its variants and its passages never straddle the split. Negatives
are chosen, not sampled blindly: other passages of the same document and BM25 neighbours (hard negatives),
other question types about the same condition (MedQuAD), and MiniCheck-style perturbed claims.

One module a job: ``common`` (the ``Example`` record, labels, split, BM25 negatives), ``guideline`` (generated and
templated questions on guideline passages, with the rules of ``yesno_rules``), ``relevance`` (MedQuAD, COVID-QA),
``yesno_reading`` (PubMedQA, BoolQ) and ``support`` (Citation Integrity, K-QA, perturbed claims).
"""

from __future__ import annotations

from training.pairs.common import (
    CONTRADICTED,
    ENTAILED,
    NO,
    NOT_RELEVANT,
    NOT_STATED,
    RELEVANT,
    YES,
    Example,
    PassageSearch,
)
from training.pairs.guideline import synthetic_examples, templated_examples
from training.pairs.relevance import covidqa_examples, medquad_examples
from training.pairs.support import (
    CONDITIONS,
    citation_integrity_examples,
    drug_vocabulary,
    kqa_examples,
    perturbation_examples,
)
from training.pairs.yesno_reading import boolq_examples, pubmedqa_examples
from training.pairs.yesno_rules import templated_yesno, verdict_label

__all__ = [
    "CONDITIONS",
    "CONTRADICTED",
    "ENTAILED",
    "Example",
    "NO",
    "NOT_RELEVANT",
    "NOT_STATED",
    "PassageSearch",
    "RELEVANT",
    "YES",
    "boolq_examples",
    "citation_integrity_examples",
    "covidqa_examples",
    "drug_vocabulary",
    "kqa_examples",
    "medquad_examples",
    "perturbation_examples",
    "pubmedqa_examples",
    "synthetic_examples",
    "templated_examples",
    "templated_yesno",
    "verdict_label",
]
