"""What every builder of training pairs uses: the ``Example`` record and its labels, the stable train/heldout side
of a group, term coverage, BM25 over passages (hard negatives), the reader's passage input, question variants."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Sequence

from clinrag.text import content_terms
from ingest.lexical import LexicalIndex
from rag.reader import passage_input
from training import augment
from training.corpus import Passage
from training.sources import held_back

RELEVANT, NOT_RELEVANT = 1, 0
ENTAILED, CONTRADICTED, NOT_STATED = 0, 1, 2
YES, NO = 0, 1


@dataclass(frozen=True)
class Example:
    task: str
    first: str
    second: str
    label: int
    source: str
    group: str
    split: str

    def to_dict(self) -> dict:
        return asdict(self)


def split_of(group: str, fraction: float) -> str:
    return "heldout" if held_back(group, fraction) else "train"


def coverage(claim: str, passage: str) -> float:
    terms = content_terms(claim)
    have = set(content_terms(passage))
    return sum(t in have for t in terms) / len(terms) if terms else 0.0


class PassageSearch:
    """BM25 over passages, for hard negatives."""

    def __init__(self, items: Sequence[Passage]) -> None:
        self.items = list(items)
        self.index = LexicalIndex.fit([str(i) for i in range(len(self.items))], [content_terms(p.text) for p in self.items])

    def top(self, query: str, k: int) -> list[Passage]:
        return [self.items[int(i)] for i, _ in self.index.top(content_terms(query), k)]


def reader_input(p: Passage) -> str:
    return passage_input(p.text, p.title, p.section)


def question_variants(question: str, rng: random.Random, k: int) -> list[tuple[str, str]]:
    names = list(augment.QUESTION_VARIANTS)
    rng.shuffle(names)
    out = []
    for name in names:
        v = augment.QUESTION_VARIANTS[name](question, rng)
        if v and v != question:
            out.append((name, v))
        if len(out) >= k:
            break
    return out
