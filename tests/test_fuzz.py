"""Fuzzing the edges that take untrusted input: loaders, the chunker, the question path, the settings file and the
command line (``clinrag ask|search`` arguments, with and without ``--json``, run in-process on a fake-model index).

Every target either returns a well-formed result or rejects the input with a ``ClinragError`` whose message is not
empty and names the input (the file, or the question); any other exception is a failure. Results are checked
against the invariants downstream code relies on (chunk bounds and cover, document ids, JSON-safe metadata, text
the catalog can store as UTF-8).

Profiles: ``fast`` (default, 60 examples a target) and ``long`` (2,000), selected with the environment variable
``HYPOTHESIS_PROFILE``; ``bench/fuzz_bench.py`` runs the long profile and prints the outcome counts per target.

Real bugs found in code this suite does not own are pinned by ``test_known_bug_*`` tests marked
``xfail(strict=True)`` with the minimal failing input; the fuzz targets recognise exactly those failures (by
exception type and where it comes from) and count them as ``known:<id>`` instead of failing again, so the targets
keep looking for new bugs. When a bug is fixed its strict xfail turns into a failure: turn the test into a
regression test and delete its ``KNOWN_BUGS`` entry then (as was done for the loader bugs that the neutralising
ingest fixed: undecodable UTF-16, deep or blank front matter, escaped lone surrogates, the quadratic heading pattern
and YAML alias bombs).
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import shutil
import signal
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinrag.errors import ClinragError, ConfigError, IngestError, QuestionError
from clinrag.quantities import missing_numbers
from clinrag.records import Document, Page, Section
from clinrag.settings import ChunkingSettings, Settings, load_settings, read_settings_file
from ingest.chunking import SECTION_SEPARATOR, chunk_document
from ingest.loaders import decode_text, parse_jsonl, parse_markdown, parse_plain_text
from rag.focus import FocusedQuestion, focus_question
from rag.question_kind import is_yes_no_question
from rag.premise import question_premise
from rag.retrieval import MAX_QUESTION_CHARS, clean_question

_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much, HealthCheck.large_base_example]
settings.register_profile("fast", max_examples=60, deadline=None, suppress_health_check=_HEALTH)
settings.register_profile("long", max_examples=2000, deadline=None, suppress_health_check=_HEALTH)
PROFILE_NAME = os.environ.get("HYPOTHESIS_PROFILE", "fast")
if PROFILE_NAME not in {"fast", "long"}:
    raise RuntimeError(f"HYPOTHESIS_PROFILE={PROFILE_NAME!r}: tests/test_fuzz.py knows the profiles 'fast' and 'long'")
PROFILE = settings.get_profile(PROFILE_NAME)

PATH = Path("fuzz/input.md")
SHA = "0" * 64
OK = "ok"


# ----------------------------------------------------------------------------- bugs this suite found (all fixed since;
# the checks below still recognise them, so a regression is reported with its known description)
KNOWN_BUGS = {
    "front-matter-yaml": "ingest.loaders.parse_markdown: front matter whose YAML constructor fails (a date such as "
                         "2023-13-45, !!int 'x', !!float 'abc') raises ValueError instead of CorruptFileError; "
                         "minimal input '---\\na: 2023-13-45\\n---\\nx'",
    "chunk-surrogates": "ingest.chunking.chunk_document: a lone surrogate in a Document's text raises UnicodeEncodeError "
                        "in Chunk.make_id (the loaders no longer let one through, so only a Document built in code hits "
                        "it); minimal input Document(text='\\ud800')",
    "settings-encoding": "clinrag.settings.read_settings_file: a settings file that is not UTF-8 raises "
                         "UnicodeDecodeError instead of ConfigError; minimal input b'\\x80' in settings.toml",
    "settings-yaml": "clinrag.settings.read_settings_file: YAML whose constructor fails (a: 2023-13-45, !!int 'x') or "
                     "nests too deep ('[' * 5000) raises ValueError/RecursionError instead of ConfigError; minimal "
                     "input 'a: 2023-13-45' in settings.yaml",
    "settings-keys": "clinrag.settings.load_settings: a settings file whose top-level keys are not strings (YAML 1.1 "
                     "reads 'on:', 'yes:', 'true:', '1:' and 'null:' as non-strings) raises TypeError ('keywords must be "
                     "strings') instead of ConfigError; minimal input '1: 0' in settings.yaml",
}


def _from_yaml(exc: BaseException) -> bool:
    return any(f"{os.sep}yaml{os.sep}" in frame.filename for frame in traceback.extract_tb(exc.__traceback__))


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def _known(bug: str, exc: BaseException, tolerate: bool) -> str:
    if tolerate:
        return f"known:{bug}"
    raise exc


def _rejected(exc: ClinragError, must_name: str | None = None) -> str:
    message = str(exc)
    assert message.strip(), f"{type(exc).__name__} raised with an empty message"
    if must_name is not None:
        assert must_name in message, f"{type(exc).__name__} does not name {must_name!r}: {message!r}"
    return f"rejected:{type(exc).__name__}"


def _storable(*values: str) -> bool:
    """Text the catalog (SQLite, JSON, UTF-8) can hold."""
    try:
        for value in values:
            value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _storable_document(document: Document) -> bool:
    fields = (document.doc_id, document.title, document.text, document.issuer, document.version, document.date)
    return _storable(*fields, json.dumps(document.metadata, ensure_ascii=False))


# ----------------------------------------------------------------------------- strategies
FRAGMENTS = [
    "\x00", "\x07", "\x1b[31m", "\x7f", "\r\n", "\r", "\n", "\n\n", "\t", "\x0b", "\x0c", "\x85", "\u2028", "\u2029",
    "\u200b", "\u200d", "\ufeff", "\u202e", "\u2066", "\u2069", "\U000e0041\U000e0042", "\ud800", "\udfff",
    "\ufb01", "\u0130", "\u00df", "\u1e9e", "\u212a", "\U0001f600", "\u0301", "\uff11\uff10 mg",
    "---", "--- ", "---\n", "#", "# ", "## Heading", "###### deep", "####### too deep", "- ", "* ", "1. ", "2) ",
    "<|im_start|>", "</passage>", "[INST]", "<!-- c -->", "<span style=\"display:none\">",
    "?", ".", "!", ",", ";", ":", "e.g.", "i.e.", "Dr.", "et al.", "vs.", "\"", "'", "(", ")", "[1]", "[1, 2]",
    "5", "0.5", ".5", "1,000", "10-20", "3 to 6", "mg", " mg", "5 mg", "500 \u00b5g", "10 mg/kg/day", "twice daily",
    "per kg", "/day", "five days", "130/80 mm Hg", "%", "1e400", "007", "9" * 40,
    "since ", "Given that ", "Why does the guideline recommend ", "The guideline says ", "Is ", "Does ", "Should ",
    "Can ", "yes or no", "What ", "How often ", "Subject: ", "Message: ", "Hi doctor. ", "pt f/u q3mo htn bp ",
    "aspirin", "hypertension", "colonoscopy", "the", "a", "of", "   ",
]
any_char = st.characters(exclude_categories=())  # every code point, surrogates included
clean_char = st.characters(exclude_categories=("Cs",))  # what decoding a file can yield
huge_run = st.builds(lambda unit, n: unit * n, st.sampled_from(["a", "ab ", "1 mg ", "? ", ". ", "- x\n", "#"]),
                     st.integers(200, 2000))


def _without_surrogates(text: str) -> str:
    return "".join(ch for ch in text if not "\ud800" <= ch <= "\udfff")


def _mixed(char: st.SearchStrategy[str], max_parts: int = 30, clean: bool = False) -> st.SearchStrategy[str]:
    """Random text, known-awkward fragments and long runs, concatenated; ``clean``: no lone surrogates (what a
    decoded file can hold)."""
    part = st.one_of(st.text(char, max_size=20), st.sampled_from(FRAGMENTS), st.sampled_from(FRAGMENTS), huge_run)
    text = st.lists(part, max_size=max_parts).map("".join)
    return text.map(_without_surrogates) if clean else text


any_text = _mixed(any_char)
clean_text = _mixed(clean_char, clean=True)

YAML_VALUES = [
    "", "~", "null", "yes", "no", "on", "true", "0x1F", "1e400", ".nan", "-.inf", "007", "2023-05-01", "2023-13-45",
    "2023-02-30", "2023-05-01 10:00:00", "!!int 'x'", "!!float 'abc'", "!!binary 'a'", "!!str 1", "!!set {a, b}",
    "!!python/object:os.system x", "&a [1, 2]", "*a", "*missing", "[1, [2, [3]]]", "{a: 1}", "{", "[", "'unterminated",
    "\"esc \\ud800\"", "\" \"", "''", "\"\\n\"", "\"\\t\\u202e\"", "|\n  block", ">\n  folded", "current", "superseded", "retired", "Current", "- a\n- b",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
]
YAML_KEYS = ["doc_id", "title", "issuer", "version", "status", "effective_date", "date", "supersedes", "superseded_by",
             "text", "topic", "notice", "? complex", "1", "\"quoted\"", "&anchor key", "<<"]


@st.composite
def markdown_texts(draw, clean: bool = True) -> str:
    """Markdown with and without front matter (YAML variants, broken fences); ``clean``: no lone surrogates."""
    char = clean_char if clean else any_char
    body = draw(_mixed(char, clean=clean))
    if not draw(st.booleans()):
        return body
    keys = st.one_of(st.sampled_from(YAML_KEYS), st.text(char, max_size=8))
    values = st.one_of(st.sampled_from(YAML_VALUES), st.text(char, max_size=30))
    lines = draw(st.lists(st.tuples(keys, values), max_size=8))
    if draw(st.booleans()):  # the keys the loader interprets, with awkward values
        lines.insert(0, (draw(st.sampled_from(["doc_id", "title", "status", "effective_date"])), draw(st.sampled_from(YAML_VALUES))))
    front = "\n".join(f"{k}: {v}" for k, v in lines)
    if draw(st.booleans()):
        front = draw(st.text(char, max_size=80)) if draw(st.booleans()) else front + draw(st.sampled_from(YAML_VALUES))
    opener = draw(st.sampled_from(["---\n", "--- \n", "---\t\n", "----\n", "---"]))
    closer = draw(st.sampled_from(["\n---\n", "\n---", "\n--- \n", "\n...\n", "\n---\n\n", ""]))
    text = opener + front + closer + body
    return _without_surrogates(text) if clean else text


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(any_char, max_size=30))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                           max_leaves=8)


@st.composite
def jsonl_texts(draw) -> str:
    """Mostly valid corpus lines (unique string doc_id, non-blank text), with broken ones mixed in."""
    lines = []
    for number in range(draw(st.integers(0, 5))):
        kind = draw(st.integers(0, 9))
        if kind <= 6:
            record = draw(st.dictionaries(st.sampled_from(["title", "source", "url", "issuer", "date", "status", "x"]), json_values, max_size=4))
            record["doc_id"] = f"doc-{number}" if kind <= 3 else draw(st.one_of(st.sampled_from(["a", " ", ""]), json_values))
            record["text"] = draw(any_text.filter(str.strip)) if kind <= 4 else draw(st.one_of(any_text, json_values))
            # a decoded file holds no raw surrogates; escaped ones ("\\ud800", ensure_ascii) it can
            lines.append(_without_surrogates(json.dumps(record, ensure_ascii=draw(st.booleans()))))
        elif kind <= 7:
            lines.append(json.dumps(draw(json_values)))
        else:
            lines.append(draw(st.text(clean_char, max_size=40)))
    return "\n".join(lines)


@st.composite
def documents(draw, clean: bool = False) -> Document:
    char = clean_char if clean else any_char
    text = draw(_mixed(char, clean=clean))
    n = len(text)
    pages: tuple[Page, ...] = ()
    if draw(st.booleans()) and n:
        cuts = sorted(draw(st.lists(st.integers(0, n), max_size=4)))
        bounds = [0, *cuts, n]
        pages = tuple(Page(i + 1, bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1))
    starts = draw(st.lists(st.integers(-5, n + 5), max_size=6))
    paths = st.lists(st.text(char, max_size=12), min_size=0, max_size=3).map(tuple)
    sections = tuple(Section(s, draw(paths)) for s in starts)
    doc_id = draw(st.one_of(st.just("doc"), st.text(char, min_size=1, max_size=60)))
    return Document(doc_id, "T", text, "fuzz.txt", SHA, pages=pages, sections=sections)


chunk_settings = st.builds(ChunkingSettings, max_chars=st.integers(200, 4000), min_chars=st.integers(0, 400))


@st.composite
def settings_files(draw) -> tuple[str, bytes]:
    suffix = draw(st.sampled_from([".toml", ".yaml", ".yml", ".txt", ""]))
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return suffix, draw(st.binary(max_size=200))
    sections = {"retrieval": ["k", "rrf_k", "weight_lexical"], "chunking": ["max_chars", "min_chars"],
                "generation": ["generator", "seed", "api_base_url"], "policy": ["min_answerable"], "": ["index_dir", "max_file_mb"]}
    value = st.one_of(st.integers(-10, 5000), st.floats(allow_nan=True), st.booleans(), st.text(clean_char, max_size=20),
                      st.sampled_from(["extractive", "local", "nope", "2023-13-45", "1979-05-27T07:32:00Z", "inf", "nan"]))
    entries = draw(st.lists(st.tuples(st.sampled_from(sorted(sections)), st.text(st.characters(categories=("Ll",)), max_size=8), value),
                            max_size=6))
    if kind in (1, 2):  # TOML-like
        out = []
        for section, key, v in entries:
            key = key or draw(st.sampled_from(sections[section] or ["k"]))
            literal = json.dumps(v) if isinstance(v, str) else ("true" if v is True else "false" if v is False else repr(v))
            out.append((f"[{section}]\n" if section else "") + f"{key} = {literal}")
        text = "\n".join(out)
    elif kind in (3, 4):  # YAML-like
        out = []
        for section, key, v in entries:
            key = key or draw(st.sampled_from(sections[section] or ["k"]))
            out.append(f"{section}:\n  {key}: {v}" if section else f"{key}: {v}")
        text = "\n".join(out) + draw(st.sampled_from(["", "\n" + draw(st.sampled_from(YAML_VALUES))]))
    else:
        text = draw(_mixed(clean_char, 10))
    if draw(st.booleans()):  # a random edit: truncation or an inserted fragment
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from(FRAGMENTS[:40] + ["=", "[", "]", "{", "}", ":", "\"", "'", "\\"])) + text[cut:]
    return suffix, _without_surrogates(text).encode("utf-8")  # invalid UTF-8 comes from the raw-bytes kind


# ----------------------------------------------------------------------------- checks: loaders
def check_decode_text(data: bytes) -> str:
    try:
        text = decode_text(PATH, data)
    except ClinragError as exc:
        assert isinstance(exc, IngestError)
        return _rejected(exc, str(PATH))
    assert text.strip(), "decode_text returned blank text instead of EmptyDocumentError"
    assert "\r" not in text and "\x00" not in text and "\x1b" not in text, "line ends or control characters survived"
    return OK


def _check_document(document: Document, source_text: str | None = None) -> None:
    assert isinstance(document.doc_id, str) and document.doc_id.strip(), f"blank doc_id {document.doc_id!r}"
    assert document.status in {"current", "superseded"}
    assert document.text.strip(), "a document with no text was returned"
    if source_text is not None:  # ingest may remove hidden text and forged markers, never add text
        assert len(document.text) <= len(source_text), "the document text is longer than the input"
    json.dumps(document.catalog_entry())  # the catalog stores it as JSON
    previous = -1
    for section in document.sections:
        assert 0 <= section.start <= len(document.text) and section.start >= previous and section.path
        previous = section.start


def check_parse_markdown(text: str, tolerate: bool = True) -> str:
    try:
        document = parse_markdown(PATH, text, SHA)
    except ClinragError as exc:
        return _rejected(exc, str(PATH))
    except (ValueError, TypeError, OverflowError) as exc:
        if _from_yaml(exc):
            return _known("front-matter-yaml", exc, tolerate)
        raise
    if _storable(text):  # (a raw surrogate in the input cannot come from a decoded file)
        assert _storable_document(document), f"escaped lone surrogate reached {document.doc_id!r}"
    _check_document(document, text)
    return OK


def check_parse_plain_text(text: str) -> str:
    try:
        document = parse_plain_text(PATH, text, SHA)
    except ClinragError as exc:
        return _rejected(exc, str(PATH))
    _check_document(document, text)
    assert len(document.title) <= 200
    return OK


def check_parse_jsonl(text: str) -> str:
    try:
        documents_ = parse_jsonl(PATH, text)
    except ClinragError as exc:
        return _rejected(exc, str(PATH))
    assert documents_, "parse_jsonl returned no documents instead of EmptyDocumentError"
    assert len({d.doc_id for d in documents_}) == len(documents_), "repeated doc_ids in one file"
    for document in documents_:
        assert _storable_document(document), f"escaped lone surrogate reached {document.doc_id!r}"
        _check_document(document)
    return OK


# ----------------------------------------------------------------------------- checks: chunker
def check_chunk_document(args: tuple[Document, ChunkingSettings], tolerate: bool = True) -> str:
    document, chunking = args
    try:
        chunks = chunk_document(document, chunking)
    except UnicodeEncodeError as exc:
        if _has_surrogate(document.text) or _has_surrogate(document.doc_id):
            return _known("chunk-surrogates", exc, tolerate)
        raise
    text = document.text
    previous_end = 0
    covered = [False] * len(text)
    sections = {SECTION_SEPARATOR.join(s.path) for s in document.sections} | {""}
    for chunk in chunks:
        assert chunk.text == text[chunk.char_start : chunk.char_end] and chunk.text.strip()
        assert len(chunk.text) <= chunking.max_chars, f"chunk of {len(chunk.text)} > max_chars {chunking.max_chars}"
        assert chunk.char_start >= previous_end, "chunks overlap or are out of order"
        previous_end = chunk.char_end
        assert chunk.doc_id == document.doc_id and chunk.section in sections
        if document.pages:
            assert chunk.page_start is not None and chunk.page_start <= chunk.page_end
        for i in range(chunk.char_start, chunk.char_end):
            covered[i] = True
    assert len({c.chunk_id for c in chunks}) == len(chunks), "duplicate chunk ids"
    lost = [i for i, ch in enumerate(text) if not covered[i] and not ch.isspace()]
    assert not lost, f"non-space characters in no chunk, first at {lost[0]}: {text[lost[0]]!r}"
    return OK


def check_markdown_then_chunks(text: str, tolerate: bool = True) -> str:
    """The real path for a Markdown file: decoded text -> parse_markdown -> chunk_document."""
    outcome = check_parse_markdown(text, tolerate)
    if outcome != OK:
        return outcome
    return check_chunk_document((parse_markdown(PATH, text, SHA), ChunkingSettings()), tolerate)


# ----------------------------------------------------------------------------- checks: the question path
def check_question(text: str) -> str:
    try:
        question = clean_question(text)
    except ClinragError as exc:
        assert isinstance(exc, QuestionError)
        return _rejected(exc, "question")
    assert question and question == question.strip() and len(question) <= MAX_QUESTION_CHARS and "  " not in question
    focused = focus_question(question, 240)
    assert isinstance(focused, FocusedQuestion) and focused.original == question and focused.text.strip()
    assert isinstance(is_yes_no_question(question), bool) and isinstance(is_yes_no_question(focused.text), bool)
    premise = question_premise(question)
    assert premise is None or (premise.strip() and premise.endswith("."))
    return OK


def check_raw_question_helpers(text: str) -> str:
    """The helpers on raw text (no clean_question first): they must not raise on anything."""
    focused = focus_question(text, 0)
    assert focused.original == text
    assert isinstance(is_yes_no_question(text), bool)
    premise = question_premise(text)
    assert premise is None or isinstance(premise, str)
    return OK


def check_missing_numbers(pair: tuple[str, str]) -> str:
    claim, passage = pair
    missing = missing_numbers(claim, passage)
    assert isinstance(missing, list) and all(isinstance(m, str) and m for m in missing)
    assert len(set(missing)) == len(missing)
    assert missing_numbers(claim, claim) == [], "a claim's own numbers are missing from itself"
    assert missing_numbers(passage, passage) == []
    return OK


# ----------------------------------------------------------------------------- checks: settings
def check_settings_file(args: tuple[str, bytes], tolerate: bool = True) -> str:
    suffix, data = args
    with tempfile.TemporaryDirectory(prefix="clinrag-fuzz-") as folder:
        path = Path(folder) / f"settings{suffix}"
        path.write_bytes(data)
        try:
            loaded = read_settings_file(path)
        except ClinragError as exc:
            assert isinstance(exc, ConfigError)
            return _rejected(exc, str(path))
        except UnicodeDecodeError as exc:
            return _known("settings-encoding", exc, tolerate)
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            if _from_yaml(exc):
                return _known("settings-yaml", exc, tolerate)
            raise
        assert isinstance(loaded, dict)
        try:
            built = load_settings(path)
        except ClinragError as exc:
            assert isinstance(exc, ConfigError)
            return _rejected(exc)
        except TypeError as exc:
            if any(not isinstance(key, str) for key in loaded):
                return _known("settings-keys", exc, tolerate)
            raise
        assert isinstance(built, Settings) and built.fingerprint()
    return OK


# ----------------------------------------------------------------------------- checks: the command line (argv)
_CLI_INDEX: dict[str, Path] = {}


def _fake_cli_index() -> Path:
    """The tiny test corpus in an index built with the fake embedder, once per process (deleted at exit)."""
    if "path" not in _CLI_INDEX:
        from composition.app import App
        from tests.conftest import unit_calibration, write_tiny_corpus
        from tests.fakes import HashEmbedder, LexicalReader

        root = Path(tempfile.mkdtemp(prefix="clinrag-fuzz-cli-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        app = App(load_settings(index_dir=root / "index"), embedder=HashEmbedder(), reader=LexicalReader(),
                  calibration=unit_calibration())
        report = app.ingest([write_tiny_corpus(root / "corpus")])
        assert report.ok, report.failed
        _CLI_INDEX["path"] = root / "index"
    return _CLI_INDEX["path"]


@contextlib.contextmanager
def _fake_models():
    """``cli.main`` builds ``composition.app.App(settings)``; here that App gets the deterministic fakes."""
    import composition.app as app_module
    from tests.conftest import unit_calibration
    from tests.fakes import HashEmbedder, LexicalReader

    real = app_module.App

    def with_fakes(settings, **kwargs):
        kwargs.setdefault("embedder", HashEmbedder())
        kwargs.setdefault("reader", LexicalReader())
        kwargs.setdefault("calibration", unit_calibration())
        return real(settings, **kwargs)

    app_module.App = with_fakes
    try:
        yield
    finally:
        app_module.App = real


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``cli.main.main(argv)`` in this process with fake models; stdout and stderr are strict UTF-8 streams (as a
    UTF-8 terminal is), so text that cannot be written fails here as it would there. Returns (code, out, err)."""
    from cli.main import main

    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict", newline="\n")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict", newline="\n")
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        with _fake_models():
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse: a usage error (an argument that looks like an option)
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        sys.stdout, sys.stderr = saved
    texts = []
    for stream in (out, err):
        stream.flush()
        texts.append(stream.buffer.getvalue().decode("utf-8"))
    return code, texts[0], texts[1]


CLI_FRAGMENTS = [
    "\udcff", "\udc80", "\udcc3", "\ud800", "\udfff", "\x00", "\x01", "\x1b[2J", "\x7f", "\x9b", "\u200f", "\u200e",
    "\u202e", "\u2067", "\u061c", "\u00ad", "\ufeff", "-", "--", "-k", "--json", "target blood pressure",
    "nitrofurantoin", "sepsis antibiotics", "?",
]


@st.composite
def cli_cases(draw) -> tuple[str, str, tuple[str, ...]]:
    """(command, question or query, extra options): any text, argv-specific fragments, and inputs at and above the
    2,000-character limit."""
    command = draw(st.sampled_from(["ask", "search"]))
    part = st.one_of(st.text(any_char, max_size=20), st.sampled_from(CLI_FRAGMENTS), st.sampled_from(FRAGMENTS))
    text = draw(st.one_of(
        st.lists(part, max_size=20).map("".join),
        st.builds(lambda n, tail: "blood pressure " * n + tail, st.integers(125, 140), st.sampled_from(CLI_FRAGMENTS)),
        st.integers(1990, 2010).map(lambda n: ("a b " * n)[:n]),
    ))
    options = ["--json"] if draw(st.booleans()) else []
    if command == "search":
        options += ["--mode", draw(st.sampled_from(["fused", "bm25", "dense", "reranked"]))]
    return command, text, tuple(options)


def check_cli(case: tuple[str, str, tuple[str, ...]]) -> str:
    """``clinrag ask|search TEXT [--json]``: a normal answer, refusal or result list (exit 0; valid JSON with
    ``--json``), or a named error on one line of stderr (exit 2), or argparse's usage error (exit 2); never a
    traceback, never an escape sequence in the output."""
    command, text, options = case
    code, out, err = run_cli([command, text, *options, "--index", str(_fake_cli_index())])
    assert "Traceback" not in out + err
    assert "\x1b" not in out and "\x1b" not in err, "an escape sequence reached the terminal"
    if code == 2 and err.startswith("usage:"):
        return "rejected:usage"
    if code == 2:
        assert err.startswith(f"clinrag {command}: error: ") and err.count("\n") == 1, err
        assert "question" in err, f"the error does not say what is wrong with the question: {err!r}"
        return "rejected:QuestionError"
    assert code == 0, (code, out, err)
    if "--json" in options:
        data = json.loads(out)
        shown = data["question"] if command == "ask" else data["query"]
        assert _storable(shown) and not any(ch in shown for ch in "\x00\x1b\u202e\u200f"), shown
        if command == "ask":
            assert data["decision"] in {"answer", "refuse"}
        else:
            assert isinstance(data["results"], list)
    else:
        assert out.strip(), "nothing printed"
    return OK


# ----------------------------------------------------------------------------- the targets
@dataclass(frozen=True)
class Target:
    name: str
    strategy: st.SearchStrategy
    check: Callable[[Any], str]


TARGETS = [
    Target("loaders.decode_text", st.one_of(
        st.binary(max_size=400),
        st.builds(lambda bom, body: bom + body, st.sampled_from([b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf"]), st.binary(max_size=200)),
        any_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
        clean_text.map(lambda t: t.encode("utf-16")),
    ), check_decode_text),
    Target("loaders.parse_markdown", st.one_of(markdown_texts(), markdown_texts(clean=False)), check_parse_markdown),
    Target("loaders.parse_plain_text", any_text, check_parse_plain_text),
    Target("loaders.parse_jsonl", jsonl_texts(), check_parse_jsonl),
    Target("chunking.chunk_document", st.tuples(documents(clean=True), chunk_settings), check_chunk_document),
    Target("chunking.chunk_document(any text)", st.tuples(documents(), chunk_settings), check_chunk_document),
    Target("loaders+chunking (markdown)", markdown_texts(), check_markdown_then_chunks),
    Target("question path (clean_question, focus, yes/no, premise)", any_text, check_question),
    Target("question helpers on raw text", any_text, check_raw_question_helpers),
    Target("quantities.missing_numbers", st.tuples(any_text, any_text), check_missing_numbers),
    Target("settings.read_settings_file + load_settings", settings_files(), check_settings_file),
    Target("cli argv (ask, search; --json)", cli_cases(), check_cli),
]
TARGET = {t.name: t for t in TARGETS}


def _fuzz(name: str) -> Callable[[], None]:
    target = TARGET[name]

    @PROFILE
    @given(target.strategy)
    def run(value: Any) -> None:
        target.check(value)

    run.target = name  # type: ignore[attr-defined]
    return run


test_fuzz_decode_text = _fuzz("loaders.decode_text")
test_fuzz_parse_markdown = _fuzz("loaders.parse_markdown")
test_fuzz_parse_plain_text = _fuzz("loaders.parse_plain_text")
test_fuzz_parse_jsonl = _fuzz("loaders.parse_jsonl")
test_fuzz_chunk_document = _fuzz("chunking.chunk_document")
test_fuzz_chunk_document_any_text = _fuzz("chunking.chunk_document(any text)")
test_fuzz_markdown_then_chunks = _fuzz("loaders+chunking (markdown)")
test_fuzz_question_path = _fuzz("question path (clean_question, focus, yes/no, premise)")
test_fuzz_question_helpers_on_raw_text = _fuzz("question helpers on raw text")
test_fuzz_missing_numbers = _fuzz("quantities.missing_numbers")
test_fuzz_settings_file = _fuzz("settings.read_settings_file + load_settings")
test_fuzz_cli_argv = _fuzz("cli argv (ask, search; --json)")


def test_every_target_has_a_test():
    tested = [getattr(obj, "target", None) for key, obj in globals().items() if key.startswith("test_fuzz_")]
    assert sorted(tested) == sorted(TARGET), "add a test_fuzz_* line for every entry of TARGETS"


def test_rejections_name_the_input():
    assert check_decode_text(b"   ") == "rejected:EmptyDocumentError"
    assert check_decode_text(b"\x80abc") == "rejected:EncodingError"
    assert check_parse_markdown("---\na: [\n---\nbody") == "rejected:CorruptFileError"
    assert check_parse_jsonl('{"doc_id": "a", "text": "x"}\n{"doc_id": "a", "text": "y"}') == "rejected:CorruptFileError"
    assert check_question("   ") == "rejected:QuestionError"
    assert check_question("x" * (MAX_QUESTION_CHARS + 1)) == "rejected:QuestionError"
    assert check_settings_file((".toml", b"a = [")) == "rejected:ConfigError"
    assert check_settings_file((".yaml", b"- a\n- b")) == "rejected:ConfigError"
    assert check_settings_file((".toml", b"[retrieval]\nk = 0")) == "rejected:ConfigError"


# ----------------------------------------------------------------------------- found by fuzzing, fixed since: regressions
@pytest.mark.parametrize("data", [b"\xff\xfe\x00", b"\xff\xfe\x00\xd8", b"\xfe\xff\xd8\x00"])
def test_undecodable_utf16_is_an_encoding_error(data):
    assert check_decode_text(data) == "rejected:EncodingError"


def test_front_matter_nested_too_deep_is_a_corrupt_file():
    assert check_parse_markdown("---\na: " + "[" * 2000 + "\n---\nx", tolerate=False) == "rejected:CorruptFileError"


@pytest.mark.parametrize("doc_id", ['" "', '"\\n"'])
def test_a_blank_front_matter_doc_id_is_not_an_id(doc_id):
    # refused, or replaced by one derived from the file name; never a blank id (checked by _check_document)
    assert check_parse_markdown(f"---\ndoc_id: {doc_id}\n---\nx", tolerate=False) in {OK, "rejected:CorruptFileError"}


@pytest.mark.parametrize("check,text", [
    (check_parse_jsonl, '{"doc_id": "a", "text": "\\ud800"}'),
    (check_parse_markdown, '---\ndoc_id: "\\ud800"\n---\nx'),
], ids=["jsonl", "markdown"])
def test_escaped_lone_surrogates_never_reach_a_document(check, text):
    assert check(text) in {OK, "rejected:EncodingError", "rejected:CorruptFileError"}


# ----------------------------------------------------------------------------- the known bugs, pinned
@pytest.mark.parametrize("front", ["a: 2023-13-45", "a: !!int 'x'", "a: !!float 'abc'"])
def test_front_matter_yaml_value_errors_are_ingest_errors(front):
    assert check_parse_markdown(f"---\n{front}\n---\nx", tolerate=False) == "rejected:CorruptFileError"


def test_chunk_ids_take_lone_surrogates():
    assert check_chunk_document((Document("d", "T", "\ud800", "x.txt", SHA), ChunkingSettings()), tolerate=False) == OK


def test_a_settings_file_that_is_not_utf8_is_a_config_error():
    assert check_settings_file((".toml", b"\x80"), tolerate=False) == "rejected:ConfigError"


@pytest.mark.parametrize("text", [b"a: 2023-13-45", b"a: !!int 'x'", b"[" * 5000, b"1: 0", b"on: 1"])
def test_settings_yaml_value_errors_and_non_string_keys_are_config_errors(text):
    assert check_settings_file((".yaml", text), tolerate=False) == "rejected:ConfigError"


# ----------------------------------------------------------------------------- hostile inputs too structured for random
# generation to reach (found by reading the loaders, fixed since): regressions with their minimal form
class _Timeout(Exception):
    pass


def _within(seconds: int, call: Callable[[], Any]) -> Any:
    """``call()``, or ``_Timeout`` after ``seconds`` (SIGALRM; main thread, POSIX)."""
    def expire(_signum, _frame):
        raise _Timeout(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        return call()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_long_heading_like_line_parses_in_linear_time():
    """A line of '# ' * n + 'x' made the heading pattern backtrack quadratically (20,000 repeats: minutes)."""
    _within(5, lambda: parse_markdown(PATH, "# " + "# " * 20000 + "x\n\nbody", SHA))


def test_front_matter_alias_bombs_are_refused_or_kept_small():
    """Five nested 10-fold YAML aliases (about 200 bytes) used to expand into 580 KB of metadata (nine: gigabytes)."""
    levels = ["a: &a [x,x,x,x,x,x,x,x,x,x]"] + [
        f"{b}: &{b} [{', '.join(['*' + a] * 10)}]" for a, b in zip("abcd", "bcde")
    ]
    text = "---\n" + "\n".join(levels) + "\n---\nbody"
    try:
        document = _within(5, lambda: parse_markdown(PATH, text, SHA))
    except ClinragError:
        return
    size = len(json.dumps(document.metadata))
    assert size <= 100 * len(text), f"{len(text)} bytes of front matter became {size} bytes of metadata"


# ----------------------------------------------------------------------------- the command line: regressions
@pytest.mark.parametrize("command", ["ask", "search"])
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("text,outcome", [
    ("target blood pressure \udcff hypertension", "rejected:QuestionError"),  # a stray byte in a shell argument
    ("\udcc3\udca9", "rejected:QuestionError"),
    ("blood pressure \ud800 target", "rejected:QuestionError"),  # a broken escape
    ("\x00\x01\x02", "rejected:QuestionError"),
    ("\u202e\u200f\u2067", "rejected:QuestionError"),
    ("target\x00 blood\x1b[31m pressure", OK),
    ("\u202etarget blood pressure\u200f in adults", OK),
    (("blood pressure target " * 100)[:2000], OK),
    ("blood pressure target " * 100, "rejected:QuestionError"),  # 2,200 characters
    ("-k", "rejected:usage"),
])
def test_the_cli_gives_a_named_error_or_a_normal_result_for_any_argument(command, as_json, text, outcome):
    """Found by reading the argv path: a lone surrogate (what a non-UTF-8 byte of a shell argument becomes) reached
    the tokenizer of the embedder and failed with a TypeError traceback; it is a QuestionError now."""
    assert check_cli((command, text, ("--json",) if as_json else ())) == outcome


def test_a_question_error_names_the_byte_and_where_it_is():
    code, out, err = run_cli(["ask", "target \udcff blood pressure", "--index", str(_fake_cli_index())])
    assert code == 2 and out == ""
    assert err == ("clinrag ask: error: the question holds the byte \\xff (not UTF-8) at character 8; retype the "
                   "question as UTF-8 text (check the terminal's encoding, for example LANG=C.UTF-8)\n")


def test_control_and_format_characters_leave_the_question_before_anything_reads_it():
    assert clean_question("a\x00b \x1b[31mc\u202e d\u200b\ufeffe") == "a b [31mc de"
    with pytest.raises(QuestionError, match="lone surrogate"):
        clean_question("x\udfff")
