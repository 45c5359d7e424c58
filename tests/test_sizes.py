"""One job per unit (issue 17, item 2), checked from the source: no production module over ``MAX_MODULE_LINES``
lines and no function over ``MAX_FUNCTION_LINES`` (a nested function counts in its parent's lines too), except
argument parsers (a function named ``*parser*`` that calls ``add_argument``/``add_parser``: a flat list of options).

The units still to split are listed by name below; a new offender fails the test. A listed module brought under
the limit fails it too (strike it from the list, which only shrinks); a listed function fails it once it is gone
(split or renamed). The functions are listed whether or not they are over the limit in the last commit: the work on
them in progress (issue 15) has them over it in the working tree.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.test_architecture import PRODUCTION

REPO = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 80

# still to split: nothing (the index store, the ingest pipeline and the CLI were split in issue 17, the answerer's
# _answer into its gate, draft and checked-answer steps); a unit may join these lists only with a reason beside it
LONG_MODULES: set[str] = set()
LONG_FUNCTIONS: set[str] = set()


def _is_argument_parser(node: ast.AST) -> bool:
    calls = {n.func.attr for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    return "parser" in node.name.lower() and bool(calls & {"add_argument", "add_parser", "add_subparsers"})


def _functions(tree: ast.AST, prefix: str = ""):
    """(qualified name, lines) of every function and method, nested ones too."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + node.name, node.end_lineno - node.lineno + 1, node
            yield from _functions(node, f"{prefix}{node.name}.<locals>.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        else:
            yield from _functions(node, prefix)


def oversized(root: Path) -> tuple[dict[str, int], dict[str, int]]:
    """(module -> lines, "module: function" -> lines) of the production units over the limits."""
    modules: dict[str, int] = {}
    functions: dict[str, int] = {}
    for path in sorted(p for top in PRODUCTION for p in (root / top).rglob("*.py") if "__pycache__" not in p.parts):
        shown = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        if (lines := len(text.splitlines())) > MAX_MODULE_LINES:
            modules[shown] = lines
        for name, lines, node in _functions(ast.parse(text, filename=shown)):
            if lines > MAX_FUNCTION_LINES and not _is_argument_parser(node):
                functions[f"{shown}: {name}"] = lines
    return modules, functions


def test_no_module_or_function_is_over_its_limit_beyond_the_listed_ones():
    modules, functions = oversized(REPO)
    new_modules = {m: n for m, n in modules.items() if m not in LONG_MODULES}
    new_functions = {f: n for f, n in functions.items() if f not in LONG_FUNCTIONS}
    assert not new_modules, (f"modules over {MAX_MODULE_LINES} lines: {new_modules}; split them by job (see ARCHITECTURE.md), "
                             "and import each name from where it now lives (no re-export left behind)")
    assert not new_functions, (f"functions over {MAX_FUNCTION_LINES} lines: {new_functions}; extract the steps into "
                               "named functions")


def _all_functions(root: Path) -> set[str]:
    return {f"{path.relative_to(root).as_posix()}: {name}"
            for path in {root / entry.split(":")[0] for entry in LONG_FUNCTIONS} if path.is_file()
            for name, _lines, _node in _functions(ast.parse(path.read_text(encoding="utf-8")))}


def test_the_list_of_units_still_to_split_only_shrinks():
    modules, _functions = oversized(REPO)
    done = sorted(LONG_MODULES - set(modules))
    assert not done, f"{done} are within {MAX_MODULE_LINES} lines now (or gone): strike them from LONG_MODULES in {__file__}"
    gone = sorted(LONG_FUNCTIONS - _all_functions(REPO))
    assert not gone, f"{gone} no longer exist (split or renamed): strike them from LONG_FUNCTIONS in {__file__}"


def test_the_check_finds_a_long_module_and_a_long_function_but_not_an_argument_parser(tmp_path):
    (tmp_path / "rag").mkdir()
    long_body = "".join(f"    x{i} = {i}\n" for i in range(80))  # with its def line: 81 lines
    options = "".join(f"    p.add_argument('--o{i}')\n" for i in range(100))
    source = ("class A:\n    def run(self):\n" + long_body.replace("    ", "        ") + "\n"  # 81-line method
              "def short():\n" + long_body[: -len("    x79 = 79\n")] + "\n"  # 80 lines: within the limit
              "def build_parser(p):\n" + options + "\n"
              "def parser_in_name_only():\n" + long_body + "\n" + "# filler\n" * 200)
    (tmp_path / "rag" / "long.py").write_text(source, encoding="utf-8")
    modules, functions = oversized(tmp_path)
    assert modules == {"rag/long.py": 83 + 81 + 102 + 82 + 200}
    assert functions == {"rag/long.py: A.run": 81, "rag/long.py: parser_in_name_only": 81}


@pytest.mark.parametrize("lines", [MAX_MODULE_LINES, MAX_MODULE_LINES + 1])
def test_the_module_limit_is_inclusive(tmp_path, lines):
    (tmp_path / "ingest").mkdir()
    (tmp_path / "ingest" / "m.py").write_text("x = 1\n" * lines, encoding="utf-8")
    assert bool(oversized(tmp_path)[0]) is (lines > MAX_MODULE_LINES)
