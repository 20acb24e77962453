"""The functions' runtime environments: what they hold, how they are found and checked, and what
a machine without the runtime's Python is told."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from localcloud import PROJECT_ROOT
from localcloud.lambdas import runtimes
from stacks.store.functions import RUNTIME


def test_the_stacks_runtime_has_a_local_environment():
    assert RUNTIME in runtimes.RUNTIME_SDK
    assert runtimes.interpreter(RUNTIME) == PROJECT_ROOT / ".venv-lambda-3.12" / "bin" / "python"


def test_the_environment_holds_lambdas_sdk_and_the_locked_powertools():
    wanted = runtimes.requirements(RUNTIME)
    lock = json.loads((PROJECT_ROOT / "Pipfile.lock").read_text())["default"]
    assert wanted["boto3"] == wanted["botocore"] == runtimes.RUNTIME_SDK[RUNTIME]
    assert wanted["aws-lambda-powertools"] == lock["aws-lambda-powertools"]["version"][2:]
    assert wanted["aws-xray-sdk"] == lock["aws-xray-sdk"]["version"][2:]


def test_the_projects_environment_is_installed_as_it_should_be():
    # scripts/bootstrap.sh installs it; the gateway's workers run on it.
    assert runtimes.difference(RUNTIME) is None


def test_an_unknown_runtime_is_one_sentence():
    with pytest.raises(runtimes.RuntimeUnavailable, match=r"runs no nodejs22\.x runtime"):
        runtimes.interpreter("nodejs22.x")


def _fake_environment(root: Path, version: str, packages: dict[str, str]) -> None:
    env = root / ".venv-lambda-3.12"
    (env / "bin").mkdir(parents=True)
    (env / "bin" / "python").write_text("")
    site = env / "lib" / f"python{version}" / "site-packages"
    for name, number in packages.items():
        info = site / f"{name.replace('-', '_')}-{number}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {number}\n")


@pytest.fixture
def project(tmp_path) -> Path:
    """A project with the real Pipfile.lock and no runtime environment."""
    (tmp_path / "Pipfile.lock").write_text((PROJECT_ROOT / "Pipfile.lock").read_text())
    return tmp_path


def test_difference_names_what_is_missing_or_other(project):
    assert runtimes.difference(RUNTIME, project) == "there is no .venv-lambda-3.12"
    wanted = runtimes.requirements(RUNTIME, project)
    _fake_environment(project, "3.12", {**wanted, "boto3": "1.44.8"})
    assert runtimes.difference(RUNTIME, project) == (
        f"boto3 1.44.8 ({RUNTIME} wants {wanted['boto3']})"
    )


def test_an_environment_of_another_python_is_not_the_runtime(project):
    _fake_environment(project, "3.11", runtimes.requirements(RUNTIME, project))
    assert runtimes.difference(RUNTIME, project) == ".venv-lambda-3.12 is not python3.12"


def test_the_runtimes_python_is_found_on_path_or_in_pyenv(tmp_path):
    fake = tmp_path / "bin" / "python3.12"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'print(\"3.12\")'\n")
    fake.chmod(0o755)
    assert runtimes.find_python(RUNTIME, {"PATH": str(fake.parent), "HOME": str(tmp_path)}) == str(
        fake
    )
    pyenv = tmp_path / "pyenv" / "versions" / "3.12.9" / "bin"
    pyenv.mkdir(parents=True)
    (pyenv / "python3.12").write_text(fake.read_text())
    (pyenv / "python3.12").chmod(0o755)
    found = runtimes.find_python(RUNTIME, {"PATH": "", "PYENV_ROOT": str(tmp_path / "pyenv")})
    assert found == str(pyenv / "python3.12")
    # A shim that answers with another version is not it.
    fake.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'print(\"3.11\")'\n")
    assert runtimes.find_python(RUNTIME, {"PATH": str(fake.parent), "HOME": str(tmp_path)}) is None


def test_without_the_runtimes_python_the_install_says_what_to_install_in_one_line(
    project, capsys, monkeypatch
):
    monkeypatch.setattr(os, "environ", {"PATH": "", "HOME": str(project)})
    assert runtimes.main(project) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "there is no Python 3.12 on this machine: install it (e.g. `pyenv install 3.12`" in err
    assert "Traceback" not in err
    assert not (project / ".venv-lambda-3.12").exists()


def _install_commands(project, monkeypatch, uv) -> list[list[str]]:
    """The commands ``install`` runs (none run for real), with ``uv`` as what ``uv_command``
    finds."""
    ran = []
    monkeypatch.setattr(runtimes, "find_python", lambda runtime, env=None: "/usr/bin/python3.12")
    monkeypatch.setattr(runtimes, "uv_command", lambda: uv)
    monkeypatch.setattr(runtimes.subprocess, "run", lambda command, check: ran.append(command))
    runtimes.install(RUNTIME, project)
    return ran


def test_the_environment_is_made_with_uv_when_there_is_uv(project, monkeypatch):
    target = project / ".venv-lambda-3.12"
    made, filled = _install_commands(project, monkeypatch, ["uv"])
    assert made == ["uv", "venv", "--quiet", "--python", "/usr/bin/python3.12", str(target)]
    assert filled[:5] == ["uv", "pip", "install", "--quiet", "--python"]
    assert filled[5] == str(target / "bin" / "python")
    assert "boto3==1.38.36" in filled and "botocore==1.38.36" in filled
    assert any(spec.startswith("aws-lambda-powertools[tracer,validation]==") for spec in filled)


def test_without_uv_the_environment_is_made_with_venv_and_pip(project, monkeypatch):
    made, filled = _install_commands(project, monkeypatch, None)
    assert made[:3] == ["/usr/bin/python3.12", "-m", "venv"]
    assert filled[1:4] == ["-m", "pip", "install"]
    assert "boto3==1.38.36" in filled


def test_uv_is_this_pythons_own_when_it_has_it(monkeypatch):
    monkeypatch.setattr(runtimes.importlib.util, "find_spec", lambda name: name == "uv" or None)
    assert runtimes.uv_command() == [sys.executable, "-m", "uv"]
    monkeypatch.setattr(runtimes.importlib.util, "find_spec", lambda name: None)
    assert runtimes.uv_command() is None
