"""Pure decision rules: answerability features, sentence parsing, and answer-or-refuse."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from clinrag.records import SearchResponse, SearchResult
from clinrag.text import content_terms, split_sentences
from rag.rerank import logit

_LEADING_MARKERS = re.compile(r"^(?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+")
_MARKER_GROUP = re.compile(r"\[(\s*\d+(?:\s*[,;\u2013-]\s*\d+)*\s*)\]")


def answerability_features(response: SearchResponse, relevance: Sequence[float]) -> dict[str, float]:
    """Inputs of the pre-generation gate: how strongly the reader says the best passages answer the question
    (``relevance``: its P(relevant) of the candidates, best first), and retrieval signals. How many of the
    question's words a passage shares is one signal among these, never the decision on its own."""
    q_terms = set(content_terms(response.query))
    results = response.results
    per_chunk = [set(content_terms(f"{r.title} {r.section} {r.text}")) for r in results[:3]]
    coverage_best = max((len(q_terms & t) / len(q_terms) for t in per_chunk), default=0.0) if q_terms else 0.0
    rel = sorted((float(p) for p in relevance), reverse=True)
    logits = [logit(p) for p in rel]
    return {
        "rel_max": rel[0] if rel else 0.0,
        "rel_max_logit": logits[0] if logits else -14.0,
        "rel_second_logit": logits[1] if len(logits) > 1 else -14.0,
        "rel_top3_mean_logit": sum(logits[:3]) / len(logits[:3]) if logits else -14.0,
        "n_relevant": float(sum(p >= 0.5 for p in rel)),
        "top_dense": float(response.top_dense),
        "top_bm25_per_term": float(response.top_bm25) / max(1, len(q_terms)),
        "coverage_best": coverage_best,
        "query_terms": float(len(q_terms)),
    }


@dataclass(frozen=True)
class ParsedSentence:
    text: str
    markers: tuple[int, ...]
    invalid_markers: tuple[int, ...]


def parse_cited_sentences(answer: str, n_evidence: int) -> list[ParsedSentence]:
    """Split a drafted answer into sentences and parse their [n] markers.

    Markers pointing at no evidence are removed; a sentence whose markers are all invalid counts as uncited.
    Markers standing alone after a sentence's full stop are attached to that sentence.
    """
    parsed: list[ParsedSentence] = []
    for s, e in split_sentences(answer):
        piece = answer[s:e].strip()
        leading = _LEADING_MARKERS.match(piece)
        if leading and parsed:  # "... 75 years. [1] For adults ..." : [1] closes the previous sentence
            prev = parsed[-1]
            extra = [int(m) for m in re.findall(r"\d+", leading.group())]
            valid = [m for m in extra if 1 <= m <= n_evidence]
            parsed[-1] = ParsedSentence(
                prev.text,
                tuple(dict.fromkeys(prev.markers + tuple(valid))),
                prev.invalid_markers + tuple(m for m in extra if m not in valid),
            )
            piece = piece[leading.end() :].strip()
        markers: list[int] = []
        for group in _MARKER_GROUP.findall(piece):
            for part in re.split(r"\s*[,;]\s*", group.strip()):
                if re.fullmatch(r"\d+\s*[\u2013-]\s*\d+", part):
                    a, b = (int(x) for x in re.split(r"[\u2013-]", part))
                    markers.extend(range(a, b + 1) if 0 < b - a < 10 else [a, b])
                elif part.isdigit():
                    markers.append(int(part))
        text = _MARKER_GROUP.sub("", piece).strip()
        text = re.sub(r"\s+([.,;:!?])", r"\1", text)
        if not re.search(r"[A-Za-z0-9]", text):
            if parsed and markers:  # a dangling "[2]." belongs to the previous sentence
                prev = parsed[-1]
                valid = [m for m in markers if 1 <= m <= n_evidence]
                parsed[-1] = ParsedSentence(prev.text, tuple(dict.fromkeys(prev.markers + tuple(valid))), prev.invalid_markers)
            continue
        valid = tuple(dict.fromkeys(m for m in markers if 1 <= m <= n_evidence))
        invalid = tuple(m for m in markers if not 1 <= m <= n_evidence)
        parsed.append(ParsedSentence(text, valid, invalid))
    return parsed


def is_verdict_only(sentence: str) -> bool:
    return bool(re.fullmatch(r"(yes|no)[.!]?", sentence.strip(), re.I))


def version_warnings(evidence: Sequence[SearchResult], cited: set[str]) -> list[str]:
    """Flag superseded guideline versions among the evidence (and say when one was cited)."""
    warnings = []
    for n, r in enumerate(evidence, start=1):
        if r.status != "superseded":
            continue
        replaced = f"; replaced by {r.superseded_by}" if r.superseded_by else ""
        used = "cited in the answer" if r.chunk_id in cited else "not used for the answer"
        warnings.append(
            f"Passage [{n}] is from a SUPERSEDED version: {r.title} (doc {r.doc_id}, version {r.version or '?'}, "
            f"{r.date or 'undated'}{replaced}); {used}."
        )
    return list(dict.fromkeys(warnings))


def drafting_evidence(evidence: Sequence[SearchResult]) -> list[SearchResult]:
    """Evidence shown to the drafter: superseded versions are held back whenever current evidence exists."""
    current = [r for r in evidence if r.status != "superseded"]
    return current if current else list(evidence)
