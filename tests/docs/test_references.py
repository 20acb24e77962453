"""What README.md and docs/*.md name in the repository exists: every path under one of its
folders (in prose, code spans and code blocks alike), every test named as ``file::test``, and
every ``python -m`` module of the project. A file moved or a test renamed fails here, naming the
page and the line, until the documentation follows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs.markdown import ROOT, documents, matches, relative

# The repository's own folders and files that pages refer to by path.
TOP_LEVEL = (
    "bench",
    "docs",
    "handlers",
    "localcloud",
    "scripts",
    "stacks",
    "tests",
    "tools",
    ".github",
    ".ci",
)
TOP_FILES = (
    "main.py",
    "cdktf.json",
    "openapi.json",
    "package.json",
    "pyproject.toml",
    "Pipfile",
    "Pipfile.lock",
    ".checkov.yaml",
)
# Written by the tools at run time, or installed: never part of a clone.
GENERATED = ("bench/results",)
INSTALLED = "/node_modules/"

_PATH = re.compile(
    r"(?<![\w./<-])(?:\./)?((?:" + "|".join(re.escape(d) for d in TOP_LEVEL) + r")/[\w./@-]*)"
    r"(?:::(\w+))?"
)
_FILE = re.compile(
    r"(?<![\w./-])(" + "|".join(re.escape(f) for f in TOP_FILES) + r")(?![\w-]|\.\w)"
)
_MODULE = re.compile(r"python3? -m ([\w.]+)")


def references(path: Path) -> list[tuple[int, str, str | None]]:
    """Every repository path a page names (with a test name after ``::``), with its line."""
    found = [
        (number, match.group(1).rstrip(".,;:"), match.group(2))
        for number, match in matches(path, _PATH)
    ]
    found = [
        (number, target, name)
        for number, target, name in found
        if not target.startswith(GENERATED) and INSTALLED not in target
    ]
    found += [(number, match.group(1), None) for number, match in matches(path, _FILE)]
    return sorted(found, key=lambda reference: reference[0])


def problem(target: str, name: str | None) -> str | None:
    """What is wrong with one reference, or None."""
    path = ROOT / target
    if not path.exists():
        return f"{target} does not exist"
    if name is not None:
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        if not re.search(rf"^\s*(async\s+)?(def|class)\s+{re.escape(name)}\b", text, re.M):
            return f"{target} defines no {name}"
    return None


def module_problem(module: str) -> str | None:
    """What is wrong with a ``python -m`` module of the project, or None (others are skipped)."""
    parts = module.split(".")
    if parts[0] not in TOP_LEVEL:
        return None
    base = ROOT.joinpath(*parts)
    if base.with_suffix(".py").is_file() or (base / "__main__.py").is_file():
        return None
    return f"python -m {module}: no {relative(base)}.py or {relative(base)}/__main__.py"


PAGES = documents()


@pytest.mark.parametrize("page", PAGES, ids=relative)
def test_every_named_file_and_test_exists(page):
    missing = [
        f"{relative(page)} line {line}: {why}"
        for line, target, name in references(page)
        if (why := problem(target, name))
    ]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("page", PAGES, ids=relative)
def test_every_project_module_runs(page):
    missing = [
        f"{relative(page)} line {number}: {why}"
        for number, match in matches(page, _MODULE)
        if (why := module_problem(match.group(1)))
    ]
    assert not missing, "\n".join(missing)


def test_the_checker_catches_what_it_should(tmp_path):
    sample = tmp_path / "sample.md"
    sample.write_text(
        "See `stacks/base/config.py`, ./scripts/up.sh and tests/stacks/store/test_api.py::test_x,\n"
        "but not cdktf.out/stacks/<stack>, bench/results/x.json, tools/x/node_modules/y;\n"
        "main.py.\n",
        encoding="utf-8",
    )
    assert references(sample) == [
        (1, "stacks/base/config.py", None),
        (1, "scripts/up.sh", None),
        (1, "tests/stacks/store/test_api.py", "test_x"),
        (3, "main.py", None),
    ]
    assert problem("stacks/base/config.py", None) is None
    assert problem("stacks/nowhere.py", None) == "stacks/nowhere.py does not exist"
    assert problem("tests/stacks/store/test_api.py", "test_no_such_test") == (
        "tests/stacks/store/test_api.py defines no test_no_such_test"
    )
    assert module_problem("localcloud") is None
    assert module_problem("bench.cost") is None
    assert module_problem("pip") is None
    assert "no stacks/nowhere.py" in module_problem("stacks.nowhere")
