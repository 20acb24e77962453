"""EventBridge's delivery to SQS on the emulator, as AWS makes it: judged by the queue's policy,
retried per the target's retry policy, dead-lettered with AWS's attributes, and counted."""

from __future__ import annotations

import io
import json
import time
import uuid
from types import SimpleNamespace

import boto3
import moto

from localcloud.base import aws as localcloud_aws
from localcloud.emulator.event_delivery import Deliveries
from tests.localcloud.conftest import REGION

ACCOUNT = "123456789012"  # moto's account, the emulator's


def _admitting(queue_arn: str, rule_arns: list[str]) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "OnlyItsRules",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": rule_arns}},
                }
            ],
        }
    )


class Bus:
    """A bus, one rule to a queue with a dead-letter queue, on the session's emulator."""

    def __init__(self, emulator_url: str, retry: dict | None = None, admit_dlq: bool = True):
        session = localcloud_aws.session(REGION)
        self.events = session.client("events", endpoint_url=emulator_url)
        self.sqs = session.client("sqs", endpoint_url=emulator_url)
        self.cloudwatch = session.client("cloudwatch", endpoint_url=emulator_url)
        name = f"b-{uuid.uuid4().hex[:8]}"
        self.bus = self.events.create_event_bus(Name=name)["EventBusArn"].split("/")[-1]
        self.rule_name = f"{name}-rule"
        self.rule_arn = self.events.put_rule(
            Name=self.rule_name, EventBusName=name, EventPattern=json.dumps({"source": ["shop"]})
        )["RuleArn"]
        self.queue_url, self.queue_arn = self._queue(f"{name}-q")
        self.dlq_url, self.dlq_arn = self._queue(f"{name}-dlq")
        self.admit(self.queue_url, self.queue_arn, [self.rule_arn])
        self.admit(self.dlq_url, self.dlq_arn, [self.rule_arn] if admit_dlq else [])
        self.target_id = "q"
        self.events.put_targets(
            Rule=self.rule_name,
            EventBusName=name,
            Targets=[
                {
                    "Id": self.target_id,
                    "Arn": self.queue_arn,
                    "DeadLetterConfig": {"Arn": self.dlq_arn},
                    "RetryPolicy": retry
                    or {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
                }
            ],
        )

    def _queue(self, name: str) -> tuple[str, str]:
        url = self.sqs.create_queue(QueueName=name, Attributes={"SqsManagedSseEnabled": "true"})[
            "QueueUrl"
        ]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return url, arn["Attributes"]["QueueArn"]

    def admit(self, url: str, arn: str, rule_arns: list[str]) -> None:
        """Set the queue's policy to admit EventBridge for ``rule_arns`` only."""
        policy = _admitting(arn, rule_arns or [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/other"])
        self.sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})

    def put(self) -> str:
        """One event matching the rule; its id."""
        entries = self.events.put_events(
            Entries=[
                {"Source": "shop", "DetailType": "OrderPlaced", "Detail": '{"orderId": "o-1"}'}
                | {"EventBusName": self.bus}
            ]
        )["Entries"]
        assert entries[0].get("EventId"), entries
        return entries[0]["EventId"]

    def received(self, url: str, timeout: float = 20.0) -> list[dict]:
        """The messages of queue ``url`` (waiting up to ``timeout`` for the first)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            ).get("Messages", [])
            if found:
                return found
            time.sleep(0.1)
        return []

    def metric(self, name: str) -> float:
        """The sum of AWS/Events ``name`` for the rule (by EventBusName and RuleName: moto
        matches a query's dimensions as a subset, so RuleName alone would count both sets)."""
        found = self.cloudwatch.get_metric_statistics(
            Namespace="AWS/Events",
            MetricName=name,
            Dimensions=[
                {"Name": "EventBusName", "Value": self.bus},
                {"Name": "RuleName", "Value": self.rule_name},
            ],
            StartTime=time.time() - 3600,
            EndTime=time.time() + 3600,
            Period=60,
            Statistics=["Sum"],
        )
        return sum(point["Sum"] for point in found["Datapoints"])


def _attributes(message: dict) -> dict[str, str]:
    return {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}


def test_a_rule_its_queue_admits_delivers_the_event(emulator):
    bus = Bus(emulator.url)
    event_id = bus.put()
    [message] = bus.received(bus.queue_url)
    body = json.loads(message["Body"])
    assert (body["id"], body["detail"], body["detail-type"]) == (
        event_id,
        {"orderId": "o-1"},
        "OrderPlaced",
    )
    assert bus.received(bus.dlq_url, timeout=0.5) == []


def test_a_queue_policy_naming_another_rule_refuses_and_the_event_is_dead_lettered(emulator):
    bus = Bus(emulator.url)
    bus.admit(bus.queue_url, bus.queue_arn, [])
    event_id = bus.put()
    [dead] = bus.received(bus.dlq_url)
    assert json.loads(dead["Body"])["id"] == event_id
    attributes = _attributes(dead)
    assert attributes["ERROR_CODE"] == "NO_PERMISSIONS"
    assert attributes["RULE_ARN"] == bus.rule_arn
    assert attributes["TARGET_ARN"] == bus.queue_arn
    assert bus.queue_arn in attributes["ERROR_MESSAGE"]
    assert "EXHAUSTED_RETRY_CONDITION" not in attributes  # refused: AWS does not retry
    assert bus.received(bus.queue_url, timeout=0.5) == []
    assert bus.metric("FailedInvocations") == 1
    assert bus.metric("InvocationsSentToDlq") == 1


def test_a_queue_with_no_policy_refuses_events(emulator):
    bus = Bus(emulator.url)
    bus.sqs.set_queue_attributes(QueueUrl=bus.queue_url, Attributes={"Policy": ""})
    bus.put()
    [dead] = bus.received(bus.dlq_url)
    assert _attributes(dead)["ERROR_CODE"] == "NO_PERMISSIONS"


def test_a_throttled_delivery_is_retried_and_arrives(emulator, faults):
    bus = Bus(emulator.url)
    faults.add("sqs", "SendMessage", error="RequestThrottled", count=2)
    event_id = bus.put()
    [message] = bus.received(bus.queue_url, timeout=30)
    assert json.loads(message["Body"])["id"] == event_id
    assert bus.metric("RetryInvocationAttempts") == 2
    assert bus.metric("FailedInvocations") == 0
    assert bus.received(bus.dlq_url, timeout=0.5) == []


def test_retries_exhausted_go_to_the_dead_letter_queue_saying_so(emulator, faults):
    bus = Bus(emulator.url, retry={"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 3600})
    faults.add("sqs", "SendMessage", error="RequestThrottled", count=2)
    bus.put()
    [dead] = bus.received(bus.dlq_url, timeout=30)
    attributes = _attributes(dead)
    assert attributes["ERROR_CODE"] == "THROTTLING"
    assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert attributes["RETRY_ATTEMPTS"] == "1"
    assert bus.received(bus.queue_url, timeout=0.5) == []


def test_a_dead_letter_queue_that_refuses_loses_the_event_and_says_so(emulator):
    bus = Bus(emulator.url, admit_dlq=False)
    bus.admit(bus.queue_url, bus.queue_arn, [])
    bus.put()
    deadline = time.monotonic() + 20
    while bus.metric("InvocationsFailedToBeSentToDlq") < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert bus.metric("InvocationsFailedToBeSentToDlq") == 1
    assert bus.metric("InvocationsSentToDlq") == 0
    assert bus.received(bus.dlq_url, timeout=0.5) == []


class _Throttling:  # pylint: disable=too-few-public-methods
    """Fault rules that throttle every send (the emulator's ``FaultRules``, as the delivery
    reads them)."""

    rules = ("throttle",)

    def hit(self, _request):
        return SimpleNamespace(error="RequestThrottled", status=400, describe=lambda: "throttle")


def test_a_delivery_older_than_its_maximum_age_is_given_up_on_the_local_clock():
    with moto.mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        urls = [sqs.create_queue(QueueName=name)["QueueUrl"] for name in ("q", "dlq")]
        arns = [
            sqs.get_queue_attributes(QueueUrl=u, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            for u in urls
        ]
        rule = SimpleNamespace(
            arn=f"arn:aws:events:{REGION}:{ACCOUNT}:rule/bus/r",
            name="r",
            event_bus_name="bus",
            account_id=ACCOUNT,
        )
        for url, arn in zip(urls, arns, strict=True):
            sqs.set_queue_attributes(
                QueueUrl=url, Attributes={"Policy": _admitting(arn, [rule.arn])}
            )
        now = [1_800_000_000.0]
        deliveries = Deliveries(faults=_Throttling(), now=lambda: now[0], stream=io.StringIO())
        target = {
            "Id": "q",
            "Arn": arns[0],
            "DeadLetterConfig": {"Arn": arns[1]},
            "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 60},
        }
        deliveries.start(rule, target, {"id": "e-1", "detail": {}, "time": now[0]})
        assert deliveries.pending() == 1
        [waiting] = deliveries._waiting  # pylint: disable=protected-access
        deliveries._waiting.clear()  # pylint: disable=protected-access  # tried here, not later
        now[0] += 60  # python -m localcloud clock advance 1m
        deliveries.faults = None  # the queue would take it now: the age alone gives it up
        deliveries.attempt(waiting)
        [dead] = sqs.receive_message(QueueUrl=urls[1], MessageAttributeNames=["All"])["Messages"]
        said = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
        assert said["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"
        assert said["ERROR_CODE"] == "THROTTLING" and said["RETRY_ATTEMPTS"] == "0"
        assert "Messages" not in sqs.receive_message(QueueUrl=urls[0])
