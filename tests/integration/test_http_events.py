"""Orders that tell the shop (issue 20), end to end through the deployed API, on the local cloud
and, unchanged, on AWS: an order placed mails its customer; a cancel returns the stock, puts an
event on the bus and mails; a message no consumer can handle reaches the dead-letter queue after
``maxReceiveCount`` deliveries; an order left PENDING past the limit expires.

Only the expiry needs the local clock (``python -m localcloud clock advance``): on AWS the order
would have to wait the environment's whole limit (60 minutes in dev, a day in prod), so that test
runs on the local cloud only, and says so when skipped. The dead-letter test runs everywhere; on
the local cloud it moves the clock past each failed delivery's visibility timeout (the emulator's
SQS reads that clock) where AWS takes the timeout's real time.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from localcloud.emulator.clock import ClockClient
from localcloud.tools.fault_commands import FaultControl
from tests.integration.mail import LOCAL, Mailbox

SCHEMA = Path(__file__).parents[2] / "contract" / "events.schema.json"
MAIL_WITHIN_S = 30


@pytest.fixture
def mailbox(aws, config) -> Mailbox:
    """The customers' mail (locally the emulator's SES, on AWS the notifier's log)."""
    return Mailbox(aws("logs"), f"/aws/lambda/{config.prefix}-notifier")


@pytest.fixture
def bus_tap(aws, outputs):
    """Every event the bus carries from now on, in a queue of the test's own (a rule on the
    bus), removed afterwards: ``read(predicate, within)``."""
    name = f"it-tap-{uuid.uuid4().hex[:8]}"
    sqs, events = aws("sqs"), aws("events")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    bus = outputs["EventBusName"]
    rule = events.put_rule(Name=name, EventBusName=bus, EventPattern='{"source": ["store"]}')
    sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={
            "Policy": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": arn,
                            "Condition": {"ArnEquals": {"aws:SourceArn": rule["RuleArn"]}},
                        }
                    ],
                }
            )
        },
    )
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "tap", "Arn": arn}])
    seen: list[dict] = []

    def read(predicate, within: float = MAIL_WITHIN_S) -> dict:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
                "Messages", []
            ):
                seen.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            matching = [e for e in seen if predicate(e)]
            if matching:
                return matching[0]
        raise AssertionError(f"no such event on the bus within {within} s (saw {len(seen)})")

    yield read
    events.remove_targets(Rule=name, EventBusName=bus, Ids=["tap"])
    events.delete_rule(Name=name, EventBusName=bus)
    sqs.delete_queue(QueueUrl=url)


def _place(api, quantity: int = 2, stock: int = 10):
    """A new customer and product, and an order of ``quantity`` of it: (shopper, profile,
    product, order, when it was placed)."""
    product = api.create_product(stock=stock)
    shopper, profile = api.sign_up()
    since = time.time() - 5
    response = shopper.post(
        "/orders", {"items": [{"productId": product["productId"], "quantity": quantity}]}
    )
    assert response.status_code == 201, response.text
    order = response.json(parse_float=Decimal)
    api.remember_order(order["orderId"])
    return shopper, profile, product, order, since


def _stock(api, product) -> int:
    return api.as_(None).get(f"/products/{product['productId']}").json()["stock"]


def test_an_order_placed_mails_its_customer_within_30_s(api, mailbox):
    _, profile, _, order, since = _place(api)
    (mail,) = mailbox.wait_for(profile["email"], order["orderId"], since, within=MAIL_WITHIN_S)
    if LOCAL:
        assert mail["subject"] == "Your order is placed"
        assert f"Your order {order['orderId']} is placed." in mail["body"]


def test_a_cancel_returns_the_stock_puts_an_event_on_the_bus_and_mails(api, mailbox, bus_tap):
    shopper, profile, product, order, since = _place(api, quantity=3)
    assert _stock(api, product) == 7
    cancelled = shopper.patch(f"/orders/{order['orderId']}", {"status": "CANCELLED"})
    assert cancelled.status_code == 200, cancelled.text
    assert _stock(api, product) == 10
    event = bus_tap(
        lambda e: (
            e["detail-type"] == "OrderStatusChanged"
            and e["detail"]["order"]["orderId"] == order["orderId"]
        )
    )
    jsonschema.validate(event, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert (event["detail"]["from"], event["detail"]["to"]) == ("PENDING", "CANCELLED")
    assert event["detail"]["reason"] == "CUSTOMER"
    mails = mailbox.wait_for(profile["email"], order["orderId"], since, count=2)
    if LOCAL:
        assert [m["subject"] for m in mails] == ["Your order is cancelled", "Your order is placed"]


def _alone_where_it_moves_the_clock(test):
    """``alters_stack`` on the local cloud only: there the test moves the clock, which every test
    running meanwhile would see (a token, an order's age); on AWS it moves nothing and shares
    the stack."""
    return pytest.mark.alters_stack(test) if LOCAL else test


def _in_flight(sqs, url: str) -> int:
    """How many of queue ``url``'s messages were received and are neither deleted nor back."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessagesNotVisible"])


@_alone_where_it_moves_the_clock
def test_a_message_no_consumer_can_handle_reaches_the_dlq_after_max_receive_count(aws, outputs):
    sqs = aws("sqs")
    url = outputs["NotificationsQueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    policy = json.loads(attributes["RedrivePolicy"])
    assert policy["deadLetterTargetArn"] == outputs["NotificationsDeadLetterQueueArn"]
    marker = str(uuid.uuid4())
    poison = {  # a schema version no consumer knows: it fails at every delivery
        "version": "0",
        "id": marker,
        "source": "store",
        "detail-type": "OrderPlaced",
        "detail": {"schemaVersion": 999, "eventId": marker},
    }
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(poison))
    dlq_name = outputs["NotificationsDeadLetterQueueArn"].rsplit(":", 1)[1]
    dlq = sqs.get_queue_url(QueueName=dlq_name)["QueueUrl"]
    receives, visibility = int(policy["maxReceiveCount"]), int(attributes["VisibilityTimeout"])
    # Each failed delivery waits out the visibility timeout before the next one: on AWS in real
    # time; locally the clock skips it once the delivery has taken the message (and failed).
    within = receives * (60 if LOCAL else visibility + 30)
    clock = ClockClient(os.environ["AWS_ENDPOINT_URL"]) if LOCAL else None
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for message in sqs.receive_message(
            QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=1, AttributeNames=["All"]
        ).get("Messages", []):
            if json.loads(message["Body"]).get("id") == marker:
                received = int(message["Attributes"]["ApproximateReceiveCount"])
                sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
                assert received >= receives
                return
        if clock is not None and _in_flight(sqs, url):
            clock.advance(visibility)
        time.sleep(0.5)
    raise AssertionError(f"the poison message did not reach the DLQ within {within} s")


@pytest.mark.alters_stack
@pytest.mark.skipif(
    not LOCAL,
    reason="needs the local clock: on AWS a PENDING order expires only after the environment's "
    "whole limit (events.pending_limit_minutes) of real time",
)
def test_the_clock_advanced_past_the_limit_expires_a_stale_order(api, mailbox, config):
    _, profile, product, order, since = _place(api, quantity=4)
    assert _stock(api, product) == 6
    limit = config.events.pending_limit_minutes + config.events.expiry_rate_minutes + 1
    ClockClient(os.environ["AWS_ENDPOINT_URL"]).advance(limit * 60)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = api.get(f"/orders/{order['orderId']}").json()
        if found["status"] == "CANCELLED":
            break
        time.sleep(0.5)
    assert found["status"] == "CANCELLED" and found.get("cancelReason") == "EXPIRED", found
    assert _stock(api, product) == 10
    mails = mailbox.wait_for(profile["email"], order["orderId"], since, count=2)
    assert mails[0]["subject"] == "Your order is cancelled"


@pytest.mark.alters_stack
@pytest.mark.skipif(
    not LOCAL, reason="injects a fault into SQS and moves the clock, which only the local cloud has"
)
def test_an_expiry_firing_that_failed_once_is_retried_and_expires_the_order(api, mailbox, config):
    _, profile, product, order, since = _place(api, quantity=4)
    mailbox.wait_for(profile["email"], order["orderId"], since)  # the placement's events done
    faults = FaultControl(os.environ["AWS_ENDPOINT_URL"])
    # KmsThrottled: an error of SendMessage the SDK does not retry by itself, so the schedule's
    # firing fails once and the scheduler's retry (1 s later locally) delivers it.
    faults.add("sqs", "SendMessage", error="KmsThrottled", count=1)
    try:
        limit = config.events.pending_limit_minutes + config.events.expiry_rate_minutes + 1
        ClockClient(os.environ["AWS_ENDPOINT_URL"]).advance(limit * 60)
        deadline, found = time.monotonic() + 60, {}
        while time.monotonic() < deadline:
            found = api.get(f"/orders/{order['orderId']}").json()
            if found["status"] == "CANCELLED":
                break
            time.sleep(0.5)
        [rule] = faults.rules()
    finally:
        faults.clear()
    assert rule["hits"] == 1, rule  # the first send after the clock moved: the firing's
    assert found["status"] == "CANCELLED" and found.get("cancelReason") == "EXPIRED", found
    assert _stock(api, product) == 10


def _queue_policy(queue_arn: str, principal: str, source_arns: list[str]) -> str:
    """A queue policy: ``principal`` (a service) may send to the queue for ``source_arns`` only."""
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": principal},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": source_arns}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _take(sqs, url: str, marker: str, within: float) -> dict | None:
    """The first message of queue ``url`` whose body holds ``marker`` (deleted), within
    ``within`` seconds; None if none came."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for message in sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=1,
            MessageAttributeNames=["All"],
            WaitTimeSeconds=1,
        ).get("Messages", []):
            if marker in message["Body"]:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                return message
    return None


@pytest.mark.alters_stack
def test_a_delivery_the_queue_policy_refuses_is_dead_lettered_and_the_order_still_placed(
    api, aws, outputs
):
    sqs = aws("sqs")
    url = outputs["NotificationsQueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy", "QueueArn"])
    kept, queue_arn = attributes["Attributes"]["Policy"], attributes["Attributes"]["QueueArn"]
    placed_rule = next(
        arn
        for arn in json.loads(kept)["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"]
        if arn.endswith("-notify-placed")
    )
    dlq_name = outputs["EventsDeadLetterQueueArn"].rsplit(":", 1)[1]
    dlq = sqs.get_queue_url(QueueName=dlq_name)["QueueUrl"]
    refusing = _queue_policy(queue_arn, "events.amazonaws.com", [placed_rule + "-not-this-one"])
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": refusing})
    try:
        # SQS applies a policy change within a minute on AWS (at once locally): orders are placed
        # until one's event is refused, each one checked.
        deadline, dead, order, shopper = time.monotonic() + 150, None, None, None
        while dead is None and time.monotonic() < deadline:
            shopper, _, _, order, _ = _place(api)
            dead = _take(sqs, dlq, order["orderId"], within=30)
    finally:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": kept})
    assert dead is not None, "no refused delivery reached the events' dead-letter queue"
    event = json.loads(dead["Body"])
    assert event["detail-type"] == "OrderPlaced" and event["source"] == "store"
    said = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert said["RULE_ARN"] == placed_rule
    assert said["TARGET_ARN"] == queue_arn
    assert said["ERROR_CODE"] and said["ERROR_MESSAGE"]
    if LOCAL:
        assert said["ERROR_CODE"] == "NO_PERMISSIONS"
    found = shopper.get(f"/orders/{order['orderId']}")
    assert found.status_code == 200 and found.json()["status"] == "PENDING", found.text


@pytest.fixture
def topic_tap(aws, outputs):
    """What the low-stock topic publishes from now on, in a queue of the test's own subscribed
    to it (removed afterwards): ``read(marker, within)`` -> SNS's envelope."""
    sqs, sns = aws("sqs"), aws("sns")
    topic = outputs["LowStockTopicArn"]
    url = sqs.create_queue(QueueName=f"it-alerts-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = _queue_policy(arn, "sns.amazonaws.com", [topic])
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]

    def read(marker: str, within: float = MAIL_WITHIN_S) -> dict:
        message = _take(sqs, url, marker, within)
        assert message is not None, f"the topic published nothing about {marker} in {within} s"
        return json.loads(message["Body"])

    yield read
    sns.unsubscribe(SubscriptionArn=subscription)
    sqs.delete_queue(QueueUrl=url)


def test_a_low_stock_alert_for_a_hostile_product_name_is_delivered(api, config, topic_tap):
    # The contract allows 200 characters, control characters and line breaks among them; SNS
    # refuses such a subject (and the local cloud refuses it as SNS does).
    marker = uuid.uuid4().hex[:8]
    name = f"\x07Lamp {marker}\r\n\t\x1b[31m ünïcode " + "Z" * 200
    name = name[:200]
    threshold = config.events.low_stock_threshold
    product = api.create_product(name=name, stock=threshold + 2)
    shopper, _ = api.sign_up()
    placed = shopper.post(
        "/orders", {"items": [{"productId": product["productId"], "quantity": 2}]}
    )
    assert placed.status_code == 201, placed.text
    api.remember_order(placed.json()["orderId"])
    envelope = topic_tap(product["productId"])
    alert = json.loads(envelope["Message"])
    assert (alert["productId"], alert["name"], alert["stock"]) == (
        product["productId"],
        name,
        threshold,
    )
    subject = envelope["Subject"]
    assert subject and len(subject) < 100 and subject.isascii() and subject.isprintable()
