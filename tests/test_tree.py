"""The tests mirror the source tree: ``tests/<part>/<path>/test_<name>.py`` tests the module (or
package, or script) ``<part>/<path>/<name>``, so that the test of a module is found without a
search, and a module moved without its test, or a test named for nothing, fails here.

The parts of the project that tests mirror are ``MIRRORED``; the other folders of tests/ are
suites that exercise the whole (``SUITES``). A test module that covers more than one module (a
journey, a cross-cutting concern, every entry point's command line) is an exception of
``NOT_ONE_MODULE``, each with the reason; an exception that mirrors after all, or whose file is
gone, fails too, so the list stays short and true. docs/testing.md says the same.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"

# The source folders whose tests mirror them, and the suffixes a tested file may have.
MIRRORED = ("stacks", "handlers", "localcloud", "contract", "bench", "scripts")
SUFFIXES = (".py", ".sh")

# Folders of tests/ that are suites of the whole system, not mirrors of one source folder.
SUITES = {
    "chaos": "the API under injected faults, on the local cloud",
    "ci": "the workflows and CI's scripts as GitHub runs them",
    "docs": "README.md and docs/ kept in step with the code",
    "fuzz": "schemathesis against the deployed API",
    "integration": "the deployed stack, on the local cloud or AWS",
}

# Test modules at a mirrored place that test more than the one module their name would be.
NOT_ONE_MODULE = {
    "tests/bench/test_arguments.py": "the command line of every benchmark",
    "tests/scripts/test_arguments.py": "the command line of every script",
    "tests/localcloud/tools/test_arguments.py": (
        "the command line of every entry point of the local cloud (tools' cli and soak, the "
        "gateway's and the emulator's mains), built on localcloud/base/arguments.py"
    ),
    "tests/localcloud/gateway/test_gateway.py": "the gateway package's mapping rules, end to end",
    "tests/stacks/test_main.py": "main.py, the cdktf app at the repository's root",
    "tests/stacks/test_policy_documents.py": "every IAM policy document of every stack",
    "tests/stacks/test_priced.py": "every resource kind of every stack against bench's prices",
    "tests/stacks/store/test_monitoring_runbook.py": (
        "the monitoring construct's alarms against docs/operations.md's runbook"
    ),
    "tests/handlers/test_access.py": "who may call what, across the three functions",
    "tests/handlers/test_aws_failures.py": "every function as an AWS client when AWS misbehaves",
    "tests/handlers/test_bad_input.py": "the bad-input matrix of every function",
    "tests/handlers/test_cold_start.py": "every function's init phase",
    "tests/handlers/test_conftest.py": (
        "the handler suite's in-process AWS, reset between tests through moto 5.2.5's internals"
    ),
    "tests/handlers/test_concurrency.py": "the functions' conditions under concurrent requests",
}


def mirrored_target(test: Path) -> str:
    """What ``tests/<part>/.../test_<name>.py`` names: ``<part>/.../<name>``, from the root."""
    relative = test.relative_to(TESTS)
    name = relative.name.removeprefix("test_").removesuffix(".py")
    return (relative.parent / name).as_posix()


def target_exists(target: str) -> bool:
    """Whether a module, a package or a script of that name exists."""
    path = ROOT / target
    return path.is_dir() or any(path.with_suffix(suffix).is_file() for suffix in SUFFIXES)


def mirrored_tests() -> list[Path]:
    """Every ``test_*.py`` under the mirrored parts of tests/."""
    return sorted(
        path for part in MIRRORED for path in (TESTS / part).rglob("test_*.py") if path.is_file()
    )


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("test", mirrored_tests(), ids=_relative)
def test_each_test_module_sits_beside_the_code_it_tests(test):
    if _relative(test) in NOT_ONE_MODULE:
        return
    target = mirrored_target(test)
    assert target_exists(target), (
        f"{_relative(test)} names {target}, which does not exist: move the test to the folder "
        "that mirrors its module, rename it, or (if it tests no one module) add it to "
        "NOT_ONE_MODULE with the reason"
    )


@pytest.mark.parametrize("test", sorted(NOT_ONE_MODULE))
def test_each_exception_is_still_needed(test):
    assert (ROOT / test).is_file(), f"{test} is gone: remove it from NOT_ONE_MODULE"
    assert not target_exists(mirrored_target(ROOT / test)), (
        f"{test} mirrors {mirrored_target(ROOT / test)}: remove it from NOT_ONE_MODULE"
    )


def test_every_folder_of_tests_is_a_mirror_or_a_suite():
    folders = {path.name for path in TESTS.iterdir() if path.is_dir() and path.name[0] != "_"}
    unknown = folders - set(MIRRORED) - set(SUITES)
    assert not unknown, f"tests/{sorted(unknown)}: add to MIRRORED or SUITES"
    assert all((ROOT / part).is_dir() for part in MIRRORED)


def test_the_checker_catches_what_it_should(tmp_path, monkeypatch):
    module = sys.modules[__name__]
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "TESTS", tmp_path / "tests")
    for path in ("stacks/store/tables.py", "scripts/up.sh", "localcloud/gateway/__init__.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("", encoding="utf-8")
    assert mirrored_target(tmp_path / "tests/stacks/store/test_tables.py") == "stacks/store/tables"
    assert target_exists("stacks/store/tables")
    assert target_exists("scripts/up")
    assert target_exists("localcloud/gateway")
    # A module moved to another package, its test left behind:
    assert not target_exists(mirrored_target(tmp_path / "tests/stacks/test_tables.py"))
    assert not target_exists(mirrored_target(tmp_path / "tests/stacks/base/test_tables.py"))
