"""The runner's tests' project: the stand-in cdktf and terraform (``stand_in.py``) in a fresh
directory per test."""

from pathlib import Path

import pytest

from tests.localcloud.runner.stand_in import make_project


@pytest.fixture
def project(tmp_path) -> Path:
    """A project with a stand-in cdktf CLI, and a provider mirror."""
    return make_project(tmp_path)
