"""Relevance and verdict pairs from guideline passages: the generated questions (``training/qgen.py``) and the
yes/no questions written by rule from recommendation sentences (``training/pairs/yesno_rules.py``)."""

from __future__ import annotations

import random
import re
from collections import defaultdict
from typing import Iterable, Sequence

from clinrag.text import content_terms
from training import augment
from training.corpus import Passage, sentences
from training.pairs.common import (
    NO,
    NOT_RELEVANT,
    NOT_STATED,
    RELEVANT,
    YES,
    Example,
    PassageSearch,
    coverage,
    question_variants,
    reader_input,
    split_of,
)
from training.pairs.yesno_rules import templated_yesno, verdict_label

def synthetic_examples(rows: Iterable[dict], guideline: Sequence[Passage], rng: random.Random, heldout: float = 0.15) -> list[Example]:
    """Relevance (passage and sentence level) and verdict examples from the generated guideline questions."""
    by_key = {p.key: p for p in guideline}
    by_doc: dict[str, list[Passage]] = defaultdict(list)
    for p in guideline:
        by_doc[p.doc_id].append(p)
    search = PassageSearch(guideline)
    out: list[Example] = []
    for row in rows:
        qs = row.get("questions")
        passage = by_key.get(row["passage"])
        if not qs or passage is None:
            continue
        sentence = row["sentence"]
        group = f"guideline:{row['doc_id']}"
        split = split_of(group, heldout)
        src = "synthetic"
        same_doc = [p for p in by_doc[row["doc_id"]] if p.key != passage.key and sentence not in p.text and coverage(sentence, p.text) < 0.7]
        hard = [p for p in search.top(qs["clinician"], 10) if p.doc_id != row["doc_id"]][:1]
        negatives = rng.sample(same_doc, min(2, len(same_doc))) + hard
        questions = [qs["clinician"], qs["yesno"]]
        # a patient question must at least name something the passage talks about (the model sometimes writes a
        # statement or an unrelated worry)
        if qs["patient"].endswith("?") and set(content_terms(qs["patient"])) & set(content_terms(passage.text)):
            questions.append(qs["patient"])
        for name, v in question_variants(qs["clinician"], rng, 2):
            questions.append(v)
        for q in questions:
            out.append(Example("relevance", q, reader_input(passage), RELEVANT, src, group, split))
        for i, n in enumerate(negatives):
            out.append(Example("relevance", questions[i % len(questions)], reader_input(n), NOT_RELEVANT, src, group, split))
        # sentence level: the source sentence answers; sentences of other passages of the document do not
        others = [s for p in same_doc[:6] for s in sentences(p) if coverage(s, sentence) < 0.5]
        out.append(Example("relevance", qs["clinician"], sentence, RELEVANT, f"{src}-sentence", group, split))
        if qs["patient"] in questions:
            out.append(Example("relevance", qs["patient"], sentence, RELEVANT, f"{src}-sentence", group, split))
        for s in rng.sample(others, min(2, len(others))):
            out.append(Example("relevance", rng.choice(questions), s, NOT_RELEVANT, f"{src}-sentence", group, split))
        # verdict: the sentence states the answer; its negation states the opposite; another sentence says nothing.
        # The label comes from the sentence's own wording (recommends / recommends against / insufficient) and must
        # agree with the model's answer; disagreements are dropped.
        label = verdict_label(qs["yesno"], sentence)
        if label == NOT_STATED:
            out.append(Example("verdict", qs["yesno"], sentence, NOT_STATED, f"{src}-verdict-uncertain", group, split))
        elif label is not None and qs.get("yesno_answer") == ("yes" if label == YES else "no"):
            out.append(Example("verdict", qs["yesno"], sentence, label, f"{src}-verdict", group, split))
            out.append(Example("verdict", qs["yesno"], reader_input(passage), label, f"{src}-verdict", group, split))
            flipped = augment.flip_recommendation(sentence, rng)
            if flipped:
                out.append(Example("verdict", qs["yesno"], flipped, NO if label == YES else YES, f"{src}-verdict-flip", group, split))
            # the question moved to another population or age: the sentence no longer decides it
            moved = augment.swap_population(qs["yesno"], rng) or augment.change_number(qs["yesno"], rng)
            if moved:
                out.append(Example("verdict", moved, sentence, NOT_STATED, f"{src}-verdict-moved", group, split))
            for s in rng.sample(others, min(1, len(others))):
                out.append(Example("verdict", qs["yesno"], s, NOT_STATED, f"{src}-verdict", group, split))
    return out


_BOILERPLATE_SECTION = re.compile(r"qualifying|grade|definition|levels? of certainty|copyright|disclaimer|what the", re.I)
_BOILERPLATE_SENTENCE = re.compile(r"\b(?:the|this) service\b|\bconstrued\b|\bendorsement\b|\bAHRQ\b", re.I)


def templated_examples(items: Sequence[Passage], rng: random.Random, max_sentences: int = 1600, heldout: float = 0.15) -> list[Example]:
    """Verdict and relevance examples from the templated yes/no questions of recommendation sentences."""
    by_doc: dict[str, list[Passage]] = defaultdict(list)
    for p in items:
        by_doc[p.doc_id].append(p)
    found = []
    for p in items:
        if _BOILERPLATE_SECTION.search(p.section):
            continue
        for sentence in sentences(p, min_chars=50):
            if _BOILERPLATE_SENTENCE.search(sentence) or not re.match(r"^[A-Z(]", sentence):
                continue
            made = [(q, l) for q, l in templated_yesno(sentence) if not re.search(r"\b[b-zB-Z]\b(?![.'])", q.split("?")[0][:40])]
            if made:
                found.append((p, sentence, made))
    rng.shuffle(found)
    out: list[Example] = []
    for p, sentence, made in found[:max_sentences]:
        if True:
            question, label = made[0] if len(made) == 1 else rng.choice(made)
            group = f"guideline:{p.doc_id}"
            split = split_of(group, heldout)
            src = "templated"
            out.append(Example("verdict", question, sentence, label, f"{src}-verdict", group, split))
            if rng.random() < 0.5:
                out.append(Example("verdict", question, reader_input(p), label, f"{src}-verdict", group, split))
            if label != NOT_STATED:
                flipped = augment.flip_recommendation(sentence, rng)
                if flipped and rng.random() < 0.7:
                    out.append(Example("verdict", question, flipped, NO if label == YES else YES, f"{src}-verdict-flip", group, split))
                moved = augment.swap_population(question, rng) or augment.change_number(question, rng)
                if moved:
                    out.append(Example("verdict", moved, sentence, NOT_STATED, f"{src}-verdict-moved", group, split))
            others = [q for q in by_doc[p.doc_id] if q.key != p.key and coverage(sentence, q.text) < 0.6]
            if others:
                other = rng.choice(others)
                cand = [t for t in sentences(other) if coverage(t, question) < 0.5]
                if cand and rng.random() < 0.5:
                    out.append(Example("verdict", question, rng.choice(cand), NOT_STATED, f"{src}-verdict", group, split))
                variant = question_variants(question, rng, 1)
                q_rel = variant[0][1] if variant and rng.random() < 0.5 else question
                out.append(Example("relevance", q_rel, reader_input(p), RELEVANT, f"{src}", group, split))
                out.append(Example("relevance", q_rel, reader_input(other), NOT_RELEVANT, f"{src}", group, split))
    return out
