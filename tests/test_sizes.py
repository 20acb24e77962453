"""Sizes: outside data tables, no function over 60 lines and no module over 400 lines in every
package of the project's code (stacks, handlers, contract, bench, localcloud); no test module over
600 lines.

What a data table is, here: a container written out element by element (a list, tuple, set or
dict display) of at least ``TABLE_ROWS`` elements, every one of them plain data: a constant, a
name, an attribute, an f-string of those, a nested display of plain data, or a call of a record
constructor (a class: its name is capitalised) with plain arguments. A lambda, an operator, a
comparison, a condition, a comprehension or any other call makes it code, whatever its shape.
Its lines are rows, not logic: they do not count toward the size of the function or the module
that holds it (a display inside another counts once). Everything else counts as written:
docstrings, comments and blank lines included, since they are what a reader has to get through.

A module over the limit is split by concept (a module per concept, named for what it is); a
function, into the steps it strings together.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("stacks", "handlers", "contract", "bench", "localcloud")
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 400
MAX_TEST_MODULE_LINES = 600
TABLE_ROWS = 3
_DISPLAYS = (ast.List, ast.Tuple, ast.Set, ast.Dict)


def _parts(node: ast.AST) -> list[ast.AST | None] | None:
    """The parts that must be plain for ``node`` to be plain data; None when it is code."""
    parts: list[ast.AST | None] | None = None
    if isinstance(node, (ast.Constant, ast.Name)):
        parts = []
    elif isinstance(node, (ast.Attribute, ast.Starred)):
        parts = [node.value]
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        parts = [node.operand] if isinstance(node.operand, ast.Constant) else None  # -1
    elif isinstance(node, ast.JoinedStr):
        parts = [part.value for part in node.values if isinstance(part, ast.FormattedValue)]
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        parts = list(node.elts)
    elif isinstance(node, ast.Dict):
        parts = [*node.keys, *node.values]  # a ``**spread``'s key is None
    elif isinstance(node, ast.Call):
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        if name[:1].isupper():
            parts = [node.func, *node.args, *(keyword.value for keyword in node.keywords)]
    return parts


def _plain(node: ast.AST | None) -> bool:
    """Whether ``node`` is plain data (see the module's docstring)."""
    if node is None or isinstance(node, ast.Constant):
        return True  # None: a dict's ``**spread`` key
    parts = _parts(node)
    return parts is not None and all(_plain(part) for part in parts)


def _table_lines(tree: ast.AST) -> set[int]:
    """The lines of every data table (see the module's docstring) in ``tree``."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, _DISPLAYS) and _plain(node):
            size = len(node.keys) if isinstance(node, ast.Dict) else len(node.elts)
            if size >= TABLE_ROWS:
                lines.update(range(node.lineno, node.end_lineno + 1))
    return lines


def _sizes(path: Path) -> tuple[int, list[tuple[str, int]]]:
    """A module's size and the size of each of its functions (``Class.method`` for methods),
    data tables left out."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    tables = _table_lines(tree)
    module = len(text.splitlines()) - len(tables)
    functions = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                span = set(range(child.lineno, child.end_lineno + 1))
                functions.append((f"{prefix}{child.name}", len(span - tables)))
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return module, functions


def _modules() -> list[Path]:
    return sorted(
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "node_modules" not in path.parts
    )


def _oversized() -> tuple[list[str], list[str]]:
    modules, functions = [], []
    for path in _modules():
        name = path.relative_to(ROOT).as_posix()
        module, sizes = _sizes(path)
        if module > MAX_MODULE_LINES:
            modules.append(f"{name}: {module} lines")
        functions += [f"{name}:{fn}: {n} lines" for fn, n in sizes if n > MAX_FUNCTION_LINES]
    return modules, functions


def test_no_test_module_over_the_limit():
    over = [
        f"{path.relative_to(ROOT).as_posix()}: {size} lines"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if (size := _sizes(path)[0]) > MAX_TEST_MODULE_LINES
    ]
    assert not over, f"test modules over {MAX_TEST_MODULE_LINES} lines: " + "; ".join(over)


def test_no_module_over_the_limit():
    modules, _ = _oversized()
    assert not modules, f"modules over {MAX_MODULE_LINES} lines (data tables left out): " + (
        "; ".join(modules)
    )


def test_no_function_over_the_limit():
    _, functions = _oversized()
    assert not functions, f"functions over {MAX_FUNCTION_LINES} lines (data tables left out): " + (
        "; ".join(functions)
    )


def test_a_table_is_left_out_and_logic_is_not(tmp_path):
    """The rule itself: a long display does not count, long code does."""
    rows = "\n".join(f"    {i}," for i in range(80))
    table = tmp_path / "table.py"
    table.write_text(f"def rows():\n    return [\n{rows}\n    ]\n", encoding="utf-8")
    code = tmp_path / "code.py"
    body = "\n".join(f"    x{i} = {i}" for i in range(80))
    code.write_text(f"def steps():\n{body}\n", encoding="utf-8")
    assert _sizes(table) == (1, [("rows", 1)])
    assert _sizes(code) == (81, [("steps", 81)])


@pytest.mark.parametrize(
    "row",
    [
        "lambda: 1",
        "PRICE * 2",
        "LIMIT > 3",
        "A if FLAG else B",
        "[x for x in ROWS]",
        "compute(1)",
        "Record(lambda: 1)",
        "Record(size=N + 1)",
        "not FLAG",
        "ROWS[0]",
    ],
)
def test_a_display_holding_code_is_not_a_table(tmp_path, row):
    """Each kind of code in a display makes the whole display count as code."""
    rows = "\n".join(f"    {row}," for _ in range(80))
    module = tmp_path / "code.py"
    module.write_text(f"ROWS = [\n{rows}\n]\n", encoding="utf-8")
    assert _sizes(module)[0] == 82


def test_records_names_and_nested_literals_are_a_table(tmp_path):
    rows = "\n".join(
        f"    Record(NAME, x.y, -1, f'{{NAME}}-{i}', {{'k': (1, None)}}, *REST, size={i}),"
        for i in range(80)
    )
    module = tmp_path / "table.py"
    module.write_text(f"ROWS = [\n{rows}\n]\n", encoding="utf-8")
    assert _sizes(module)[0] == 0
