"""The floors of the house, checked from the source: every ``import`` (also the ones inside functions) is parsed with
``ast`` and no module may import a floor above its own, nor a sibling room on its floor.

    floor 0  core          clinrag/ (errors, records, protocols, settings, text, quantities, privacy, threads, chain)
                           and models/ (the shipped weights): data and rules
    floor 1  pipelines     ingest/ (files -> index), rag/ (question -> verified answer), stores/ (the audit log,
                           feedback, accounts); three rooms that never import each other
    floor 2  composition   composition/: App builds the parts, AnswerService answers and audits
    floor 3  shells        cli/, ui/, eval/, training/

The folders are the floors: a module takes the floor of its package, so a new module needs no entry here, and a
new top-level package fails ``test_every_folder_of_code_has_a_floor`` until it is placed. ``tests/``, ``bench/``
and ``scripts/`` stand outside the house and may import anything; nothing inside imports them (``ui.app_factory``
names a test factory as a string, not an import). See ARCHITECTURE.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PRODUCTION = ("clinrag", "stores", "ingest", "rag", "composition", "cli", "ui", "eval", "training", "models")
OUTSIDE = ("tests", "bench", "scripts")
FLOOR_NAMES = {0: "core", 1: "pipelines", 2: "composition root", 3: "shells"}

# module (or package) -> (floor, room); the longest matching prefix wins
PLACES: dict[str, tuple[int, str]] = {
    "clinrag": (0, "core"),  # __init__ pins three environment variables and imports nothing
    "models": (0, "core"),  # shipped weights as package data
    "ingest": (1, "ingest"),
    "rag": (1, "rag"),
    "stores": (1, "stores"),
    "composition": (2, "composition"),
    "cli": (3, "shells"),
    "ui": (3, "shells"),
    "eval": (3, "shells"),
    "training": (3, "shells"),
}


def place(module: str) -> tuple[int, str] | None:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        found = PLACES.get(".".join(parts[:n]))
        if found is not None:
            return found
    return None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def production_files() -> list[Path]:
    return sorted(p for top in PRODUCTION for p in (REPO / top).rglob("*.py") if "__pycache__" not in p.parts)


def _submodule(module: str, name: str) -> str:
    """``from rag import answer`` imports the module rag.answer when there is one; else a name of ``rag``."""
    candidate = REPO.joinpath(*module.split("."), name)
    if candidate.with_suffix(".py").is_file() or (candidate / "__init__.py").is_file():
        return f"{module}.{name}"
    return module


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found += [(node.lineno, _submodule(module, alias.name)) for alias in node.names]
    return found


def violations() -> list[str]:
    problems: list[str] = []
    for path in production_files():
        importer = module_name(path)
        here = place(importer)
        shown = path.relative_to(REPO)
        if here is None:
            problems.append(
                f"{shown}: module {importer} has no floor; expected an entry in PLACES of tests/test_architecture.py "
                "(and a line in ARCHITECTURE.md); fix: add it to the floor whose modules it imports at most"
            )
            continue
        for line, target in imports_of(path):
            top = target.split(".")[0]
            if top in OUTSIDE:
                problems.append(f"{shown}:{line} imports {target}; production code must not import {top}/; "
                                "fix: move what it needs into the package, or pass it in")
                continue
            if top not in PRODUCTION:
                continue  # the standard library or a third-party package
            there = place(target)
            if there is None:
                continue  # reported when that module itself is checked
            (floor, room), (their_floor, their_room) = here, there
            if their_floor > floor:
                problems.append(
                    f"{shown}:{line} imports {target}: floor {floor} ({FLOOR_NAMES[floor]}) reaches up to floor "
                    f"{their_floor} ({FLOOR_NAMES[their_floor]}); expected imports of floors 0..{floor} only; fix: move "
                    "the shared part down (to the core), or let the higher floor pass it in"
                )
            elif their_floor == floor == 1 and room != their_room:
                problems.append(
                    f"{shown}:{line} imports {target}: the {room} room imports the {their_room} room on the same floor; "
                    "expected the pipelines and the stores to meet only in the core and composition.app; fix: move the shared "
                    "part to the core, or wire the two in composition.app"
                )
    return problems


def test_no_floor_imports_a_higher_one_and_no_pipeline_imports_another():
    problems = violations()
    assert not problems, "\n".join(problems)


def test_the_core_imports_nothing_else_of_the_project():
    for path in production_files():
        if place(module_name(path)) == (0, "core"):
            for line, target in imports_of(path):
                if target.split(".")[0] in PRODUCTION:
                    assert place(target) == (0, "core"), f"{path.relative_to(REPO)}:{line} imports {target}"


@pytest.mark.parametrize(
    ("source", "name", "expected"),
    [
        ("from rag.answer import Answerer\n", "clinrag/records.py", "floor 0 (core) reaches up to floor 1"),
        ("import ingest.index\n", "rag/fusion.py", "the rag room imports the ingest room"),
        ("def f():\n    from cli.main import main\n", "rag/fusion.py", "reaches up to floor 3 (shells)"),
        ("from tests.fakes import HashEmbedder\n", "composition/app.py", "must not import tests/"),
        ("from . import answer\n", "rag/fusion.py", None),
        ("from composition import app\n", "rag/fusion.py", "reaches up to floor 2 (composition root)"),
        ("from clinrag import records\n", "rag/fusion.py", None),
    ],
)
def test_the_rule_catches_an_upward_import(tmp_path, monkeypatch, source, name, expected):
    """The checker itself: a planted file with a bad import is reported (and a good one is not)."""
    fake_repo = tmp_path / "repo"
    target = fake_repo / name
    target.parent.mkdir(parents=True)
    target.write_text(source, encoding="utf-8")
    for module in ("composition/app.py", "clinrag/records.py", "rag/answer.py"):  # what the planted imports name
        (fake_repo / module).parent.mkdir(parents=True, exist_ok=True)
        (fake_repo / module).touch()
    monkeypatch.setitem(globals(), "REPO", fake_repo)
    problems = violations()
    if expected is None:
        assert problems == []
    else:
        assert len(problems) == 1 and expected in problems[0], problems


def test_a_new_module_takes_the_floor_of_its_folder(tmp_path, monkeypatch):
    fake_repo = tmp_path / "repo"
    (fake_repo / "clinrag").mkdir(parents=True)
    (fake_repo / "clinrag" / "newthing.py").write_text("from stores.audit import record_event\n", encoding="utf-8")
    monkeypatch.setitem(globals(), "REPO", fake_repo)
    (problem,) = violations()
    assert "clinrag/newthing.py:1 imports stores.audit: floor 0 (core) reaches up to floor 1" in problem


def test_every_folder_of_code_has_a_floor():
    """A top-level folder of Python code is a room of the house (in PRODUCTION, with a floor in PLACES) or stands
    outside it; a new package is not checked until it is placed."""
    folders = {d.name for d in REPO.iterdir() if d.is_dir() and not d.name.startswith(".") and any(d.glob("*.py"))}
    assert folders <= {*PRODUCTION, *OUTSIDE}, f"folders of code with no floor: {sorted(folders - {*PRODUCTION, *OUTSIDE})}"
    assert set(PRODUCTION) == set(PLACES), "every production package has a floor in PLACES, and only those"


def _writes_instance_dict(tree: ast.AST) -> list[int]:
    """Lines that write into an object's ``__dict__`` (``x.__dict__[k] = v``, ``x.__dict__.setdefault/update(...)``)."""
    lines = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign) else []
        for target in targets:
            if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute) and target.value.attr == "__dict__":
                lines.append(node.lineno)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in {"setdefault", "update"}
                and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "__dict__"):
            lines.append(node.lineno)
    return lines


def test_no_part_is_injected_by_writing_into_an_instance_dict():
    files = [*production_files(), *sorted((REPO / "tests").glob("*.py")), *sorted((REPO / "bench").glob("*.py"))]
    found = [f"{p.relative_to(REPO)}:{line}" for p in files if p.name != "test_architecture.py"
             for line in _writes_instance_dict(ast.parse(p.read_text(encoding="utf-8")))]
    assert not found, f"parts written into __dict__ at {found}; pass them to App(...) instead (composition/app.py)"


def test_the_composition_root_is_typed():
    import inspect
    from functools import cached_property

    from composition import app as root

    functions = [root.App.__init__, *(getattr(root, n) for n in dir(root) if n.startswith(("build_", "load_fitted")))]
    functions += [m for _, m in inspect.getmembers(root.App, inspect.isfunction) if not m.__name__.startswith("_")]
    functions += [p.func for _, p in inspect.getmembers(root.App, lambda v: isinstance(v, cached_property))]
    assert len(functions) >= 12
    for function in functions:
        hints = inspect.signature(function)
        missing = [n for n, p in hints.parameters.items() if n != "self" and p.annotation is inspect.Parameter.empty]
        assert not missing, f"{function.__qualname__}: parameters without a type: {missing}"
        assert hints.return_annotation is not inspect.Signature.empty, f"{function.__qualname__} has no return type"
    injected = inspect.signature(root.App.__init__).parameters
    assert {"reader", "calibration", "drafters", "store", "embedder"} <= set(injected)


def test_one_helper_hashes_a_file(tmp_path):
    """``clinrag.records.sha256_file`` is the one "sha256 of a file" (it was written out in rag/models.py,
    rag/reader.py, training/sources.py and eval/suites.py)."""
    import hashlib

    from clinrag.records import sha256_file

    data = bytes(range(256)) * 40_000  # 10 MB: more than two read blocks
    (tmp_path / "f.bin").write_bytes(data)
    assert sha256_file(tmp_path / "f.bin") == hashlib.sha256(data).hexdigest()
    copies = [f"{p.relative_to(REPO)}:{node.lineno}" for p in production_files()
              for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
              if isinstance(node, ast.FunctionDef) and "sha256" in node.name and "file" in node.name
              and p != REPO / "clinrag" / "records.py"]
    assert not copies, f"another file hasher at {copies}; use clinrag.records.sha256_file"
