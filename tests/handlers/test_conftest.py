"""The handler suite's in-process AWS (``conftest.py``): one mock across consecutive tests,
reset between them by moto 5.2.5's own per-service reset, read from its internals
(``BackendDict._instances``). When moto changes them, this fails before a test meets what an
earlier one left (a queue, unlike a table, is silently found again by its create)."""

from conftest import _reset_all_but_kms, client


def test_the_reset_between_tests_leaves_every_service_empty_but_the_pagination_key(aws):
    sqs, events, kms = client("sqs"), client("events"), client("kms")
    sqs.create_queue(QueueName="left-over")
    events.create_event_bus(Name="left-over")
    keys = {k["KeyId"] for k in kms.list_keys()["Keys"]}
    _reset_all_but_kms()
    assert sqs.list_queues().get("QueueUrls", []) == []
    assert aws.list_tables()["TableNames"] == []
    assert [b["Name"] for b in events.list_event_buses()["EventBuses"]] == ["default"]
    assert {k["KeyId"] for k in kms.list_keys()["Keys"]} == keys
