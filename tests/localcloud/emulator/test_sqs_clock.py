"""The emulator's SQS on the local clock: a received message that no one deletes comes back after
an ``advance`` of its visibility timeout and not before, a delayed one once its delay has passed
on the clock, a poison one reaches its dead-letter queue after ``maxReceiveCount`` advances, and
the timestamps read the moved clock; moto's SQS still reads "now" through the two names the
patch book wraps."""

from __future__ import annotations

import ast
import json
import uuid
from datetime import datetime
from pathlib import Path

import moto.sqs
import pytest

from localcloud.base import aws
from localcloud.emulator import sqs_clock
from localcloud.emulator.clock import ClockClient, LocalClock

VISIBILITY_S = 3600
"""Long enough that the real time a busy machine takes between two calls never reaches it."""


@pytest.fixture(scope="module")
def sqs(emulator):
    """An SQS client of the administrator on the session's emulator."""
    return aws.session(aws.DEFAULT_REGION).client("sqs", endpoint_url=emulator.url)


@pytest.fixture
def queue(sqs) -> str:
    """A new queue's URL (visibility timeout ``VISIBILITY_S``), deleted afterwards."""
    url = sqs.create_queue(
        QueueName=f"clock-{uuid.uuid4().hex[:8]}",
        Attributes={"VisibilityTimeout": str(VISIBILITY_S)},
    )["QueueUrl"]
    yield url
    sqs.delete_queue(QueueUrl=url)


def _receive(sqs, url: str) -> list[dict]:
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
        "Messages", []
    )


def _attribute(sqs, url: str, name: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[name])["Attributes"][name]


def _ms(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000


def test_a_received_message_comes_back_after_an_advance_of_its_visibility_timeout(
    emulator, sqs, queue
):
    clock = ClockClient(emulator.url)
    sqs.send_message(QueueUrl=queue, MessageBody="again")
    [first] = _receive(sqs, queue)
    assert first["Attributes"]["ApproximateReceiveCount"] == "1"
    clock.advance(3000)  # 600 s short of the timeout: still in flight
    assert _receive(sqs, queue) == []
    assert _attribute(sqs, queue, "ApproximateNumberOfMessagesNotVisible") == "1"
    clock.advance(600)
    [again] = _receive(sqs, queue)
    assert again["Body"] == "again" and again["MessageId"] == first["MessageId"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    assert again["ReceiptHandle"] != first["ReceiptHandle"]


def test_a_delayed_message_is_received_once_its_delay_has_passed_on_the_clock(emulator, sqs, queue):
    clock = ClockClient(emulator.url)
    sqs.send_message(QueueUrl=queue, MessageBody="later", DelaySeconds=900)
    assert _receive(sqs, queue) == []
    assert _attribute(sqs, queue, "ApproximateNumberOfMessagesDelayed") == "1"
    clock.advance(900)
    assert [m["Body"] for m in _receive(sqs, queue)] == ["later"]


def test_the_timestamps_read_the_moved_clock(emulator, sqs, queue):
    clock = ClockClient(emulator.url)
    clock.advance(86400)
    sqs.send_message(QueueUrl=queue, MessageBody="stamped")
    [message] = _receive(sqs, queue)
    now = _ms(clock.read()["now"])
    sent = int(message["Attributes"]["SentTimestamp"])
    first_received = int(message["Attributes"]["ApproximateFirstReceiveTimestamp"])
    assert 0 <= now - sent < 60_000  # a day ahead of the real time, as the clock is
    assert sent <= first_received <= now


def test_a_poison_message_reaches_its_dead_letter_queue_after_max_receive_count_advances(
    emulator, sqs
):
    clock, name = ClockClient(emulator.url), f"poison-{uuid.uuid4().hex[:8]}"
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = _attribute(sqs, dlq, "QueueArn")
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    url = sqs.create_queue(
        QueueName=name, Attributes={"VisibilityTimeout": "60", "RedrivePolicy": policy}
    )["QueueUrl"]
    try:
        sqs.send_message(QueueUrl=url, MessageBody="poison")
        for count in ("1", "2"):
            [message] = _receive(sqs, url)  # received and never deleted: a failed delivery
            assert message["Attributes"]["ApproximateReceiveCount"] == count
            clock.advance(60)
        assert _receive(sqs, url) == []  # the third receive moves it instead
        assert [m["Body"] for m in _receive(sqs, dlq)] == ["poison"]
    finally:
        sqs.delete_queue(QueueUrl=url)
        sqs.delete_queue(QueueUrl=dlq)


def test_the_hooks_add_the_offset_to_now_and_convert_a_given_time_as_upstream():
    clock = LocalClock()
    clock.advance(90)

    def upstream(dt=None):
        return 5.0 if dt is not None else 1000.0

    assert sqs_clock.seconds(upstream, clock)() == 1090.0
    assert sqs_clock.millis(upstream, clock)() == 91000.0
    assert sqs_clock.seconds(upstream, clock)(datetime(2026, 1, 1)) == 5.0
    assert sqs_clock.millis(upstream, clock)(datetime(2026, 1, 1)) == 5.0


TIME_SOURCES = {"time", "time_ns", "now", "utcnow", "today", "monotonic", "perf_counter"}
"""Attributes through which a module could read the time other than moto's ``unix_time*``."""
TIME_MODULES = ("time", "datetime")


def _times_read(path: Path) -> set[str]:
    """What ``path`` could read "now" through: ``unix_time*``, a time attribute, a time module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Name) and node.id.startswith("unix_time"):
            found.add(node.id)
        elif isinstance(node, ast.Attribute) and (
            node.attr in TIME_SOURCES or node.attr.startswith("unix_time")
        ):
            found.add(ast.unparse(node))
        elif isinstance(node, ast.Import):
            found |= {f"import {a.name}" for a in node.names if a.name in TIME_MODULES}
        elif isinstance(node, ast.ImportFrom) and node.module in TIME_MODULES:
            found.add(f"from {node.module}")
    return found


def test_moto_sqs_reads_now_only_through_the_two_names_the_book_wraps():
    folder = Path(moto.sqs.__file__).parent
    read = {p.name: _times_read(p) for p in sorted(folder.glob("*.py"))}
    assert {name: names for name, names in read.items() if names} == {
        "models.py": {"unix_time", "unix_time_millis"}
    }


def test_the_scan_finds_a_time_read_any_other_way(tmp_path):
    source = tmp_path / "timed.py"
    source.write_text(
        "import time\nfrom datetime import datetime\nfrom moto.core import utils\n"
        "a = time.time()\nb = datetime.now()\nc = utils.unix_time_millis()\n"
    )
    assert _times_read(source) == {
        "import time",
        "from datetime",
        "time.time",
        "datetime.now",
        "utils.unix_time_millis",
    }
