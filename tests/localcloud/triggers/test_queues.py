"""An SQS mapping run against the emulator's SQS with a fake function: batch size and window,
deletes, partial batch failures, visibility timeouts, and SQS's own redrive to the DLQ."""

from __future__ import annotations

import pytest

from localcloud.lambdas.invoke_errors import InvokeTimeout
from localcloud.triggers.queues import QueuePoller, failed_items
from localcloud.triggers.sources import Mapping
from tests.localcloud.triggers.conftest import REGION, FakeInvoker, failing
from tests.waiting import wait_for


def mapped(clients, queue, **settings) -> Mapping:
    """A mapping of ``queue`` to a new function, deployed, as the triggers read it back."""
    function = clients.function()
    clients.lambda_.create_event_source_mapping(
        EventSourceArn=queue["arn"], FunctionName=function["name"], **settings
    )
    found = clients.lambda_.list_event_source_mappings(EventSourceArn=queue["arn"])
    return Mapping.from_configuration(found["EventSourceMappings"][0])


def poller(clients, mapping, invoker, pause=None) -> QueuePoller:
    """A poller of ``mapping`` whose log lines are kept in ``lines``."""
    lines = []
    kwargs = {"pause": pause} if pause else {}
    made = QueuePoller(mapping, clients.sqs, invoker, region=REGION, log=lines.append, **kwargs)
    made.lines = lines
    return made


def send(clients, queue, *bodies) -> None:
    """Send ``bodies`` to ``queue``, one message each."""
    for body in bodies:
        clients.sqs.send_message(QueueUrl=queue["url"], MessageBody=body)


def test_moto_runs_no_mapping_itself(clients):
    queue = clients.queue()
    mapped(clients, queue, BatchSize=1)
    send(clients, queue, "left alone")
    assert clients.visible(queue["url"]) == 1


def test_a_batch_holds_at_most_the_batch_size_in_lambdas_shape_and_is_deleted(clients):
    queue = clients.queue(visibility_s=30)
    mapping = mapped(clients, queue, BatchSize=2)
    send(clients, queue, "a", "b", "c")
    invoker = FakeInvoker(clients)
    run = poller(clients, mapping, invoker)
    assert run.poll_once() == 2
    first = invoker.events[0]["Records"]
    assert len(first) == 2
    assert set(first[0]) >= {"messageId", "receiptHandle", "body", "attributes", "md5OfBody"}
    assert first[0]["eventSource"] == "aws:sqs" and first[0]["eventSourceARN"] == queue["arn"]
    assert first[0]["attributes"]["ApproximateReceiveCount"] == "1"
    assert run.poll_once() == 1
    assert run.poll_once() == 0
    assert sorted(r["body"] for e in invoker.events for r in e["Records"]) == ["a", "b", "c"]
    assert clients.visible(queue["url"]) == 0
    assert run.lines[0]["size"] == 2 and run.lines[0]["failed"] == 0


def test_the_window_waits_for_a_fuller_batch(clients):
    queue = clients.queue(visibility_s=30)
    mapping = mapped(clients, queue, BatchSize=10, MaximumBatchingWindowInSeconds=1)
    send(clients, queue, "first")
    sent = []

    def pause(seconds):  # a message arrives while the batch waits for its window
        if not sent:
            send(clients, queue, "second")
            sent.append(True)
        return True

    invoker = FakeInvoker(clients)
    assert poller(clients, mapping, invoker, pause).poll_once() == 2
    assert [r["body"] for r in invoker.events[0]["Records"]] == ["first", "second"]


def test_partial_failures_leave_only_the_failed_message_for_its_visibility_timeout(clients):
    queue = clients.queue(visibility_s=1, max_receive=5)
    mapping = mapped(clients, queue, BatchSize=3, FunctionResponseTypes=["ReportBatchItemFailures"])
    send(clients, queue, "ok-1", "bad", "ok-2")

    def answer(event):
        bad = [r["messageId"] for r in event["Records"] if r["body"] == "bad"]
        return {"batchItemFailures": [{"itemIdentifier": i} for i in bad]}

    invoker = FakeInvoker(clients, answer)
    run = poller(clients, mapping, invoker)
    assert run.poll_once() == 3
    assert run.poll_once() == 0  # the failed one is invisible until its timeout
    wait_for(run.poll_once, timeout=30)
    again = invoker.events[-1]["Records"]
    assert [r["body"] for r in again] == ["bad"]
    assert again[0]["attributes"]["ApproximateReceiveCount"] == "2"


def test_without_reporting_item_failures_a_returned_batch_is_all_done(clients):
    queue = clients.queue(visibility_s=30)
    mapping = mapped(clients, queue, BatchSize=5)
    send(clients, queue, "a", "b")
    answer = lambda event: {"batchItemFailures": [{"itemIdentifier": "x"}]}  # noqa: E731
    assert poller(clients, mapping, FakeInvoker(clients, answer)).poll_once() == 2
    assert clients.visible(queue["url"]) == 0
    assert clients.sqs.receive_message(QueueUrl=queue["url"]).get("Messages") is None


def test_a_failed_batch_is_kept_and_a_poison_message_reaches_the_dlq_after_max_receive(clients):
    queue = clients.queue(visibility_s=1, max_receive=2)
    mapping = mapped(clients, queue, BatchSize=1, FunctionResponseTypes=["ReportBatchItemFailures"])
    send(clients, queue, "poison")
    invoker = FakeInvoker(clients, failing)
    run = poller(clients, mapping, invoker)
    assert run.poll_once() == 1
    assert "poison" in run.lines[0]["error"] and run.lines[0]["failed"] == 1
    wait_for(lambda: clients.visible(queue["dlq_url"]) == 1, timeout=30, step=run.poll_once)
    assert len(invoker.events) == 2  # received maxReceiveCount times, then moved by SQS
    assert clients.visible(queue["url"]) == 0


@pytest.mark.parametrize(
    ("result", "failed"),
    [
        (None, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "m1"}]}, {"m1"}),
        ({"batchItemFailures": [{"itemIdentifier": "nope"}]}, None),
        ({"batchItemFailures": [{"itemIdentifier": None}]}, None),
        ({"batchItemFailures": [{}]}, None),
        ({"batchItemFailures": "m1"}, None),
    ],
)
def test_an_answer_naming_what_is_not_in_the_batch_fails_all_of_it(result, failed):
    assert failed_items(result, [{"messageId": "m1"}, {"messageId": "m2"}]) == failed


def test_a_timed_out_batch_is_kept_and_its_line_names_the_timeout(clients):
    queue = clients.queue(visibility_s=30)
    mapping = mapped(clients, queue, BatchSize=1)
    send(clients, queue, "slow")

    def time_out(event):
        raise InvokeTimeout()

    run = poller(clients, mapping, FakeInvoker(clients, time_out))
    assert run.poll_once() == 1
    assert run.lines[0]["error"] == "InvokeTimeout" and run.lines[0]["failed"] == 1
    attributes = clients.sqs.get_queue_attributes(
        QueueUrl=queue["url"], AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"
