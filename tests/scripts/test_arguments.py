"""Wrong command lines of ``scripts/*`` and ``bench/run.sh``: each refused with a usage line and
one ``error:`` line, exit 2, before anything runs or is installed (``tests/arguments.py``
generates them and checks each run).

``up.sh``, ``soak.sh`` and ``bench/run.sh`` hand their arguments to a Python command: they get
that command's wrong values. ``test.sh``, ``bootstrap.sh``, ``chromium.sh`` and ``installed.py``
take none: they get any words; the three shell scripts run as copies in the sandbox, so that a
guard that failed could not start the whole suite, an install or apt from the repository.
``fuzz.sh`` is given through its one setting, ``API_BASE_URL``; its arguments go to
schemathesis, which checks them itself."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest

from localcloud import PROJECT_ROOT
from tests.arguments import Tool, check_refusals, prepare_sandbox
from tests.bench.test_arguments import tools as bench_tools
from tests.localcloud.tools.test_arguments import tools as localcloud_tools

NO_ARGUMENTS = ("test.sh", "bootstrap.sh", "chromium.sh")


def tools(sandbox: Path) -> dict[str, Tool]:
    """Every script, by name, with the options of the command it runs."""
    localcloud, bench = localcloud_tools(sandbox), bench_tools(sandbox)
    rows = [
        dataclasses.replace(
            localcloud["up"], name="up.sh", command=("scripts/up.sh",), examples=10
        ),
        dataclasses.replace(
            localcloud["soak"], name="soak.sh", command=("scripts/soak.sh",), examples=8
        ),
        dataclasses.replace(bench["bench"], name="run.sh", command=("bench/run.sh",), examples=6),
    ]
    rows += [
        Tool(name, (str(sandbox / "copy" / "scripts" / name),), examples=8) for name in NO_ARGUMENTS
    ]
    scripts = {row.name: dataclasses.replace(row, script=True) for row in rows}
    installed = Tool("installed.py", (str(PROJECT_ROOT / "scripts" / "installed.py"),), examples=8)
    return {**scripts, installed.name: installed}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """An empty folder, plus copies of the scripts that take no arguments."""
    folder = tmp_path_factory.mktemp("sandbox")
    prepare_sandbox(folder)
    (folder / "copy" / "scripts").mkdir(parents=True)
    for name in NO_ARGUMENTS:
        shutil.copy(PROJECT_ROOT / "scripts" / name, folder / "copy" / "scripts" / name)
    return folder


@pytest.mark.parametrize("name", tuple(tools(Path("/"))))
def test_wrong_arguments_are_refused(name, sandbox):
    check_refusals(tools(sandbox)[name], sandbox)


@pytest.mark.parametrize("url", ["", "127.0.0.1:3000/local", "ftp://x", "http://"])
def test_fuzz_refuses_a_missing_or_wrong_api_url(url, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "API_BASE_URL": url}
    result = subprocess.run(
        ["bash", str(PROJECT_ROOT / "scripts" / "fuzz.sh")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("usage: API_BASE_URL=")
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == (
        f"scripts/fuzz.sh: error: API_BASE_URL must be the API's http(s) base URL (got '{url}')"
    )
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []
