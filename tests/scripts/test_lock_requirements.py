"""scripts/lock_requirements.py: Pipfile.lock as pinned, hashed requirements for uv."""

from __future__ import annotations

import json
import subprocess
import sys

from localcloud import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "lock_requirements.py"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False
    )


def test_each_package_pinned_with_its_extras_markers_and_hashes(tmp_path):
    lock = {
        "default": {
            "moto": {
                "version": "==5.2.1",
                "extras": ["server"],
                "hashes": ["sha256:b", "sha256:a"],
            },
            "six": {
                "version": "==1.17.0",
                "markers": "python_version >= '3.7'",
                "hashes": ["sha256:c"],
            },
        },
        # In both sections: once, as default pins it.
        "develop": {"Six": {"version": "==1.0.0", "hashes": ["sha256:d"]}},
    }
    (tmp_path / "Pipfile.lock").write_text(json.dumps(lock))
    result = run("--lock", str(tmp_path / "Pipfile.lock"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "moto[server]==5.2.1 --hash=sha256:a --hash=sha256:b",
        "six==1.17.0; python_version >= '3.7' --hash=sha256:c",
    ]


def test_the_projects_lock_gives_every_package_once(tmp_path):
    lock = json.loads((PROJECT_ROOT / "Pipfile.lock").read_text())
    names = {name.lower() for section in ("default", "develop") for name in lock[section]}
    output = tmp_path / "requirements.txt"
    assert run("--output", str(output)).returncode == 0
    lines = output.read_text().splitlines()
    assert len(lines) == len(names)
    assert all(" --hash=sha256:" in line and "==" in line for line in lines)


def test_a_package_without_a_pin_or_hashes_is_one_line(tmp_path):
    (tmp_path / "Pipfile.lock").write_text(json.dumps({"default": {"x": {"version": "*"}}}))
    result = run("--lock", str(tmp_path / "Pipfile.lock"))
    assert result.returncode == 1
    assert result.stderr == "lock_requirements: Pipfile.lock pins no version with hashes for x\n"
