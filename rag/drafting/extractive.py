"""The extractive drafter: the reader picks the evidence sentences that answer the question and they are quoted,
each with its citation. No LLM; deterministic."""

from __future__ import annotations

import re
from typing import Callable, Sequence

from clinrag.protocols import Reader
from clinrag.records import Draft, SearchResult
from clinrag.settings import GenerationSettings
from clinrag.text import content_terms
from rag.asked_constraints import affirms_what_question_rules_out
from rag.dose_fit import dose_fit
from rag.passage_sentences import passage_sentences
from rag.population import Population, population_fit, read_population
from rag.question_kind import asks_for_quantity, asks_for_recommendation, question_parts
from rag.recommendation import parse_recommendation
from rag.rerank import logit

# a recommendation sentence is preferred (logit scale) when the question asks what is recommended or its grade
RECOMMENDATION_BONUS = 1.0
QUANTITY_BONUS = 1.0  # a sentence that states a number, for a question that asks for one
LIST_BONUS = 1.0  # a sentence that names three or more things, for a question that asks for several
_LIST_ASK = re.compile(
    r"^\s*(?:which|what(?:\s+are)?|name|list)\b[^?]*?\b(?:drugs|medications|medicines|options|tests|investigations|factors|"
    r"classes|regimens|antibiotics|agents|vaccines|features|criteria|components|signs|symptoms|inhibitors|"
    r"anticoagulants|therapies|treatments|interventions|uses|conditions|names|pills|blood thinners)\b", re.I)
# "apixaban, dabigatran, edoxaban or rivaroxaban": items apart by commas or semicolons, the last by "or"/"and"
_ENUMERATION = re.compile(r"(?:[^,;.]{2,80}[,;]\s+){2,}[^,;.]{0,80}?\b(?:or|and)\b|(?:[^;]{2,120};\s+){2,}")


def list_term(question: str, sentence: str) -> float:
    """``LIST_BONUS`` for a sentence that enumerates three or more things when the question asks for several
    ("Which direct oral anticoagulants ...?"); 0 otherwise."""
    return LIST_BONUS if _LIST_ASK.search(question) and _ENUMERATION.search(sentence) else 0.0
_UNIT_AFTER = re.compile(r"\bhow (?:many|much)\s+(?:\w+\s+)?([a-z]+)", re.I)
_NUMBER = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
                     r"half|once|twice|daily|weekly|monthly|annual(?:ly)?|yearly)\b", re.I)


def quantity_term(question: str, sentence: str) -> float:
    """``QUANTITY_BONUS`` for a sentence that states a number (other than the question's own) when the question asks
    for one, half as much again
    when it names the unit asked about ("how many days" -> "days"); 0 otherwise."""
    if not asks_for_quantity(question) or not _NUMBER.search(_without_given_numbers(question, sentence)):
        return 0.0
    unit = _UNIT_AFTER.search(question)
    stem = unit.group(1).lower().rstrip("s")[:5] if unit else ""
    return QUANTITY_BONUS * (1.5 if stem and re.search(rf"\b{re.escape(stem)}", sentence, re.I) else 1.0)


_GIVEN_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _without_given_numbers(question: str, sentence: str) -> str:
    """The sentence less the numbers the question already gives: "after at least 6 weeks of conservative care, how
    large must the tear be?" is not answered by "Conservative care for 6 weeks is required"."""
    given = set(_GIVEN_NUMBER.findall(question))
    if not given:
        return sentence
    return _GIVEN_NUMBER.sub(lambda m: " " if m.group(0) in given else m.group(0), sentence)


class ExtractiveDrafter:
    """Quotes the evidence sentences the reader says answer the question, each with its citation. Deterministic.

    Every candidate sentence of the shown evidence is read with the question (sentence-level relevance); the
    passage's own relevance is a prior. The best sentence is taken, and others that the reader also finds
    relevant and that score within ``margin`` of it (logit scale), up to ``extractive_max_sentences``.
    """

    name = "extractive"

    def __init__(self, reader: Reader, settings: GenerationSettings, margin: float = 2.5, population_weight: float = 1.5) -> None:
        self.reader = reader
        self.settings = settings
        self.margin = margin
        self.population_weight = population_weight

    def draft(self, question: str, evidence: Sequence[SearchResult], on_token: Callable[[str], None] | None = None) -> Draft:
        evidence = list(evidence[: self.settings.evidence_chunks])
        candidates = candidate_sentences(evidence)
        if not candidates:
            return Draft("", cannot_answer=True, model=self.name)
        scored = self._scored(question, candidates, evidence)
        best = scored[0]
        chosen = [best]
        disagreement = self._disagreement(best, scored, evidence)
        if disagreement is not None:
            chosen.append(disagreement["other"])
        parts = question_parts(question)
        for part in parts if len(parts) > 1 else ():  # "What LVEF defines HFrEF, and what LVEF threshold applies ...?"
            top = self._scored(part, candidates, evidence)[0]
            item = next(x for x in scored if x[1:4] == top[1:4])  # the sentence as the whole question scores it
            if top[4] >= 0.5 and item not in chosen and not any(_similar(item[3], c[3]) for c in chosen) \
                    and len(chosen) < self.settings.extractive_max_sentences:
                chosen.append(item)
        for item in scored[1:]:
            if len(chosen) >= self.settings.extractive_max_sentences:
                break
            if item in chosen:
                continue
            if item[4] >= 0.5 and item[0] >= best[0] - self.margin and not any(_similar(item[3], c[3]) for c in chosen):
                chosen.append(item)
        chosen.sort(key=lambda t: (t[1], t[2]))
        text = " ".join(f"{_as_sentence(s)} [{n}]" for _, n, _, s, _ in chosen)
        extra = {
            "selection_score": round(best[0], 4),
            "sentence_relevance": [round(c[4], 4) for c in chosen],
            "best_sentence_relevance": round(best[4], 4),
            "candidate_relevance": {sentence: rel for _, _, _, sentence, rel in scored},  # read again by rag/conflicts.py
        }
        if disagreement is not None:
            extra["disagreement"] = {"markers": disagreement["markers"], "p_contradicted": disagreement["p"]}
        return Draft(text, model=self.name, extra=extra)

    def _scored(self, question: str, candidates: list[tuple[int, int, str]], evidence: Sequence[SearchResult]) -> list[tuple]:
        """(score, evidence number, position, sentence, relevance) of every candidate for ``question``, best first: the
        reader's relevance (logit), the passage's as a prior, and the question's population, quantity, list, dose and
        recommendation asks."""
        relevance = [float(p) for p in self.reader.relevance(question, [s for _, _, s in candidates])]
        asked = read_population(question, question=True)
        wants_recommendation = asks_for_recommendation(question)
        scored = []
        for (n, pos, sentence), rel, meta in zip(candidates, relevance, _meta_flags(candidates, evidence)):
            prior = evidence[n - 1].reader_score
            score = logit(rel) + 0.5 * (logit(prior) if prior is not None else 0.0) - (1.0 if meta else 0.0)
            score += self._population_term(asked, sentence) + quantity_term(question, sentence) + list_term(question, sentence)
            # "400 IU or less" for a question on 400 IU, not "doses greater than 400 IU"
            fit = dose_fit(question, sentence)
            score += (-2.0 if fit < 0 else 0.5 * fit) * self.population_weight
            if affirms_what_question_rules_out(question, sentence):  # "adults who are obese" for "adults without obesity"
                score -= 2.0 * self.population_weight
            if wants_recommendation and parse_recommendation(sentence) is not None:
                score += RECOMMENDATION_BONUS
            scored.append((score, n, pos, sentence, rel))
        scored.sort(key=lambda t: (-t[0], t[1], t[2]))
        return scored

    def _population_term(self, asked: Population, sentence: str) -> float:
        """The population fit as a score: a sentence about another group (another age band, sex, pregnancy status or
        smoking history than the question's) loses twice the weight; one that names the question's group gains."""
        if asked.empty:
            return 0.0
        fit = population_fit(asked, read_population(sentence))
        return -2.0 * self.population_weight if fit <= -1.0 else self.population_weight * fit * 0.5

    def _disagreement(self, best, scored, evidence: Sequence[SearchResult]):
        """The best relevant sentence of another current document that contradicts the best sentence (either way
        round), or None. Documents of one issuer and version count as one source."""
        def source(n: int) -> tuple[str, str]:
            return evidence[n - 1].doc_id, evidence[n - 1].status

        rivals = [item for item in scored[1:8] if item[4] >= 0.5 and source(item[1])[0] != source(best[1])[0]
                  and evidence[item[1] - 1].status != "superseded"][:2]
        if not rivals:
            return None
        claims = [r[3] for r in rivals] + [best[3]] * len(rivals)
        premises = [best[3]] * len(rivals) + [r[3] for r in rivals]
        probabilities = self.reader.support_pairs(claims, premises)
        for i, rival in enumerate(rivals):
            p = max(float(probabilities[i][1]), float(probabilities[i + len(rivals)][1]))
            if p >= 0.5:
                return {"other": rival, "markers": [best[1], rival[1]], "p": round(p, 4)}
        return None


_META_SECTION = re.compile(r"\b(scope|introduction|purpose|about|background|overview|what changed|changes since)\b", re.I)
_META_SENTENCE = re.compile(r"^(this|the present) (summary|document|guideline|statement|update)\b", re.I)
# sentences about the publication itself (copying, copyright, where to get it, when it was prepared, disclaimers):
# never an answer to a clinical question
_DOCUMENT_MATTER = re.compile(
    r"\b(?:copyright(?:s|ed)?|duplicate and distribute|reproduc(?:e|ed|tion) (?:and|or) distribut|copies as desired|"
    r"(?:booklet|publication|document|guideline|summary) is (?:also )?available (?:at|from|on)|"
    r"when this (?:publication|booklet|document) was prepared|(?:publication|booklet) (?:may|can) be (?:copied|reproduced)|"
    r"(?:does|do) not (?:endorse|copyright)|for more information,? (?:visit|contact|call)|this publication is not copyrighted)\b",
    re.I,
)


def _heading(result: SearchResult) -> str:
    return result.section.split(" > ")[-1] if result.section else result.title


def _meta_flags(candidates: list[tuple[int, int, str]], evidence: Sequence[SearchResult]) -> list[bool]:
    """Sentences that describe the document (its scope, what changed) rather than state a recommendation."""
    flags = []
    for n, _, sentence in candidates:
        section = evidence[n - 1].section.split(" > ")[-1] if evidence[n - 1].section else ""
        flags.append(bool(_META_SECTION.search(section) or _META_SENTENCE.match(sentence)))
    return flags


def candidate_sentences(evidence: Sequence[SearchResult]) -> list[tuple[int, int, str]]:
    """(evidence number, position, sentence) for every answer-worthy sentence of the evidence."""
    out = []
    for n, result in enumerate(evidence, start=1):
        heading = result.section.split(" > ")[-1].strip() if result.section else ""
        for pos, sentence in enumerate(passage_sentences(result.text)):
            if heading and sentence.startswith(heading) and len(sentence) > len(heading) + 20:
                sentence = sentence[len(heading) :].strip()  # a PDF heading line runs into the first sentence
            if sentence.startswith("#") or sentence.endswith("?") or len(sentence) < 25 or len(content_terms(sentence)) < 3:
                continue  # headings, questions (a question is not an answer) and fragments
            if _DOCUMENT_MATTER.search(sentence) or re.fullmatch(r"\([^()]*\)\.?", sentence):
                continue  # about the publication, not its subject; a grade tag alone ("(Strong For; Reviewed, Amended).")
            if is_title_line(sentence, result.title):
                continue  # "What the USPSTF Grades Mean and Suggestions for Practice": a heading states nothing
            out.append((n, pos, sentence))
    return out


_SMALL_WORDS = frozenset("a an and as at by for from in into of on or the to with vs via per".split())


def is_title_line(sentence: str, title: str = "") -> bool:
    """A heading or the document's title standing as a line of its own: no sentence punctuation, at most 12 words,
    every word capitalised but the small ones ("Drugs and Drug Combinations to Avoid"), or the title itself."""
    text = sentence.strip().rstrip(".")
    if title and " ".join(text.lower().split()) == " ".join(title.lower().rstrip(".").split()):
        return True
    words = re.findall(r"[A-Za-z][\w'’-]*", text)
    if not words or len(words) > 12 or re.search(r"[.!?;:]", text):
        return False
    return all(w[0].isupper() or w.lower() in _SMALL_WORDS for w in words)


def _as_sentence(sentence: str) -> str:
    sentence = sentence.rstrip()
    return sentence if sentence.endswith((".", "!", "?", ":")) else sentence + "."


def _similar(a: str, b: str) -> bool:
    ta, tb = set(content_terms(a)), set(content_terms(b))
    return bool(ta and tb) and len(ta & tb) / min(len(ta), len(tb)) > 0.8
