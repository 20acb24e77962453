"""scripts/bootstrap.sh as a person sees it, with stand-ins for python3 (pip, pipenv) and npm:
one line per step, a sign of life while steps run (redrawn in a terminal, plain lines in a pipe),
the full output in .localcloud/install.log, and a failure's last lines."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from localcloud import PROJECT_ROOT
from tests.localcloud.deploy.test_progress_display import Screen

STAND_IN = r'''#!{python}
"""A stand-in for {name}: says what it does, then waits for $FAKE_RELEASE if set."""
import os, sys, time
from pathlib import Path

args = " ".join(sys.argv[1:])
if "{name}" == "python3" and args in ("-m pipenv --version", "-m uv --version"):
    sys.exit(0 if os.environ.get("FAKE_HAS_PIPENV") else 1)
for n in range(int(os.environ.get("FAKE_LINES", "3"))):
    print(f"{name} {{args}}: line {{n + 1}}", flush=True)
release = os.environ.get("FAKE_RELEASE")
while release and "-m uv pip install" in args and not Path(release).exists():
    time.sleep(0.05)
sys.exit(int(os.environ.get("FAKE_STATUS_" + "{name}".upper(), "0")))
'''
PYTHON_DONE = (
    r"install: Python packages into \.venv \(uv, Pipfile\.lock's pins and hashes\) in \d+ s"
)
NODE_DONE = (
    r"install: cdktf CLI and Swagger UI into node_modules \(npm ci, package-lock\.json\) in \d+ s"
)
RUNTIME_DONE = (
    r"install: the functions' Python 3\.12 with Lambda's boto3 into \.venv-lambda-3\.12 in \d+ s"
)


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of bootstrap.sh in a project of its own, stand-ins first on PATH."""
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "scripts" / "bootstrap.sh", root / "scripts" / "bootstrap.sh")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("python3", "npm"):
        (bin_dir / name).write_text(STAND_IN.format(python=sys.executable, name=name))
        (bin_dir / name).chmod(0o755)
    return root


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The stand-ins first on PATH, and ``extra``."""
    return {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}", **extra}


def bootstrap(project: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the script in a pipe, as CI does."""
    return subprocess.run(
        ["bash", "scripts/bootstrap.sh"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_one_line_per_step_and_the_full_output_in_the_log(project, tmp_path):
    result = bootstrap(project, environment(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "install: each step's full output goes to .localcloud/install.log"
    assert re.fullmatch(r"install: pipenv and uv \(pip install\) in \d+ s", lines[1]), lines
    assert len(lines) == 5, lines
    for done in (PYTHON_DONE, NODE_DONE, RUNTIME_DONE):
        assert sorted(bool(re.fullmatch(done, x)) for x in lines[2:]) == [False, False, True]
    log = (project / ".localcloud" / "install.log").read_text()
    for command in (
        "python3 -m pip install --quiet --disable-pip-version-check pipenv uv: line 3",
        "python3 scripts/lock_requirements.py --output .localcloud/requirements.txt: line 3",
        "python3 -m uv pip install --python .venv/bin/python --require-hashes --no-deps "
        "-r .localcloud/requirements.txt: line 3",
        "npm ci --no-audit --no-fund --loglevel=error: line 3",
        "python3 -m localcloud.lambdas.runtimes: line 3",
    ):
        assert command in log
    assert not list((project / ".localcloud").glob("install-*.out"))


def test_a_failed_step_shows_its_last_lines_and_points_at_the_log(project, tmp_path):
    env = environment(tmp_path, FAKE_HAS_PIPENV="1", FAKE_LINES="30", FAKE_STATUS_NPM="7")
    result = bootstrap(project, env)
    assert result.returncode == 1
    shown = result.stdout.split(
        "install: cdktf CLI and Swagger UI into node_modules (npm ci, package-lock.json) FAILED "
    )[1].splitlines()
    assert re.fullmatch(r"after \d+ s \(exit status 7\); its last lines:", shown[0])
    assert shown[1:21] == [
        f"    npm ci --no-audit --no-fund --loglevel=error: line {n}" for n in range(11, 31)
    ]
    assert shown[21] == "install: the full output is in .localcloud/install.log"
    log = (project / ".localcloud" / "install.log").read_text()
    assert "npm ci --no-audit --no-fund --loglevel=error: line 1\n" in log
    assert "exit status 7" in log


def test_a_sign_of_life_while_a_step_runs(project, tmp_path):
    release = tmp_path / "release"
    env = environment(
        tmp_path, FAKE_HAS_PIPENV="1", FAKE_RELEASE=str(release), INSTALL_PULSE_EVERY="1"
    )
    process = subprocess.Popen(
        ["bash", "scripts/bootstrap.sh"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = threading.Timer(60, process.kill)  # no sign of life: the step is never released
    deadline.start()
    try:
        seen = []
        for line in process.stdout:  # the step waits until released: a line must come first
            seen.append(line)
            if line.startswith("install: python packages ... "):
                release.touch()
        assert process.wait(60) == 0, "".join(seen)
    finally:
        deadline.cancel()
        if process.poll() is None:
            process.kill()
    assert "\r" not in "".join(seen)
    assert re.fullmatch(r"install: python packages \.\.\. \d+ s\n", seen[-2])
    assert re.fullmatch(PYTHON_DONE + "\n", seen[-1])


def test_in_a_terminal_the_sign_of_life_is_one_line_redrawn(project, tmp_path):
    release = tmp_path / "release"
    env = environment(tmp_path, FAKE_HAS_PIPENV="1", FAKE_RELEASE=str(release))
    screen = Screen(tmp_path / "tmux.sock", env, cwd=project)
    try:
        screen.wait_for(r"^\$ ?$")
        screen.tmux("send-keys", "bash scripts/bootstrap.sh; echo exit=$?", "Enter")
        during = screen.wait_for(r"^install: python packages \.\.\. [1-9]\d* s$")
        assert sum("install: python packages ..." in row for row in during) == 1, during
        release.touch()
        rows = screen.wait_for(r"^exit=")
    finally:
        screen.close()
    start = next(i for i, row in enumerate(rows) if "bash scripts/bootstrap.sh" in row)
    shown = [row.rstrip() for row in rows[start + 1 :]]
    assert shown[0] == "install: each step's full output goes to .localcloud/install.log"
    for done in (NODE_DONE, RUNTIME_DONE):  # the two that end first, in either order
        assert sorted(bool(re.fullmatch(done, x)) for x in shown[1:3]) == [False, True], shown
    assert re.fullmatch(PYTHON_DONE, shown[3]), shown  # the sign of life is gone
    assert shown[4] == "exit=0"
