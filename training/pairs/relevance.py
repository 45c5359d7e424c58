"""Relevance pairs from question-answering sets: MedQuAD consumer questions against NIH pages and COVID-QA
extractive questions against their articles (sentence and passage level)."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

from clinrag.text import normalize, split_sentences
from training.corpus import Passage, load_documents, passages
from training.pairs.common import (
    NOT_RELEVANT,
    RELEVANT,
    Example,
    PassageSearch,
    coverage,
    question_variants,
    reader_input,
    split_of,
)
from training.sources import SHARED_DATA, path_of, read_jsonl

# ----------------------------------------------------------------------------- MedQuAD (consumer questions)
def medquad_examples(rng: random.Random, n_questions: int, root: Path = SHARED_DATA, heldout: float = 0.1) -> list[Example]:
    """Consumer question -> the chunk of the NIH page where its answer section starts (positive); a chunk of the same
    page outside the answer (hard: same condition, other question type) and a BM25 neighbour about another
    condition (negatives)."""
    suite_questions = {normalize(q["question"]) for q in read_jsonl(root / "suites" / "medquad-dev" / "questions.jsonl")}
    docs = {d.doc_id: d for d in load_documents([path_of("medquad_corpus", root)])}
    qa = [r for r in read_jsonl(path_of("medquad_qa", root)) if normalize(r["question"]) not in suite_questions and r["doc_id"] in docs]
    rng.shuffle(qa)
    qa = qa[:n_questions]
    wanted = sorted({r["doc_id"] for r in qa})
    others = sorted(set(docs) - set(wanted))
    rng.shuffle(others)
    pool = passages(docs[d] for d in wanted + others[:2500])
    by_doc: dict[str, list[Passage]] = defaultdict(list)
    for p in pool:
        by_doc[p.doc_id].append(p)
    search = PassageSearch(pool)
    out: list[Example] = []
    for r in qa:
        chunks = by_doc.get(r["doc_id"])
        answer = " ".join(r["answer"].split())
        if not chunks or len(answer) < 40:
            continue
        head = answer[:60]
        positive = next((p for p in chunks if head in " ".join(p.text.split())), None)
        if positive is None:
            continue
        focus = r.get("focus", "").lower()
        group = f"medquad:{focus}"
        split = split_of(group, heldout)
        q = r["question"]
        negatives: list[Passage] = []
        outside = [p for p in chunks if p.key != positive.key and coverage(p.text, answer) < 0.5]
        if outside:
            negatives.append(rng.choice(outside))
        for p in search.top(q, 15):
            title = docs[p.doc_id].title.lower()
            if p.doc_id != r["doc_id"] and focus and focus not in title and title not in focus:
                negatives.append(p)
                break
        out.append(Example("relevance", q, reader_input(positive), RELEVANT, "medquad", group, split))
        for n in negatives:
            out.append(Example("relevance", q, reader_input(n), NOT_RELEVANT, "medquad", group, split))
        for name, v in question_variants(q, rng, 1 if rng.random() < 0.5 else 0):
            out.append(Example("relevance", v, reader_input(positive), RELEVANT, f"medquad-{name}", group, split))
            if negatives:
                out.append(Example("relevance", v, reader_input(negatives[0]), NOT_RELEVANT, f"medquad-{name}", group, split))
    return out


# ----------------------------------------------------------------------------- COVID-QA (extractive QA)
def covidqa_examples(rng: random.Random, n_questions: int, root: Path = SHARED_DATA, heldout: float = 0.1) -> list[Example]:
    data = json.loads(path_of("covidqa", root).read_text(encoding="utf-8"))["data"]
    items = []
    for article in data:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                if qa.get("answers"):
                    items.append((article.get("title") or para["context"][:60], para["context"], qa))
    rng.shuffle(items)
    out: list[Example] = []
    for title, context, qa in items[:n_questions]:
        group = f"covidqa:{title[:80]}"
        split = split_of(group, heldout)
        start = qa["answers"][0]["answer_start"]
        spans = split_sentences(context)
        hit = next((i for i, (s, e) in enumerate(spans) if s <= start < e), None)
        if hit is None:
            continue
        q = qa["question"]
        answer_sentence = " ".join(context[spans[hit][0] : spans[hit][1]].split())
        if len(answer_sentence) > 600:
            continue
        out.append(Example("relevance", q, answer_sentence, RELEVANT, "covidqa-sentence", group, split))
        far = [i for i in range(len(spans)) if abs(i - hit) > 3 and 40 < spans[i][1] - spans[i][0] < 500]
        for i in rng.sample(far, min(2, len(far))):
            out.append(Example("relevance", q, " ".join(context[spans[i][0] : spans[i][1]].split()), NOT_RELEVANT, "covidqa-sentence", group, split))
        window = context[max(0, start - 400) : start + 450]
        out.append(Example("relevance", q, " ".join(window.split()), RELEVANT, "covidqa", group, split))
        if len(context) > 4000:
            offset = (start + len(context) // 2) % (len(context) - 900)
            if abs(offset - start) > 1200:
                out.append(Example("relevance", q, " ".join(context[offset : offset + 850].split()), NOT_RELEVANT, "covidqa", group, split))
    return out
