"""Support pairs (claim against premise: entailed, contradicted, not stated): Citation Integrity claims against
the abstracts they cite, K-QA NLI pairs (the training half), and MiniCheck-style perturbations of corpus sentences."""

from __future__ import annotations

import random
import re
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Sequence

from clinrag.text import split_sentences
from training import augment
from training.corpus import Passage, sentences
from training.pairs.common import (
    CONTRADICTED,
    ENTAILED,
    NOT_STATED,
    Example,
    PassageSearch,
    coverage,
    reader_input,
    split_of,
)
from training.sources import SHARED_DATA, held_back, path_of, read_jsonl

def _clean_claim(text: str) -> str:
    text = re.sub(r"\[\s*<\|[a-z_]+\|>(?:\s*,\s*[^\]]*)?\]", "", text)
    text = re.sub(r"\[[\d,\s–-]+\]", "", text)
    return " ".join(text.split()).strip()


def citation_integrity_examples(root: Path = SHARED_DATA, split_name: str = "train") -> list[Example]:
    corpus = {str(r["doc_id"]): r for r in read_jsonl(path_of("citation_integrity_corpus", root))}
    source = "citation_integrity" if split_name == "train" else "citation_integrity_dev"
    rows = read_jsonl(path_of(source, root))
    out: list[Example] = []
    labels = {"SUPPORT": ENTAILED, "REFUTE": CONTRADICTED}
    for r in rows:
        claim = _clean_claim(r["claim"])
        if len(claim) < 20:
            continue
        group = f"citint:{r['id']}"
        split = "train" if split_name == "train" else "heldout"
        if r["evidence"]:
            for doc_id, evidence in r["evidence"].items():
                doc = corpus.get(str(doc_id))
                if not doc:
                    continue
                abstract = doc["abstract"]
                for ev in evidence[:1]:
                    idx = sorted(ev["sentences"])
                    lo, hi = max(0, idx[0] - 1), min(len(abstract), idx[-1] + 2)
                    premise = " ".join(abstract[lo:hi])
                    out.append(Example("support", claim, premise, labels[ev["label"]], "citation_integrity", group, split))
        else:
            for doc_id in r.get("cited_doc_ids", [])[:1]:
                doc = corpus.get(str(doc_id))
                if doc:
                    out.append(Example("support", claim, " ".join(doc["abstract"])[:1500], NOT_STATED, "citation_integrity", group, split))
    return out


def kqa_examples(root: Path = SHARED_DATA) -> list[Example]:
    labels = {"supported": ENTAILED, "contradicted": CONTRADICTED, "unsupported": NOT_STATED}
    out = []
    for r in read_jsonl(root / "judge" / "kqa_nli.jsonl"):
        split = "heldout" if held_back(f"kqa:{r['id']}", 0.5) else "train"
        out.append(Example("support", r["hypothesis"], r["premise"], labels[r["label"]], "kqa_nli", f"kqa:{r['id']}", split))
    return out


_DRUG = re.compile(
    r"\b[A-Z]?[a-z]{3,}(?:mab|pril|olol|statin|cillin|mycin|azole|sartan|gliptin|floxacin|dronate|dipine|tidine|prazole|"
    r"triptan|oxetine|azepam|codone|morphine|profen|parin|xaban|gatran|cycline|vir|platin|taxel|formin|glitazone|"
    r"semide|thiazide|lukast|terol|sonide|asone|olone)\b"
)
CONDITIONS = [
    "hypertension", "diabetes", "asthma", "heart failure", "atrial fibrillation", "chronic kidney disease", "depression",
    "osteoporosis", "obesity", "stroke", "pneumonia", "tuberculosis", "HIV infection", "hepatitis C", "breast cancer",
    "colorectal cancer", "prostate cancer", "lung cancer", "low back pain", "migraine", "COPD", "anemia", "gout",
    "sepsis", "urinary tract infection", "influenza", "dementia", "schizophrenia", "bipolar disorder", "chronic pain",
]


def drug_vocabulary(items: Iterable[Passage]) -> list[str]:
    counts: dict[str, int] = defaultdict(int)
    for p in items:
        for m in _DRUG.finditer(p.text):
            counts[m.group().lower()] += 1
    return sorted(w for w, n in counts.items() if n >= 2)


def perturbation_examples(items: Sequence[Passage], rng: random.Random, n_sentences: int, source: str, heldout: float = 0.1) -> list[Example]:
    """MiniCheck-style support pairs from corpus sentences: entailed (the sentence, a clause of it), contradicted
    (number, unit, negation or direction changed), not stated (population, drug or condition swapped, a qualifier
    dropped, a sentence from elsewhere in the document, or the right sentence against a neighbouring passage)."""
    drugs = drug_vocabulary(items)
    by_doc: dict[str, list[Passage]] = defaultdict(list)
    for p in items:
        by_doc[p.doc_id].append(p)
    search = PassageSearch(items)
    candidates = [(p, s) for p in items for s in sentences(p, min_chars=50) if len(s) < 350]
    rng.shuffle(candidates)
    out: list[Example] = []

    def premise_for(p: Passage, s: str) -> str:
        if rng.random() < 0.6:
            return reader_input(p)
        spans = [" ".join(p.text[a:b].split()) for a, b in split_sentences(p.text)]
        i = next((k for k, t in enumerate(spans) if s[:40] in t), None)
        if i is None:
            return reader_input(p)
        return " ".join(spans[max(0, i - 1) : i + 2])

    for p, s in candidates[:n_sentences]:
        group = f"{source}:{p.doc_id}"
        split = split_of(group, heldout)
        premise = premise_for(p, s)
        out.append(Example("support", s, premise, ENTAILED, f"{source}-verbatim", group, split))
        clause = re.split(r";|, and |, but | because ", s)[0].strip()
        if 30 < len(clause) < len(s) - 15:
            out.append(Example("support", clause.rstrip(",") + ".", premise, ENTAILED, f"{source}-clause", group, split))
        contradicted = [f(s, rng) for f in (augment.change_number, augment.swap_unit, augment.flip_negation)]
        contradicted = [c for c in contradicted if c]
        for c in rng.sample(contradicted, min(2, len(contradicted))):
            out.append(Example("support", c, premise, CONTRADICTED, f"{source}-contradicted", group, split))
        unstated = [augment.swap_population(s, rng), augment.swap_term(s, drugs, rng), augment.swap_term(s, CONDITIONS, rng),
                    augment.drop_qualifier(s, rng)]
        unstated = [u for u in unstated if u]
        for u in rng.sample(unstated, min(1, len(unstated))):
            out.append(Example("support", u, premise, NOT_STATED, f"{source}-swapped", group, split))
        if rng.random() < 0.5:
            others = [q for q in by_doc[p.doc_id] if q.key != p.key]
            if others:
                other = rng.choice(others)
                cand = [t for t in sentences(other, 50) if coverage(t, p.text) < 0.6]
                if cand:
                    out.append(Example("support", rng.choice(cand), premise, NOT_STATED, f"{source}-elsewhere", group, split))
        else:
            neighbour = next((q for q in search.top(s, 6) if q.key != p.key and coverage(s, q.text) < 0.75), None)
            if neighbour is not None:
                out.append(Example("support", s, reader_input(neighbour), NOT_STATED, f"{source}-neighbour", group, split))
    return out
