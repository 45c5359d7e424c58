"""Every data file the reader may learn from, with its licence, and what is held back or never used.

Paths are relative to the shared data folder (``../shared/data`` beside the repository). Evaluation-only data
(BioASQ, HealthVer, Med-HALT) and the ExpertQA judge set are never read by training. Questions of suites we
report on are never trained on: MedQuAD QA pairs whose question appears in ``suites/medquad-dev`` are dropped,
and only the hash-chosen training half of ``judge/kqa_nli.jsonl`` is used.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from clinrag.records import sha256_file
from clinrag.settings import REPO_ROOT

SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@dataclass(frozen=True)
class Source:
    path: str
    licence: str
    use: str


SOURCES: dict[str, Source] = {
    "medquad_qa": Source("train/medquad_qa_dev.jsonl", "CC BY 4.0", "relevance: consumer question -> NIH answer passage"),
    "medquad_corpus": Source("corpora/medquad_nih.jsonl", "CC BY 4.0", "relevance passages and hard negatives; claim perturbations"),
    "ngc_corpus": Source("corpora/ngc_guidelines.jsonl", "public domain", "synthetic questions, hard negatives, claim perturbations"),
    "cdc_outpatient_pdf": Source("pdfs/CDC_Outpatient-Guide-508.pdf", "public domain", "synthetic questions, claim perturbations"),
    "niddk_pdf": Source("pdfs/NIDDK_Eating_Diabetes_508.pdf", "not copyrighted (NIDDK)", "synthetic questions, claim perturbations"),
    "covidqa": Source("train/covidqa_squad_format.json", "Apache-2.0", "relevance: sentence and passage level"),
    "pubmedqa_pqaa": Source("train/pubmedqa_pqaa_sample500.jsonl", "MIT", "relevance and verdict"),
    "boolq": Source("train/boolq_dev.jsonl", "CC BY-SA 3.0 (share-alike)", "verdict: yes/no reading"),
    "citation_integrity": Source("train/citation_integrity/claims_train.jsonl", "MIT", "support: claims vs cited abstracts"),
    "citation_integrity_dev": Source("train/citation_integrity/claims_dev.jsonl", "MIT", "support: held-back validation"),
    "citation_integrity_corpus": Source("train/citation_integrity/corpus.jsonl", "MIT", "support: the cited abstracts"),
    "kqa_nli": Source("judge/kqa_nli.jsonl", "MIT", "support: training half only (hash split); the other half is reported"),
    "meqsum": Source("train/meqsum_filtered.jsonl", "CC BY 4.0", "question focus: which sentences of a long message ask"),
}
NEVER_TRAINED = {
    "judge/expertqa_med_val.jsonl": "support target, reported only",
    "judge/healthver_dev.jsonl": "evaluation only (no licence)",
    "corpora/bioasq_abstracts.jsonl": "BioASQ terms: evaluation only",
    "suites/bioasq-dev": "BioASQ terms: evaluation only",
    "suites/medhalt-fake-dev": "evaluation only (no licence)",
    "suites/*": "questions of suites we report on",
}


def path_of(name: str, root: Path = SHARED_DATA) -> Path:
    return root / SOURCES[name].path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def held_back(key: str, fraction: float, salt: str = "clinrag-reader") -> bool:
    """A stable split: the same key is always on the same side, whatever else is in the data."""
    h = int(hashlib.sha256(f"{salt}\x1f{key}".encode()).hexdigest()[:8], 16)
    return h / 0xFFFFFFFF < fraction


def manifest(root: Path = SHARED_DATA) -> list[dict]:
    """What was read: file, sha256, licence and use (written into the model card)."""
    out = []
    for name, source in SOURCES.items():
        p = root / source.path
        out.append({
            "name": name, "path": source.path, "licence": source.licence, "use": source.use,
            "sha256": sha256_file(p) if p.is_file() else None,
        })
    return out
