"""The architecture's layers, kept: every import of the project's own code points downward.

Each rule names a part of the tree (a package prefix) and what it may import of the project; an
import of anything else of the project is a violation, reported with the file and line. Imports of
libraries are not this test's business. docs/architecture.md draws the same picture.
"""

from __future__ import annotations

import ast
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
STORE_LEVELS = (("data", "http", "events"), ("runtime",), ("spec",))
STACKS_LEVELS = (("platform",), ("store",), ("base",))


def _below(package: str, levels: tuple[tuple[str, ...], ...], part: str) -> tuple[str, ...]:
    """What ``package.part`` may import of ``package``: itself and every part on a lower level."""
    index = next(i for i, level in enumerate(levels) if part in level)
    lower = [name for level in levels[index + 1 :] for name in level]
    return tuple(f"{package}.{name}" for name in (part, *lower))


@dataclass(frozen=True)
class Rule:
    """Modules under ``source`` may import, of the project, only what starts with ``allowed``."""

    source: str
    allowed: tuple[str, ...]


RULES = (
    *(
        Rule(f"handlers.store.{part}", _below("handlers.store", STORE_LEVELS, part))
        for level in STORE_LEVELS
        for part in level
    ),
    # The Lambda entry modules: anything of the shared code, nothing outside handlers/.
    Rule("handlers", ("handlers",)),
    *(
        Rule(f"stacks.{part}", (*_below("stacks", STACKS_LEVELS, part), "handlers.store.spec"))
        for level in STACKS_LEVELS
        for part in level
    ),
    *(
        Rule(
            f"localcloud.{part}",
            (
                "localcloud.__init__",
                *_below("localcloud", LOCALCLOUD_LEVELS, part),
                "stacks.base",
                "handlers.store.spec",
            ),
        )
        for level in LOCALCLOUD_LEVELS
        for part in level
    ),
    # The rehearsal's cdktf app, which cdktf runs in a process of its own: it builds the
    # project's stacks, as main.py does.
    Rule("localcloud.rehearsal.app", ("localcloud.rehearsal.app", "stacks")),
    Rule("contract", ("contract", "handlers.store.spec", "localcloud.base", "localcloud.__init__")),
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of the project's own code, as absolute names.

    The Lambda code imports its shared package as ``store`` (the function's root is handlers/):
    that is ``handlers.store`` here. ``from package import name`` counts as ``package.name``.
    """
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            absolute = f"handlers.{name}" if name.split(".")[0] == "store" else name
            if absolute.split(".")[0] in PROJECT:
                found.append((node.lineno, absolute))
    return found


def _rule_for(module: str) -> Rule | None:
    """The most specific rule whose source holds ``module``."""
    matching = [r for r in RULES if module == r.source or module.startswith(f"{r.source}.")]
    return max(matching, key=lambda r: len(r.source), default=None)


def _allowed(name: str, rule: Rule) -> bool:
    # ``from localcloud import PROJECT_ROOT`` reads the package's own __init__.
    if name.rpartition(".")[0] == "localcloud" and name.rpartition(".")[2].isupper():
        name = "localcloud.__init__"
    return any(name == a or name.startswith(f"{a}.") for a in rule.allowed)


def violations(paths) -> list[str]:
    """Every import that runs against the layers, as ``file:line: module imports name``."""
    found = []
    for path in paths:
        module = _module_name(path)
        rule = _rule_for(module)
        if rule is None:
            continue
        for line, name in _imports(path):
            if not _allowed(name, rule):
                found.append(f"{path.relative_to(ROOT)}:{line}: {module} imports {name}")
    return found


def _sources() -> list[Path]:
    return sorted(
        p
        for top in ("stacks", "handlers", "localcloud", "contract")
        for p in (ROOT / top).rglob("*.py")
        if "__pycache__" not in p.parts
    )


def test_every_import_points_downward():
    assert violations(_sources()) == []


@pytest.mark.parametrize(
    ("where", "source", "expected"),
    [
        ("handlers/store/spec/x.py", "from ..data import dynamo\n", "handlers.store.data.dynamo"),
        ("handlers/orders.py", "import localcloud\n", "localcloud"),
        ("stacks/base/x.py", "from stacks.store import api\n", "stacks.store.api"),
        ("stacks/store/x.py", "from handlers.store.http import web\n", "handlers.store.http.web"),
        ("localcloud/gateway/x.py", "from localcloud.runner import watch\n", "localcloud.runner"),
        ("localcloud/gateway/x.py", "from localcloud.deploy import warm\n", "localcloud.deploy"),
    ],
)
def test_an_import_that_runs_back_up_is_caught(tmp_path, monkeypatch, where, source, expected):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    path = tmp_path / where
    path.parent.mkdir(parents=True)
    path.write_text(source, encoding="utf-8")
    (found,) = violations([path])
    assert expected in found
