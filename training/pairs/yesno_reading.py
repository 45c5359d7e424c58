"""Yes/no reading pairs (verdict, and relevance for PubMedQA): PubMedQA questions on their abstracts and BoolQ
questions on Wikipedia passages, with a BM25 neighbour as the passage that does not say."""

from __future__ import annotations

import random
import re
from pathlib import Path

from rag.reader import passage_input
from training.corpus import Passage
from training.pairs.common import NO, NOT_RELEVANT, NOT_STATED, RELEVANT, YES, Example, PassageSearch, split_of
from training.sources import SHARED_DATA, path_of, read_jsonl

def pubmedqa_examples(rng: random.Random, root: Path = SHARED_DATA, heldout: float = 0.1) -> list[Example]:
    rows = read_jsonl(path_of("pubmedqa_pqaa", root))
    search_items = [Passage(f"pqaa-{i}", "", "", r["passage"], 0) for i, r in enumerate(rows)]
    search = PassageSearch(search_items)
    out: list[Example] = []
    yes_kept = 0
    for i, r in enumerate(rows):
        group = f"pqaa:{i}"
        split = split_of(group, heldout)
        q, passage = r["question"], re.sub(r"Context \(\d+\):\s*", "", r["passage"])
        other = next((p for p in search.top(q, 5) if p.doc_id != f"pqaa-{i}"), None)
        out.append(Example("relevance", q, passage, RELEVANT, "pqaa", group, split))
        if other is not None:
            out.append(Example("relevance", q, re.sub(r"Context \(\d+\):\s*", "", other.text), NOT_RELEVANT, "pqaa", group, split))
        if r["answer"] == "no" or yes_kept < 120:
            yes_kept += r["answer"] == "yes"
            out.append(Example("verdict", q, passage, YES if r["answer"] == "yes" else NO, "pqaa-verdict", group, split))
        if other is not None and rng.random() < 0.3:
            out.append(Example("verdict", q, re.sub(r"Context \(\d+\):\s*", "", other.text), NOT_STATED, "pqaa-verdict", group, split))
    return out


def boolq_examples(rng: random.Random, n: int, root: Path = SHARED_DATA, heldout: float = 0.1) -> list[Example]:
    rows = read_jsonl(path_of("boolq", root))
    rng.shuffle(rows)
    rows = rows[:n]
    search = PassageSearch([Passage(f"boolq-{i}", r.get("title", ""), "", r["passage"], 0) for i, r in enumerate(rows)])
    out: list[Example] = []
    for i, r in enumerate(rows):
        group = f"boolq:{r.get('title', i)}"
        split = split_of(group, heldout)
        q = r["question"].strip().rstrip("?") + "?"
        q = q[0].upper() + q[1:]
        out.append(Example("verdict", q, passage_input(r["passage"], r.get("title", "")), YES if r["answer"] else NO, "boolq", group, split))
        if rng.random() < 0.25:
            other = next((p for p in search.top(q, 5) if p.doc_id != f"boolq-{i}" and p.title != r.get("title")), None)
            if other is not None:
                out.append(Example("verdict", q, passage_input(other.text, other.title), NOT_STATED, "boolq", group, split))
    return out
