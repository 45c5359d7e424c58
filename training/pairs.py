"""Training examples for the reader's three tasks, built from the sources in ``training/sources.py``.

Every example carries a ``group`` (document, article or topic) and lands on the ``train`` or ``heldout`` side by
a stable hash of that group, so a question, its variants and its passages never straddle the split. Negatives
are chosen, not sampled blindly: other passages of the same document and BM25 neighbours (hard negatives),
other question types about the same condition (MedQuAD), and MiniCheck-style perturbed claims.
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Sequence

from clinrag.text import content_terms, normalize, split_sentences
from ingest.lexical import LexicalIndex
from rag.reader import passage_input
from training import augment
from training.corpus import Passage, load_documents, passages, sentences
from training.sources import SHARED_DATA, held_back, path_of, read_jsonl

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


def _split(group: str, fraction: float) -> str:
    return "heldout" if held_back(group, fraction) else "train"


def _coverage(claim: str, passage: str) -> float:
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


def _p(p: Passage) -> str:
    return passage_input(p.text, p.title, p.section)


def _variants(question: str, rng: random.Random, k: int) -> list[tuple[str, str]]:
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
        split = _split(group, heldout)
        q = r["question"]
        negatives: list[Passage] = []
        outside = [p for p in chunks if p.key != positive.key and _coverage(p.text, answer) < 0.5]
        if outside:
            negatives.append(rng.choice(outside))
        for p in search.top(q, 15):
            title = docs[p.doc_id].title.lower()
            if p.doc_id != r["doc_id"] and focus and focus not in title and title not in focus:
                negatives.append(p)
                break
        out.append(Example("relevance", q, _p(positive), RELEVANT, "medquad", group, split))
        for n in negatives:
            out.append(Example("relevance", q, _p(n), NOT_RELEVANT, "medquad", group, split))
        for name, v in _variants(q, rng, 1 if rng.random() < 0.5 else 0):
            out.append(Example("relevance", v, _p(positive), RELEVANT, f"medquad-{name}", group, split))
            if negatives:
                out.append(Example("relevance", v, _p(negatives[0]), NOT_RELEVANT, f"medquad-{name}", group, split))
    return out


# ----------------------------------------------------------------------------- synthetic guideline questions
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
        split = _split(group, heldout)
        src = "synthetic"
        same_doc = [p for p in by_doc[row["doc_id"]] if p.key != passage.key and sentence not in p.text and _coverage(sentence, p.text) < 0.7]
        hard = [p for p in search.top(qs["clinician"], 10) if p.doc_id != row["doc_id"]][:1]
        negatives = rng.sample(same_doc, min(2, len(same_doc))) + hard
        questions = [qs["clinician"], qs["yesno"]]
        # a patient question must at least name something the passage talks about (the model sometimes writes a
        # statement or an unrelated worry)
        if qs["patient"].endswith("?") and set(content_terms(qs["patient"])) & set(content_terms(passage.text)):
            questions.append(qs["patient"])
        for name, v in _variants(qs["clinician"], rng, 2):
            questions.append(v)
        for q in questions:
            out.append(Example("relevance", q, _p(passage), RELEVANT, src, group, split))
        for i, n in enumerate(negatives):
            out.append(Example("relevance", questions[i % len(questions)], _p(n), NOT_RELEVANT, src, group, split))
        # sentence level: the source sentence answers; sentences of other passages of the document do not
        others = [s for p in same_doc[:6] for s in sentences(p) if _coverage(s, sentence) < 0.5]
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
            out.append(Example("verdict", qs["yesno"], _p(passage), label, f"{src}-verdict", group, split))
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


_UNSTATED = re.compile(
    r"insufficient|\bI statement|cannot (?:be )?determined?|unable to (?:recommend|determine)|no recommendation|"
    r"unclear|uncertain|selectively|individuali[sz]ed|professional judgment|shared decision", re.I)
_AGAINST = re.compile(
    r"recommends? against|suggests? against|should not|not recommended|\bdo not\b|does not recommend|not indicated|"
    r"\bavoid|contraindicated|discourage|not be (?:used|offered|performed|routinely|prescribed|given)|\bno evidence\b", re.I)
_FOR = re.compile(
    r"\brecommend(?:s|ed)?\b|\bshould\b|\bsuggest(?:s|ed)?\b|\bis indicated\b|\bconsider(?:ed)?\b|"
    r"\bmay be (?:used|offered|considered|given)\b|\bis effective\b|\bfirst-line\b|\bpreferred\b", re.I)
_QUESTION_AGAINST = re.compile(r"\bnot\b|\bavoid|\bagainst\b|\bwithhold|\bstop\b|n't\b", re.I)


def verdict_label(question: str, sentence: str) -> int | None:
    """YES, NO or NOT_STATED from the polarity of a recommendation sentence (None when it has none)."""
    if _UNSTATED.search(sentence):
        return NOT_STATED
    polarity = NO if _AGAINST.search(sentence) else (YES if _FOR.search(sentence) else None)
    if polarity is None:
        return None
    if _QUESTION_AGAINST.search(question):
        polarity = YES if polarity == NO else NO
    return polarity


_LEAD = re.compile(r"^(?:In|For|Among|When|If|After|Before|During|Once|Because|Although|While|Unless|Given)\b", re.I)
_SUBJECT_MAX_WORDS = 14


def _question_case(text: str) -> str:
    return text if re.match(r"^[A-Z]{2,}", text) else text[:1].lower() + text[1:]


def templated_yesno(sentence: str) -> list[tuple[str, int]]:
    """Yes/no questions a recommendation sentence answers, by rule: 'X recommends (against) Y' -> 'Does X recommend
    Y?'; 'X should (not) Y' -> 'Should X Y?'; 'X is (not) recommended' -> 'Is X recommended?'; an insufficient-
    evidence statement -> 'Does X recommend Y?' with the answer not stated. Returns (question, label) pairs."""
    s = " ".join(sentence.split()).rstrip(" .;:")
    if len(s) > 300 or "?" in s:
        return []
    out: list[tuple[str, int]] = []
    m = re.match(r"^(?P<subj>(?:the )?[\w/&().,' -]{2,80}?)\s+concludes that the (?:current )?evidence is insufficient to assess "
                 r"the balance of benefits and harms of (?P<obj>.+)$", s, re.I)
    if m:
        subj = m.group("subj").strip()
        return [(f"Does {_question_case(subj)} recommend {m.group('obj')}?", NOT_STATED)]
    m = re.match(r"^(?P<subj>.{2,120}?)\s+(?P<verb>recommends|suggests|recommend|suggest)\s+(?P<neg>against\s+)?(?P<obj>.{8,})$", s, re.I)
    if m and len(m.group("subj").split()) <= _SUBJECT_MAX_WORDS and not _LEAD.match(m.group("subj")):
        verb = m.group("verb").lower().rstrip("s")
        out.append((f"Does {_question_case(m.group('subj'))} {verb} {m.group('obj')}?" if not m.group("verb").lower().endswith("d")
                    else f"Do {_question_case(m.group('subj'))} {verb} {m.group('obj')}?", NO if m.group("neg") else YES))
    m = re.match(r"^(?P<subj>.{2,160}?)\s+should\s+(?P<neg>not\s+)?(?P<rest>.{6,})$", s, re.I)
    if m:
        subj = m.group("subj")
        lead, _, core = subj.rpartition(", ")
        if len(core.split()) <= _SUBJECT_MAX_WORDS and not _LEAD.match(core):
            q = f"Should {_question_case(core)} {m.group('rest')}?"
            out.append((f"{lead}, {q[0].lower() + q[1:]}" if lead else q, NO if m.group("neg") else YES))
    m = re.match(r"^(?P<subj>.{2,120}?)\s+(?P<be>is|are)\s+(?P<neg>not\s+)?(?P<adj>recommended|suggested|indicated|advised|"
                 r"effective|appropriate|contraindicated|preferred)\b(?P<rest>.*)$", s, re.I)
    if m and len(m.group("subj").split()) <= _SUBJECT_MAX_WORDS and not _LEAD.match(m.group("subj")):
        out.append((f"{m.group('be').capitalize()} {_question_case(m.group('subj'))} {m.group('adj').lower()}{m.group('rest')}?",
                    NO if m.group("neg") else YES))
    if _UNSTATED.search(s):
        out = [(q, NOT_STATED) for q, _ in out]
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
            split = _split(group, heldout)
            src = "templated"
            out.append(Example("verdict", question, sentence, label, f"{src}-verdict", group, split))
            if rng.random() < 0.5:
                out.append(Example("verdict", question, _p(p), label, f"{src}-verdict", group, split))
            if label != NOT_STATED:
                flipped = augment.flip_recommendation(sentence, rng)
                if flipped and rng.random() < 0.7:
                    out.append(Example("verdict", question, flipped, NO if label == YES else YES, f"{src}-verdict-flip", group, split))
                moved = augment.swap_population(question, rng) or augment.change_number(question, rng)
                if moved:
                    out.append(Example("verdict", moved, sentence, NOT_STATED, f"{src}-verdict-moved", group, split))
            others = [q for q in by_doc[p.doc_id] if q.key != p.key and _coverage(sentence, q.text) < 0.6]
            if others:
                other = rng.choice(others)
                cand = [t for t in sentences(other) if _coverage(t, question) < 0.5]
                if cand and rng.random() < 0.5:
                    out.append(Example("verdict", question, rng.choice(cand), NOT_STATED, f"{src}-verdict", group, split))
                variant = _variants(question, rng, 1)
                q_rel = variant[0][1] if variant and rng.random() < 0.5 else question
                out.append(Example("relevance", q_rel, _p(p), RELEVANT, f"{src}", group, split))
                out.append(Example("relevance", q_rel, _p(other), NOT_RELEVANT, f"{src}", group, split))
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
        split = _split(group, heldout)
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


# ----------------------------------------------------------------------------- yes/no reading
def pubmedqa_examples(rng: random.Random, root: Path = SHARED_DATA, heldout: float = 0.1) -> list[Example]:
    rows = read_jsonl(path_of("pubmedqa_pqaa", root))
    search_items = [Passage(f"pqaa-{i}", "", "", r["passage"], 0) for i, r in enumerate(rows)]
    search = PassageSearch(search_items)
    out: list[Example] = []
    yes_kept = 0
    for i, r in enumerate(rows):
        group = f"pqaa:{i}"
        split = _split(group, heldout)
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
        split = _split(group, heldout)
        q = r["question"].strip().rstrip("?") + "?"
        q = q[0].upper() + q[1:]
        out.append(Example("verdict", q, passage_input(r["passage"], r.get("title", "")), YES if r["answer"] else NO, "boolq", group, split))
        if rng.random() < 0.25:
            other = next((p for p in search.top(q, 5) if p.doc_id != f"boolq-{i}" and p.title != r.get("title")), None)
            if other is not None:
                out.append(Example("verdict", q, passage_input(other.text, other.title), NOT_STATED, "boolq", group, split))
    return out


# ----------------------------------------------------------------------------- support (claims)
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
            return _p(p)
        spans = [" ".join(p.text[a:b].split()) for a, b in split_sentences(p.text)]
        i = next((k for k, t in enumerate(spans) if s[:40] in t), None)
        if i is None:
            return _p(p)
        return " ".join(spans[max(0, i - 1) : i + 2])

    for p, s in candidates[:n_sentences]:
        group = f"{source}:{p.doc_id}"
        split = _split(group, heldout)
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
                cand = [t for t in sentences(other, 50) if _coverage(t, p.text) < 0.6]
                if cand:
                    out.append(Example("support", rng.choice(cand), premise, NOT_STATED, f"{source}-elsewhere", group, split))
        else:
            neighbour = next((q for q in search.top(s, 6) if q.key != p.key and _coverage(s, q.text) < 0.75), None)
            if neighbour is not None:
                out.append(Example("support", s, _p(neighbour), NOT_STATED, f"{source}-neighbour", group, split))
    return out
