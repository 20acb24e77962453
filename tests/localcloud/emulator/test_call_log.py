"""The call log: one JSON line per check when ``LOCALCLOUD_IAM_LOG`` names a file in the
emulator's environment (it reaches the emulator's process from the one that starts it)."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from localcloud.base import aws as localcloud_aws
from localcloud.emulator import call_log
from localcloud.emulator.process import Emulator
from tests.localcloud.conftest import REGION

ACCOUNT = "123456789012"
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/localcloud-administrator"


def test_nothing_is_written_without_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv(call_log.VARIABLE, raising=False)
    call_log.record("p", "s:A", "*", True)
    monkeypatch.setenv(call_log.VARIABLE, str(tmp_path / "calls.jsonl"))
    before = time.time()
    call_log.record("arn:aws:iam::1:user/u", "sqs:SendMessage", "arn:aws:sqs:r:1:q", False)
    (line,) = (tmp_path / "calls.jsonl").read_text().splitlines()
    record = json.loads(line)
    assert before <= record.pop("time") <= time.time()
    assert record == {
        "principal": "arn:aws:iam::1:user/u",
        "action": "sqs:SendMessage",
        "resource": "arn:aws:sqs:r:1:q",
        "allowed": False,
    }


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    """An emulator of its own, started with the variable set; the log's path."""
    folder = tmp_path_factory.mktemp("logged")
    log = folder / "calls.jsonl"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(call_log.VARIABLE, str(log))
        server = Emulator("127.0.0.1", 0, folder / "emulator.log")
        server.start()
    yield server, log
    server.stop()


def _lines(log) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_each_check_of_the_emulators_calls_is_a_line(logged):
    server, log = logged
    session = localcloud_aws.session(REGION)
    session.client("sqs", endpoint_url=server.url).create_queue(
        QueueName="logged", tags={"environment": "dev"}
    )
    stranger = localcloud_aws.session(REGION, localcloud_aws.LAMBDA_SERVICE_CREDENTIALS)
    with pytest.raises(ClientError):
        stranger.client("dynamodb", endpoint_url=server.url).list_tables()
    lines = [{k: v for k, v in line.items() if k != "time"} for line in _lines(log)]
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:logged"
    created = {"principal": ADMIN, "action": "sqs:CreateQueue", "resource": queue, "allowed": True}
    tagged = {**created, "action": "sqs:TagQueue"}
    assert lines.index(created) + 1 == lines.index(tagged)
    refused = {
        "principal": f"arn:aws:iam::{ACCOUNT}:user/localcloud-lambda-service",
        "action": "dynamodb:ListTables",
        "resource": "*",
        "allowed": False,
    }
    assert refused in lines
