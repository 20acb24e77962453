"""A DynamoDB stream mapping run against the emulator's stream with a fake function: records in
order in Lambda's shape, partial batch failures, bisect, retries and the on-failure
destination."""

from __future__ import annotations

import json

import pytest

from localcloud.triggers.sources import Mapping
from localcloud.triggers.streams import StreamPoller, first_failed
from tests.localcloud.triggers.conftest import REGION, FakeInvoker, failing


def mapped(clients, table, **settings) -> Mapping:
    """A mapping of ``table``'s stream to a new function, as the triggers read it back."""
    function = clients.function()
    clients.lambda_.create_event_source_mapping(
        EventSourceArn=table["stream_arn"],
        FunctionName=function["name"],
        StartingPosition="TRIM_HORIZON",
        **settings,
    )
    found = clients.lambda_.list_event_source_mappings(EventSourceArn=table["stream_arn"])
    return Mapping.from_configuration(found["EventSourceMappings"][0])


def write(clients, table, *ids) -> None:
    """Put one item per id."""
    for item_id in ids:
        clients.dynamodb.put_item(TableName=table["name"], Item={"id": {"S": item_id}})


def ids(event) -> list[str]:
    """The ids of the items an event's records are about."""
    return [r["dynamodb"]["Keys"]["id"]["S"] for r in event["Records"]]


def poller(clients, mapping, invoker, offset=0.0) -> StreamPoller:
    """A poller of ``mapping`` whose log lines are kept in ``lines``."""
    lines = []
    made = StreamPoller(
        mapping,
        clients.dynamodbstreams,
        invoker,
        region=REGION,
        log=lines.append,
        offset_s=lambda: offset,
    )
    made.lines = lines
    return made


def test_records_come_in_order_in_lambdas_shape_within_the_batch_size(clients):
    table = clients.table()
    mapping = mapped(clients, table, BatchSize=2)
    write(clients, table, "a", "b", "c")
    clients.dynamodb.delete_item(TableName=table["name"], Key={"id": {"S": "a"}})
    invoker = FakeInvoker(clients)
    run = poller(clients, mapping, invoker, offset=3600)
    while run.poll_once():
        pass
    assert [ids(e) for e in invoker.events] == [["a", "b"], ["c", "a"]]
    first = invoker.events[0]["Records"][0]
    assert first["eventName"] == "INSERT" and first["eventSourceARN"] == table["stream_arn"]
    assert first["awsRegion"] == REGION and first["dynamodb"]["NewImage"] == {"id": {"S": "a"}}
    assert isinstance(first["dynamodb"]["ApproximateCreationDateTime"], int)
    assert invoker.events[1]["Records"][1]["eventName"] == "REMOVE"
    write(clients, table, "d")
    assert run.poll_once() == 1 and ids(invoker.events[-1]) == ["d"]


def test_the_creation_time_is_on_the_local_clock(clients):
    table = clients.table()
    mapping = mapped(clients, table, BatchSize=1)
    write(clients, table, "a")
    seen = {}
    for offset in (0, 86400):
        invoker = FakeInvoker(clients)
        poller(clients, mapping, invoker, offset=offset).poll_once()
        seen[offset] = invoker.events[0]["Records"][0]["dynamodb"]["ApproximateCreationDateTime"]
    assert seen[86400] - seen[0] == 86400


def test_a_partial_failure_is_retried_from_the_first_failed_record(clients):
    table = clients.table()
    mapping = mapped(clients, table, BatchSize=3, FunctionResponseTypes=["ReportBatchItemFailures"])
    write(clients, table, "a", "b", "c")
    calls = []

    def answer(event):
        calls.append(ids(event))
        if len(calls) == 1:  # b and c fail the first time: the retry starts at b
            numbers = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
            return {"batchItemFailures": [{"itemIdentifier": n} for n in numbers[:0:-1]]}
        return None

    run = poller(clients, mapping, FakeInvoker(clients, answer))
    assert run.poll_once() == 0
    assert run.poll_once() == 2
    assert calls == [["a", "b", "c"], ["b", "c"]]
    assert run.poll_once() == 0 and len(calls) == 2


def test_bisect_isolates_the_poison_record_and_the_destination_gets_it_after_the_retries(clients):
    table = clients.table()
    destination = clients.queue(visibility_s=30)
    mapping = mapped(
        clients,
        table,
        BatchSize=4,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": destination["arn"]}},
    )
    write(clients, table, "a", "b", "poison", "d")

    def answer(event):
        if "poison" in ids(event):
            return failing(event)
        return None

    invoker = FakeInvoker(clients, answer)
    run = poller(clients, mapping, invoker)
    for _ in range(12):
        run.poll_once()
    done = [ids(e) for e in invoker.events if "poison" not in ids(e)]
    assert sorted(i for batch in done for i in batch) == ["a", "b", "d"]
    assert [ids(e) for e in invoker.events].count(["poison"]) == 2  # the first try, one retry
    sent = clients.sqs.receive_message(QueueUrl=destination["url"])["Messages"]
    info = json.loads(sent[0]["Body"])["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["streamArn"] == table["stream_arn"]
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert any(line["event"] == "batch-discarded" for line in run.lines)


def test_a_failing_batch_without_a_limit_is_retried_and_blocks_what_follows(clients):
    table = clients.table()
    mapping = mapped(clients, table, BatchSize=1)
    write(clients, table, "a", "b")
    invoker = FakeInvoker(clients, failing)
    run = poller(clients, mapping, invoker)
    for _ in range(3):
        assert run.poll_once() == 0
    assert [ids(e) for e in invoker.events] == [["a"]] * 3


@pytest.mark.parametrize(
    ("result", "index"),
    [
        (None, 2),
        ({"batchItemFailures": []}, 2),
        ({"batchItemFailures": [{"itemIdentifier": "20"}, {"itemIdentifier": "10"}]}, 0),
        ({"batchItemFailures": [{"itemIdentifier": "20"}]}, 1),
        ({"batchItemFailures": [{"itemIdentifier": "30"}]}, None),
        ({"batchItemFailures": [{}]}, None),
    ],
)
def test_the_first_failed_record_is_the_lowest_one_named(result, index):
    batch = [{"dynamodb": {"SequenceNumber": n}} for n in ("10", "20")]
    assert first_failed(result, batch) == index
