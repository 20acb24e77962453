"""scripts/installed.py: whether .venv and node_modules hold what the locks pin."""

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "installed.py"
spec = importlib.util.spec_from_file_location("installed", SCRIPT)
installed = importlib.util.module_from_spec(spec)
spec.loader.exec_module(installed)


def _dist(site: Path, name: str, version: str) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")


@pytest.fixture
def project(tmp_path) -> Path:
    """A project whose .venv and node_modules match its locks."""
    site = tmp_path / ".venv" / "lib" / "python3.11" / "site-packages"
    _dist(site, "aws-lambda-powertools", "3.37.0")
    _dist(site, "pytest", "8.3.4")
    (tmp_path / "Pipfile.lock").write_text(
        json.dumps(
            {
                "default": {
                    "aws_lambda_powertools": {"version": "==3.37.0"},
                    "pywin32": {"version": "==306", "markers": "sys_platform == 'win32'"},
                },
                "develop": {"pytest": {"version": "==8.3.4"}},
            }
        )
    )
    packages = {
        "": {"name": "project"},
        "node_modules/cdktf-cli": {"version": "0.21.0"},
        "node_modules/fsevents": {"version": "2.3.3", "optional": True},
    }
    (tmp_path / "package-lock.json").write_text(json.dumps({"packages": packages}))
    (tmp_path / "node_modules").mkdir()
    hidden = {"packages": {"node_modules/cdktf-cli": {"version": "0.21.0"}}}
    (tmp_path / "node_modules" / ".package-lock.json").write_text(json.dumps(hidden))
    return tmp_path


def test_in_sync(project):
    assert installed.python_difference(project) is None
    assert installed.node_difference(project) is None


def test_a_python_package_at_another_version(project):
    lock = json.loads((project / "Pipfile.lock").read_text())
    lock["develop"]["pytest"]["version"] = "==8.4.0"
    (project / "Pipfile.lock").write_text(json.dumps(lock))
    assert installed.python_difference(project) == "pytest 8.3.4 (locked 8.4.0)"


def test_a_missing_python_package_or_venv(project, tmp_path):
    lock = json.loads((project / "Pipfile.lock").read_text())
    lock["default"]["boto3"] = {"version": "==1.35.0"}
    (project / "Pipfile.lock").write_text(json.dumps(lock))
    assert installed.python_difference(project) == "boto3 missing (locked 1.35.0)"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert installed.python_difference(empty) == "there is no .venv"


def test_an_npm_package_at_another_version_or_no_install(project):
    hidden = {"packages": {"node_modules/cdktf-cli": {"version": "0.20.0"}}}
    (project / "node_modules" / ".package-lock.json").write_text(json.dumps(hidden))
    assert installed.node_difference(project) == "node_modules/cdktf-cli 0.20.0 (locked 0.21.0)"
    (project / "node_modules" / ".package-lock.json").unlink()
    assert installed.node_difference(project) == "there is no node_modules/.package-lock.json"


def test_a_missing_runtime_environment_is_a_difference(project):
    assert installed.runtime_difference(project) == "there is no .venv-lambda-3.12"
    assert installed.runtime_difference() is None  # this project's, as scripts/bootstrap.sh made it
