"""Assemble every training and held-back example from the sources (seeded), and count them for the manifest."""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from training import pairs
from training.corpus import load_documents, passages
from training.qgen import guideline_passages
from training.sources import SHARED_DATA, path_of, read_jsonl


@dataclass(frozen=True)
class DataConfig:
    seed: int = 13
    medquad_questions: int = 2200
    templated_sentences: int = 1600
    covidqa_questions: int = 900
    boolq: int = 1600
    guideline_perturbation_sentences: int = 2200
    medquad_perturbation_sentences: int = 900


def _log(message: str) -> None:
    print(f"train-reader: {message}", file=sys.stderr, flush=True)


def build_examples(synthetic_questions: Path, config: DataConfig, root: Path = SHARED_DATA) -> list[pairs.Example]:
    rng = random.Random(config.seed)
    out: list[pairs.Example] = []

    guideline = guideline_passages(root)
    rows = read_jsonl(synthetic_questions) if synthetic_questions.is_file() else []
    if not rows:
        _log(f"warning: no synthetic questions at {synthetic_questions}; guideline relevance and verdict pairs are missing")
    parts = {
        "synthetic": lambda: pairs.synthetic_examples(rows, guideline, random.Random(rng.random())),
        "templated": lambda: pairs.templated_examples(guideline, random.Random(rng.random()), config.templated_sentences),
        "medquad": lambda: pairs.medquad_examples(random.Random(rng.random()), config.medquad_questions, root),
        "covidqa": lambda: pairs.covidqa_examples(random.Random(rng.random()), config.covidqa_questions, root),
        "pubmedqa": lambda: pairs.pubmedqa_examples(random.Random(rng.random()), root),
        "boolq": lambda: pairs.boolq_examples(random.Random(rng.random()), config.boolq, root),
        "citation_integrity": lambda: pairs.citation_integrity_examples(root, "train") + pairs.citation_integrity_examples(root, "dev"),
        "kqa": lambda: pairs.kqa_examples(root),
        "perturb-guideline": lambda: pairs.perturbation_examples(
            guideline, random.Random(rng.random()), config.guideline_perturbation_sentences, "perturb-guideline"),
        "perturb-medquad": lambda: pairs.perturbation_examples(
            _medquad_sample(root, random.Random(rng.random())), random.Random(rng.random()),
            config.medquad_perturbation_sentences, "perturb-medquad"),
    }
    for name, make in parts.items():
        made = make()
        _log(f"{name}: {len(made)} examples")
        out.extend(made)
    return out


def _medquad_sample(root: Path, rng: random.Random, n_docs: int = 600):
    docs = load_documents([path_of("medquad_corpus", root)])
    rng.shuffle(docs)
    return passages(docs[:n_docs])


def counts(examples: list[pairs.Example]) -> dict:
    c = Counter((e.task, e.source.split("-")[0] if not e.source.startswith("perturb") else "-".join(e.source.split("-")[:2]), e.split, e.label) for e in examples)
    table: dict = {}
    for (task, source, split, label), n in sorted(c.items()):
        table.setdefault(task, {}).setdefault(source, {}).setdefault(split, {})[str(label)] = n
    return table


def save_examples(examples: list[pairs.Example], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for e in examples:
            f.write(json.dumps(e.to_dict(), ensure_ascii=False) + "\n")


def load_examples(path: Path) -> list[pairs.Example]:
    return [pairs.Example(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
