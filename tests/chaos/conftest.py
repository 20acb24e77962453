"""The chaos suite runs on the local cloud, with the integration suite's fixtures (its outputs,
AWS clients, people and API client), and the emulator's fault rules cleared around each test."""

import os

import pytest

from localcloud.tools.fault_commands import FaultControl

# The integration suite's fixtures, used here as they are.
from tests.integration.conftest import (  # noqa: F401  # pylint: disable=unused-import
    admin,
    api,
    aws,
    base_url,
    config,
    outputs,
    pool,
)


@pytest.fixture
def emulator_faults():
    """The running local cloud's fault rules (its emulator is ``AWS_ENDPOINT_URL``)."""
    url = os.environ.get("AWS_ENDPOINT_URL")
    if not url:
        pytest.fail("AWS_ENDPOINT_URL is not set: source .localcloud/env first", pytrace=False)
    control = FaultControl(url)
    control.clear()
    yield control
    control.clear()
