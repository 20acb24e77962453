"""``scripts/env.sh``, as the scripts source it: what it exports for Python's bytecode."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _sourced(**env: str) -> dict[str, str]:
    """The environment after ``source scripts/env.sh`` in a shell started with ``env``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    done = subprocess.run(
        ["bash", "-c", "source scripts/env.sh && env -0"],
        cwd=ROOT,
        env=base | env,
        capture_output=True,
        check=True,
        timeout=30,
    )
    return dict(line.split("=", 1) for line in done.stdout.decode().split("\0") if "=" in line)


def test_bytecode_forbidden_beside_sources_is_cached_in_a_folder_of_its_own(tmp_path):
    env = _sourced(PYTHONDONTWRITEBYTECODE="1", XDG_CACHE_HOME=str(tmp_path))
    assert env["PYTHONPYCACHEPREFIX"] == f"{tmp_path}/ecommerce-store/pycache"
    assert "PYTHONDONTWRITEBYTECODE" not in env


def test_a_cache_folder_already_chosen_is_kept(tmp_path):
    env = _sourced(PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=str(tmp_path))
    assert env["PYTHONPYCACHEPREFIX"] == str(tmp_path)
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"


def test_nothing_changes_where_bytecode_may_be_written():
    env = _sourced()
    assert "PYTHONPYCACHEPREFIX" not in env
    assert "PYTHONDONTWRITEBYTECODE" not in env
