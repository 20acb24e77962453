"""Fixtures shared by more than one suite."""

import os
from pathlib import Path

import pytest

from localcloud.emulator.process import Emulator
from localcloud.tools.fault_commands import FaultControl


def pytest_configure(config):  # pylint: disable=unused-argument
    """Python's bytecode cached outside the trees when the environment forbids writing it.

    With PYTHONDONTWRITEBYTECODE and a virtualenv installed without bytecode, every interpreter
    the tests start (each emulator, runner, tool and refused command line: hundreds a run)
    compiled moto, boto3 and the project from source again: 3.4 of an emulator start's 4 CPU
    seconds. A cache prefix keeps the trees as clean (nothing is written beside a source) and
    lets each module be compiled once. Set before xdist starts its workers, so that they and
    everything they start inherit it."""
    if os.environ.get("PYTHONDONTWRITEBYTECODE") and not os.environ.get("PYTHONPYCACHEPREFIX"):
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        os.environ["PYTHONPYCACHEPREFIX"] = str(cache / "ecommerce-store" / "pycache")
        del os.environ["PYTHONDONTWRITEBYTECODE"]


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    """moto's server in a child process, as the local cloud's runner starts it."""
    server = Emulator("127.0.0.1", 0, tmp_path_factory.mktemp("emulator") / "emulator.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def faults(emulator):
    """The session emulator's fault rules (``localcloud.tools.fault_commands.FaultControl``); the
    test's rules are dropped when it ends, whatever it left."""
    control = FaultControl(emulator.url)
    control.clear()
    yield control
    control.clear()
