"""What the local cloud says of an error (localcloud/base/errors.py), and that saying it in one
sentence keeps its cause for whoever debugs it."""

import socket

import pytest

from localcloud.base.errors import LocalCloudError, described
from localcloud.gateway.snapshot import SnapshotReader
from localcloud.lambdas.code_store import CodeStore


def test_a_log_line_names_the_type_as_well_as_the_words():
    assert described(TimeoutError()) == {"errorType": "TimeoutError", "error": ""}
    assert described(KeyError("x")) == {"errorType": "KeyError", "error": "'x'"}


def test_a_snapshot_that_cannot_be_read_keeps_its_cause(tmp_path):
    with socket.socket() as held:  # a port nothing answers on: refused at once
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
    reader = SnapshotReader(
        f"http://127.0.0.1:{port}", "us-east-1", None, CodeStore([], tmp_path), 1
    )
    with pytest.raises(LocalCloudError, match="Could not read the deployed API") as caught:
        reader.read()
    assert caught.value.__cause__ is not None
    assert type(caught.value.__cause__).__name__ == "EndpointConnectionError"
