"""Suite folders: loading, validation, sampling and the index cache key.

A suite folder holds ``suite.json``::

    {"name": "tiny",                       # optional; defaults to the folder name
     "corpus": ["corpus.jsonl", "../../../corpora/demo"],   # files or folders, relative to the suite
     "exclude_doc_ids": "exclude.txt",     # optional: a file of ids (one a line) or a list of ids, or null
     "questions": "questions.jsonl",       # a file, or a list of files
     "categories": ["dosing", ...]}        # optional: categories that must have questions

and the questions file(s), one JSON object a line (see ``../shared/data/README.md``). Optional question
fields: ``variant_of`` (id of the base question of a lay / misspelled / demographic variant), ``variant``
(the variant kind; else it is read from the category or id), and for the ``version`` category
``superseded_doc_ids``.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from clinrag.errors import SuiteError
from clinrag.records import sha256_file
from eval.scoring import ANSWER_TYPES, BEHAVIORS, YESNO_VALUES, gold_synonym_lists

REQUIRED_FIELDS = ("id", "question", "expected_behavior", "answer_type")
VARIANT_KINDS = ("lay", "misspelled", "demographic")


@dataclass(frozen=True)
class Suite:
    name: str
    root: Path
    corpus: tuple[Path, ...]
    exclude_doc_ids: frozenset[str]
    questions: tuple[dict[str, Any], ...]
    categories: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


# ----------------------------------------------------------------------------- loading
def _read_spec(suite_dir: Path) -> dict[str, Any]:
    spec_path = suite_dir / "suite.json"
    if not suite_dir.is_dir():
        raise SuiteError(f"suite folder {suite_dir} does not exist (pass --suite DIR, a folder holding suite.json)")
    if not spec_path.is_file():
        raise SuiteError(f"{spec_path} is missing (a suite folder needs suite.json listing its corpus and questions)")
    try:
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SuiteError(f"{spec_path} is not valid JSON ({exc}); fix the file") from exc
    if not isinstance(spec, dict):
        raise SuiteError(f"{spec_path} must hold a JSON object, found {type(spec).__name__}")
    return spec


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def read_questions(path: Path) -> list[dict[str, Any]]:
    """Question objects of one JSONL file (blank lines skipped); raises ``SuiteError`` on bad JSON."""
    if not path.is_file():
        raise SuiteError(f"questions file {path} is missing (fix 'questions' in suite.json)")
    return [item for _, item in read_jsonl_objects(path)]


def read_jsonl_objects(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a JSONL file; raises ``SuiteError`` on bad JSON or a line
    that is not a JSON object."""
    out: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SuiteError(f"{path} line {number} is not valid JSON ({exc.msg}); one JSON object per line") from exc
        if not isinstance(item, dict):
            raise SuiteError(f"{path} line {number} is a {type(item).__name__}; expected a JSON object")
        out.append((number, item))
    return out


def read_id_file(path: Path) -> set[str]:
    """Ids one a line; blank lines and ``#`` comments ignored."""
    if not path.is_file():
        raise SuiteError(f"exclude_doc_ids file {path} is missing (fix 'exclude_doc_ids' in suite.json or set it to null)")
    return {s for s in (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()) if s}


def load_suite(suite_dir: Path | str) -> Suite:
    """Read a suite folder; raises ``SuiteError`` (naming the file and the fix) when it cannot be run."""
    root = Path(suite_dir).resolve()
    spec = _read_spec(root)
    corpus_entries = _as_list(spec.get("corpus"))
    if not corpus_entries or not all(isinstance(c, str) for c in corpus_entries):
        raise SuiteError(f"{root / 'suite.json'}: 'corpus' must be a non-empty list of paths relative to the suite folder")
    corpus = tuple((root / c).resolve() for c in corpus_entries)
    missing = [str(p) for p in corpus if not p.exists()]
    if missing:
        raise SuiteError(f"{root / 'suite.json'}: corpus path(s) not found: {', '.join(missing)} (paths are relative to {root})")
    exclude = spec.get("exclude_doc_ids")
    if isinstance(exclude, str):
        excluded = read_id_file(root / exclude)
    elif isinstance(exclude, list):
        excluded = {str(x) for x in exclude}
    elif exclude is None:
        excluded = set()
    else:
        raise SuiteError(f"{root / 'suite.json'}: 'exclude_doc_ids' must be a file name, a list of ids or null")
    question_files = _as_list(spec.get("questions", "questions.jsonl"))
    if not question_files or not all(isinstance(q, str) for q in question_files):
        raise SuiteError(f"{root / 'suite.json'}: 'questions' must name a JSONL file (or a list of them)")
    questions: list[dict[str, Any]] = []
    for name in question_files:
        questions.extend(read_questions(root / name))
    if not questions:
        raise SuiteError(f"{root}: the questions file(s) {question_files} hold no questions")
    # Only problems that make a question unaskable stop a run; the rest (duplicate ids, odd gold fields in
    # externally written suites) are reported by validate_suite and scored as far as possible.
    problems = [p for p in question_problems(questions) if _fatal(p)]
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise SuiteError(f"{root}: questions are malformed: {shown} (see ../shared/data/README.md for the format)")
    return Suite(
        name=str(spec.get("name") or root.name),
        root=root,
        corpus=corpus,
        exclude_doc_ids=frozenset(excluded),
        questions=tuple(questions),
        categories=tuple(str(c) for c in _as_list(spec.get("categories"))),
        meta={k: v for k, v in spec.items() if k not in {"corpus", "questions", "exclude_doc_ids", "categories"}},
    )


# ----------------------------------------------------------------------------- validation
def question_problems(questions: Sequence[Mapping[str, Any]]) -> list[str]:
    """Field-level problems of question objects (missing fields, bad values, duplicate ids)."""
    problems: list[str] = []
    seen: set[str] = set()
    for i, q in enumerate(questions, start=1):
        where = f"question {q.get('id', f'#{i}')!s}"
        for name in REQUIRED_FIELDS:
            if name not in q or q[name] in (None, ""):
                problems.append(f"{where}: missing '{name}'")
        qid = str(q.get("id", ""))
        if qid and qid in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(qid)
        if not isinstance(q.get("question", ""), str):
            problems.append(f"{where}: 'question' must be a string")
        behavior = q.get("expected_behavior")
        if behavior is not None and behavior not in BEHAVIORS:
            problems.append(f"{where}: expected_behavior {behavior!r} is not one of {list(BEHAVIORS)}")
        kind = q.get("answer_type")
        if kind is not None and kind not in ANSWER_TYPES:
            problems.append(f"{where}: answer_type {kind!r} is not one of {list(ANSWER_TYPES)}")
        gold_ids = q.get("gold_doc_ids", [])
        if gold_ids is not None and not (isinstance(gold_ids, list) and all(isinstance(g, str) for g in gold_ids)):
            problems.append(f"{where}: gold_doc_ids must be a list of strings")
        if behavior == "answer":
            gold = q.get("gold_answer")
            if kind == "yesno" and gold not in YESNO_VALUES:
                problems.append(f"{where}: a yesno gold_answer must be one of {list(YESNO_VALUES)}, found {gold!r}")
            if kind in ("short", "list") and not gold_synonym_lists(gold):
                problems.append(f"{where}: a {kind} gold_answer must be a list of synonym lists")
            if kind == "long" and not (q.get("reference_answer") or gold_synonym_lists(gold)):
                problems.append(f"{where}: a long question needs a reference_answer")
            if not gold_ids:
                problems.append(f"{where}: an answerable question needs gold_doc_ids")
    return problems


def _fatal(problem: str) -> bool:
    return any(k in problem for k in ("missing 'question'", "missing 'expected_behavior'", "'question' must be", "expected_behavior "))


def corpus_doc_ids(paths: Iterable[Path]) -> dict[str, str]:
    """doc_id -> source file for every document of the corpus files and folders (as the loader names them)."""
    from ingest.loaders import iter_input_files, load_file

    found: dict[str, str] = {}
    for path in iter_input_files(list(paths)):
        if path.suffix.lower() == ".jsonl":  # fast path: only the ids are needed
            with path.open(encoding="utf-8") as handle:
                for line in handle:
                    if line.strip():
                        try:
                            doc_id = json.loads(line).get("doc_id")
                        except (json.JSONDecodeError, AttributeError):
                            continue
                        if isinstance(doc_id, str):
                            found[doc_id] = str(path)
            continue
        try:
            for document in load_file(path, 10**10):
                found[document.doc_id] = str(path)
        except Exception:  # reported by the ingest report when it is really ingested
            continue
    return found


def validate_suite(suite_dir: Path | str) -> list[str]:
    """Every problem found in a suite folder (an empty list means the suite is valid)."""
    root = Path(suite_dir)
    try:
        suite = load_suite(root)
    except SuiteError as exc:
        problems = [str(exc)]
        # keep going with field checks when only the questions are at fault
        try:
            spec = _read_spec(root.resolve())
            questions = [q for name in _as_list(spec.get("questions", "questions.jsonl")) for q in read_questions(root / name)]
            problems.extend(p for p in question_problems(questions) if p not in problems[0])
        except SuiteError:
            pass
        return problems
    problems: list[str] = []
    corpus_ids = corpus_doc_ids(suite.corpus)
    if not corpus_ids:
        problems.append(f"{root / 'suite.json'}: the corpus holds no documents")
    ids = {str(q["id"]) for q in suite.questions}
    for q in suite.questions:
        where = f"question {q['id']}"
        for g in q.get("gold_doc_ids") or []:
            if g not in corpus_ids:
                problems.append(f"{where}: gold doc {g!r} is not in the corpus")
            elif q.get("expected_behavior") == "answer" and g in suite.exclude_doc_ids:
                problems.append(f"{where}: gold doc {g!r} of an answerable question is excluded by exclude_doc_ids")
        for s in q.get("superseded_doc_ids") or []:
            if s not in corpus_ids:
                problems.append(f"{where}: superseded doc {s!r} is not in the corpus")
        base = q.get("variant_of")
        if base is not None and str(base) not in ids:
            problems.append(f"{where}: variant_of {base!r} names no question of this suite")
    unknown_excluded = sorted(suite.exclude_doc_ids - set(corpus_ids))
    if unknown_excluded and len(unknown_excluded) == len(suite.exclude_doc_ids):
        problems.append(f"{root}: none of the exclude_doc_ids ({unknown_excluded[:3]}...) is in the corpus")
    present = {str(q.get("category")) for q in suite.questions}
    for category in suite.categories:
        if category not in present:
            problems.append(f"{root / 'suite.json'}: category {category!r} is listed but has no questions")
    return problems


# ----------------------------------------------------------------------------- sampling and variants
def stratified_sample(
    questions: Sequence[Mapping[str, Any]], limit: int | None, seed: int = 0, key: str = "expected_behavior"
) -> list[Mapping[str, Any]]:
    """A deterministic sample of ``limit`` questions, stratified by ``key`` (``expected_behavior``).

    Each behaviour gets a share proportional to its size (largest remainders, ties to the larger group, at
    least one question per behaviour when ``limit`` allows), drawn with ``random.Random(seed)``; the
    chosen questions keep their file order. ``limit`` of ``None`` or at least the suite size keeps all.
    """
    if limit is None or limit >= len(questions):
        return list(questions)
    if limit <= 0:
        return []
    groups: dict[str, list[int]] = defaultdict(list)
    for i, q in enumerate(questions):
        groups[str(q.get(key))].append(i)
    names = sorted(groups, key=lambda g: (-len(groups[g]), g))
    total = len(questions)
    quotas = {g: (limit * len(groups[g])) // total for g in names}
    remainders = sorted(names, key=lambda g: (-((limit * len(groups[g])) % total), -len(groups[g]), g))
    for g in remainders[: limit - sum(quotas.values())]:
        quotas[g] += 1
    for g in names:  # every behaviour represented when possible
        if quotas[g] == 0 and limit >= len(names):
            donor = max(names, key=lambda d: quotas[d])
            quotas[donor] -= 1
            quotas[g] = 1
    rng = random.Random(seed)
    chosen: list[int] = []
    for g in names:
        chosen.extend(rng.sample(groups[g], quotas[g]))
    return [questions[i] for i in sorted(chosen)]


def variant_kind(question: Mapping[str, Any]) -> str | None:
    """``lay``, ``misspelled`` or ``demographic`` for a variant question (one with ``variant_of``), else ``None``.

    Read from a ``variant``/``variant_type``/``variant_kind`` field, else from the category or the id.
    """
    if not question.get("variant_of"):
        return None
    for key in ("variant", "variant_type", "variant_kind"):
        found = _kind_in(str(question.get(key) or ""))
        if found:
            return found
    return _kind_in(str(question.get("category") or "")) or _kind_in(str(question.get("id") or ""))


def _kind_in(text: str) -> str | None:
    text = text.lower()
    if re.search(r"(?<![a-z])(lay|layperson|plain)(?![a-z])", text):
        return "lay"
    if "misspel" in text or "typo" in text or "spelling" in text:
        return "misspelled"
    if "demograph" in text:
        return "demographic"
    return None


# ----------------------------------------------------------------------------- index cache key
def corpus_hashes(paths: Iterable[Path]) -> list[tuple[str, str]]:
    """(file name, sha256) of every supported file the corpus entries expand to, sorted."""
    from ingest.loaders import iter_input_files

    out = {(p.name, sha256_file(p)) for p in iter_input_files(list(paths)) if p.is_file()}
    return sorted(out)


def index_key(suite: Suite, index_fingerprint: str, embedder_name: str = "") -> str:
    """Cache key of a suite's index: corpus file hashes, excluded ids, index fingerprint (and an injected
    embedder's name, so a test embedder never shares an index with the real one)."""
    payload = {
        "corpus": corpus_hashes(suite.corpus),
        "exclude": sorted(suite.exclude_doc_ids),
        "index_fingerprint": index_fingerprint,
        "embedder": embedder_name,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]
