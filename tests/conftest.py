"""Fixtures shared by more than one suite."""

import pytest

from localcloud.emulator.process import Emulator
from localcloud.tools.fault_commands import FaultControl


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
