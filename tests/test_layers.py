"""The architecture's layers, kept: every import of the project's own code points downward.

Each rule names a part of the tree (a path pattern) and what it may import of the project; an
import of anything else of the project is a violation, reported with the file and line. Every
module of stacks/, handlers/, localcloud/, contract/ and bench/ matches exactly one rule: a module
no rule covers (a new folder, a new file beside the parts) fails, naming itself, until it is added
to the layers. An import by a string (``importlib.import_module("...")``) is checked as any
import; one by a computed name is allowed only where ``DYNAMIC_IMPORTS`` lists it. Imports of
libraries are not this test's business. docs/architecture.md draws the same picture.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("stacks", "handlers", "localcloud", "contract", "bench", "main", "tests")

# localcloud's parts, from the top down; a part imports itself and the parts below it, except the
# parts on its own level (siblings stay independent).
LOCALCLOUD_LEVELS = (
    ("tools",),
    ("rehearsal",),
    ("runner",),
    ("deploy", "gateway", "triggers"),
    ("lambdas",),
    ("emulator",),
    ("base",),
)
# The domain (the order rules) and the runtime stand side by side: neither imports the other, so
# the domain imports nothing but the spec.
STORE_LEVELS = (("data", "http", "events"), ("domain", "runtime"), ("spec",))
STACKS_LEVELS = (("platform",), ("store",), ("base",))


def _below(package: str, levels: tuple[tuple[str, ...], ...], part: str) -> tuple[str, ...]:
    """What ``package.part`` may import of ``package``: itself and every part on a lower level."""
    index = next(i for i, level in enumerate(levels) if part in level)
    lower = [name for level in levels[index + 1 :] for name in level]
    return tuple(f"{package}.{name}" for name in (part, *lower))


@dataclass(frozen=True)
class Rule:
    """Modules at ``source`` (a path pattern: ``*`` one name, ``**`` any depth) may import, of
    the project, only what starts with ``allowed``."""

    source: str
    allowed: tuple[str, ...]


def _parts(top: str, package: str, levels: tuple[tuple[str, ...], ...], **extra) -> list[Rule]:
    """A rule per part of ``package`` (folder ``top``): itself and the parts below it, and
    ``extra[part]`` or ``extra["all"]`` of the rest of the project."""
    return [
        Rule(
            f"{top}/{part}/**",
            (*_below(package, levels, part), *extra.get(part, ()), *extra.get("all", ())),
        )
        for level in levels
        for part in level
    ]


_LOCALCLOUD_READS = ("localcloud.__init__", "stacks.base", "handlers.store.spec")
RULES = (
    # The Lambda entry modules import only the shared package ``store``: never one another.
    Rule("handlers/*.py", ("handlers.store",)),
    Rule("handlers/store/__init__.py", ()),
    *_parts("handlers/store", "handlers.store", STORE_LEVELS),
    Rule("stacks/__init__.py", ()),
    *_parts("stacks", "stacks", STACKS_LEVELS, all=("handlers.store.spec",)),
    Rule("localcloud/__init__.py", ()),
    Rule("localcloud/__main__.py", ("localcloud.tools",)),
    # The rehearsal's cdktf app (localcloud/rehearsal/app.py), which cdktf runs in a process of
    # its own, builds the project's stacks as main.py does.
    *_parts(
        "localcloud", "localcloud", LOCALCLOUD_LEVELS, all=_LOCALCLOUD_READS, rehearsal=("stacks",)
    ),
    Rule(
        "contract/**", ("contract", "handlers.store.spec", "localcloud.base", "localcloud.__init__")
    ),
    # The benchmarks measure every part, with the tests' pytest-free helpers; nothing imports them.
    Rule("bench/**", ("bench", "main", "stacks", "handlers", "localcloud", "contract", "tests")),
)

# Imports by a name computed at run time, which no rule can check: each is listed, by module and
# the expression it imports, with why. A string literal is checked as any import is.
DYNAMIC_IMPORTS = {
    ("localcloud.lambdas.worker_main", "module_name.replace('/', '.')"): (
        "the function's handler module, named by its configuration (the runtime's job)"
    ),
    ("localcloud.lambdas.worker_main", "name"): "the modules a function preloads, by its name",
    ("localcloud.emulator.state", "backends.backend.__module__"): "a moto backend's own module",
    ("localcloud.emulator.state", "module"): "moto's backends module of each service it saves",
    ("localcloud.emulator.patches.record", "'.'.join(parts[:end])"): (
        "the module of a patched member of moto or botocore, named by the patch book's record"
    ),
    ("bench.requests_bench", "name"): "the Lambda entry modules it invokes in process",
    ("bench.package_size", "package"): "an installed package whose size it reports",
}


def _pattern(source: str) -> re.Pattern[str]:
    parts = (
        ".*" if part == "**" else re.escape(part).replace(r"\*", "[^/]*")
        for part in source.split("/")
    )
    return re.compile("/".join(parts).replace("/.*", "(/.*)?") + "$")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _entry_modules() -> set[str]:
    """The Lambda entry modules' names: beside ``store`` at the functions' root, handlers/."""
    return {path.stem for path in (ROOT / "handlers").glob("*.py")}


def _dynamic(node: ast.AST) -> ast.expr | None:
    """The argument of ``importlib.import_module(x)`` or ``__import__(x)``, if ``node`` is one."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    name = ast.unparse(node.func)
    return node.args[0] if name in ("importlib.import_module", "__import__") else None


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of the project's own code, as absolute names.

    The Lambda code imports its shared package as ``store`` and the entry modules by their own
    names (the function's root is handlers/): those are ``handlers.store`` and ``handlers.<name>``
    here. ``from package import name`` counts as ``package.name``; an import by a string literal
    counts as any import; one by a computed name is ``dynamic:<expression>``.
    """
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    entries = _entry_modules() if module.startswith("handlers.") else set()
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        argument = _dynamic(node)
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names = [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            names = [argument.value]
        elif argument is not None:
            found.append((node.lineno, f"dynamic:{ast.unparse(argument)}"))
            continue
        else:
            continue
        for name in names:
            first = name.split(".")[0]
            absolute = f"handlers.{name}" if first == "store" or first in entries else name
            if absolute.split(".")[0] in PROJECT:
                found.append((node.lineno, absolute))
    return found


def rules_for(path: Path) -> list[Rule]:
    """Every rule whose source matches ``path`` (exactly one, when the layers are whole)."""
    relative = path.relative_to(ROOT).as_posix()
    return [rule for rule in RULES if _pattern(rule.source).match(relative)]


def _allowed(name: str, rule: Rule, module: str) -> bool:
    if name.startswith("dynamic:"):
        return (module, name.removeprefix("dynamic:")) in DYNAMIC_IMPORTS
    # ``from localcloud import PROJECT_ROOT`` reads the package's own __init__.
    if name.rpartition(".")[0] == "localcloud" and name.rpartition(".")[2].isupper():
        name = "localcloud.__init__"
    return any(name == a or name.startswith(f"{a}.") for a in rule.allowed)


def violations(paths) -> list[str]:
    """Every module no rule (or more than one) covers, and every import that runs against the
    layers, as ``file:line: module imports name``."""
    found = []
    for path in paths:
        module, where = _module_name(path), path.relative_to(ROOT).as_posix()
        rules = rules_for(path)
        if len(rules) != 1:
            sources = ", ".join(rule.source for rule in rules) or "no rule"
            found.append(f"{where}: matched by {sources}: add it to the layers (exactly one rule)")
            continue
        for line, name in _imports(path):
            if not _allowed(name, rules[0], module):
                found.append(f"{where}:{line}: {module} imports {name}")
    return found


def _sources() -> list[Path]:
    return sorted(
        p
        for top in ("stacks", "handlers", "localcloud", "contract", "bench")
        for p in (ROOT / top).rglob("*.py")
        if "__pycache__" not in p.parts and "node_modules" not in p.parts
    )


def test_every_import_points_downward():
    assert violations(_sources()) == []


def test_every_dynamic_import_listed_is_there():
    """A listed import by a computed name that the code no longer makes goes from the list."""
    made = {
        (_module_name(path), name.removeprefix("dynamic:"))
        for path in _sources()
        for _, name in _imports(path)
        if name.startswith("dynamic:")
    }
    assert set(DYNAMIC_IMPORTS) - made == set()


@pytest.mark.parametrize(
    ("where", "source", "expected"),
    [
        ("handlers/store/spec/x.py", "from ..data import dynamo\n", "handlers.store.data.dynamo"),
        ("handlers/orders.py", "import localcloud\n", "localcloud"),
        ("handlers/products.py", "import orders\n", "handlers.orders"),
        ("handlers/store/domain/x.py", "from ..runtime import clock\n", "handlers.store.runtime"),
        ("handlers/store/domain/x.py", "from store.data import dynamo\n", "handlers.store.data"),
        ("stacks/base/x.py", "from stacks.store import api\n", "stacks.store.api"),
        ("stacks/store/x.py", "from handlers.store.http import web\n", "handlers.store.http.web"),
        ("localcloud/gateway/x.py", "from localcloud.runner import watch\n", "localcloud.runner"),
        ("localcloud/gateway/x.py", "from localcloud.deploy import warm\n", "localcloud.deploy"),
        (
            "localcloud/base/x.py",
            "import importlib\nimportlib.import_module('localcloud.gateway')\n",
            "imports localcloud.gateway",
        ),
        (
            "localcloud/base/x.py",
            "import importlib\nimportlib.import_module(NAME)\n",
            "imports dynamic:NAME",
        ),
        ("contract/x.py", "__import__('stacks.store')\n", "imports stacks.store"),
        (
            "stacks/newpart/x.py",
            "",
            "stacks/newpart/x.py: matched by no rule: add it to the layers",
        ),
        ("localcloud/helpers.py", "", "localcloud/helpers.py: matched by no rule"),
        ("handlers/store/new/x.py", "", "handlers/store/new/x.py: matched by no rule"),
    ],
)
def test_an_import_that_runs_back_up_is_caught(tmp_path, monkeypatch, where, source, expected):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    (tmp_path / "handlers").mkdir()
    for entry in ("orders.py", "products.py"):
        (tmp_path / "handlers" / entry).touch()
    path = tmp_path / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    (found,) = violations([path])
    assert expected in found


def test_a_module_two_rules_match_is_caught(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    monkeypatch.setattr(f"{__name__}.RULES", (Rule("bench/**", ()), Rule("bench/*.py", ())))
    path = tmp_path / "bench" / "x.py"
    path.parent.mkdir()
    path.touch()
    assert violations([path]) == [
        "bench/x.py: matched by bench/**, bench/*.py: add it to the layers (exactly one rule)"
    ]
