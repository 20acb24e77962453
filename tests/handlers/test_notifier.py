"""The notifier: the customer's mail for an order placed, shipped or cancelled (moto's SES),
once per event, message by message."""

import json
from decimal import Decimal

import notifier
import publisher
import pytest
from botocore.exceptions import ClientError
from bus import sqs_event
from conftest import ADMIN, LambdaContext
from store.runtime import sdk

from tests.events import customer


@pytest.fixture(name="shop")
def shop_fixture(api, bus):
    """Two customers with profiles and a product; the streams read past them."""
    people = {}
    for name in ("ann", "bob"):
        who = customer()
        body = {"email": f"{name}@example.com", "name": name.title()}
        assert api("POST", "/users", body=body, caller=who).status == 201
        people[name] = who
    pen = api(
        "POST",
        "/products",
        body={"name": "Pen", "price": Decimal("0.07"), "category": "office", "stock": 50},
    ).body
    bus.stream_event("products")
    return {**people, "pen": pen}


def events_of(api, bus, shop, *steps):
    """Place an order per (customer, statuses...) step, make those status changes, publish;
    the events the bus delivered, in order."""
    for name, *statuses in steps:
        body = {"items": [{"productId": shop["pen"]["productId"], "quantity": 2}]}
        placed = api("POST", "/orders", body=body, caller=shop[name]).body
        for status in statuses:
            path = f"/orders/{placed['orderId']}"
            assert api("PATCH", path, body={"status": status}, caller=ADMIN).status == 200
    assert publisher.handler(bus.stream_event("orders"), LambdaContext())["batchItemFailures"] == []
    return bus.published()


def notify(*bodies):
    return notifier.handler(sqs_event(bodies), LambdaContext())


def failed(response, batch):
    """The message ids a response reported failed, as indices into the batch's records."""
    ids = [record["messageId"] for record in batch["Records"]]
    return [ids.index(item["itemIdentifier"]) for item in response["batchItemFailures"]]


def mails(bus):
    return [(m.destinations["ToAddresses"], m.subject, m.source) for m in bus.mails()]


def test_placed_shipped_and_cancelled_are_mailed_confirmed_is_not(api, bus, shop):
    events = events_of(
        api, bus, shop, ("ann", "CONFIRMED", "SHIPPED"), ("bob", "CONFIRMED", "CANCELLED")
    )
    assert notify(*events) == {"batchItemFailures": []}
    sender = "store@shop.example.com"
    assert mails(bus) == [
        (["ann@example.com"], "Your order is placed", sender),
        (["ann@example.com"], "Your order is shipped", sender),
        (["bob@example.com"], "Your order is placed", sender),
        (["bob@example.com"], "Your order is cancelled", sender),
    ]
    placed = events[0]["detail"]["order"]
    assert f"Your order {placed['orderId']} is placed." in bus.mails()[0].body
    assert "2 x Pen" in bus.mails()[0].body


def test_a_duplicate_delivery_sends_no_second_mail(api, bus, shop):
    (event,) = events_of(api, bus, shop, ("ann",))
    assert notify(event, event) == {"batchItemFailures": []}
    assert notify(event) == {"batchItemFailures": []}
    assert len(bus.mails()) == 1


@pytest.mark.parametrize(
    "poison",
    ["not json", json.dumps({"detail-type": "OrderPlaced"}), json.dumps([1])],
)
def test_a_poison_message_fails_alone(api, bus, shop, poison, caplog):
    (event,) = events_of(api, bus, shop, ("ann",))
    batch = sqs_event([poison, event])
    response = notifier.handler(batch, LambdaContext())
    assert failed(response, batch) == [0]
    assert len(bus.mails()) == 1
    (line,) = [r for r in caplog.records if r.getMessage() == "Unreadable message"]
    assert line.messageId == batch["Records"][0]["messageId"]


def test_an_unknown_schema_version_fails_with_a_log_line_naming_it(api, bus, shop, caplog):
    (event,) = events_of(api, bus, shop, ("ann",))
    future = {**event, "detail": {**event["detail"], "schemaVersion": 2}}
    batch = sqs_event([future])
    assert failed(notifier.handler(batch, LambdaContext()), batch) == [0]
    assert bus.mails() == []
    (line,) = [r for r in caplog.records if r.getMessage() == "Unknown schema version"]
    assert (line.schemaVersion, line.eventId) == (2, event["detail"]["eventId"])


def test_a_refused_mail_is_retried_without_blocking_the_batch(api, bus, shop, monkeypatch):
    events = events_of(api, bus, shop, ("ann",), ("bob",))
    real = sdk.client("sesv2").send_email
    refused = {"bob@example.com"}

    def send_email(**request):
        if request["Destination"]["ToAddresses"][0] in refused:
            error = {"Error": {"Code": "MessageRejected", "Message": "not verified"}}
            raise ClientError(error, "SendEmail")
        return real(**request)

    monkeypatch.setattr(sdk.client("sesv2"), "send_email", send_email)
    batch = sqs_event(events)
    assert failed(notifier.handler(batch, LambdaContext()), batch) == [1]
    assert [to for to, *_ in mails(bus)] == [["ann@example.com"]]
    refused.clear()  # the recipient got verified: the retry (same event) is sent
    assert notify(events[1]) == {"batchItemFailures": []}
    assert [to for to, *_ in mails(bus)] == [["ann@example.com"], ["bob@example.com"]]


def test_no_mail_when_the_customer_is_gone(api, bus, shop):
    (event,) = events_of(api, bus, shop, ("ann",))
    user_id = event["detail"]["order"]["userId"]
    assert api("DELETE", f"/users/{user_id}", caller=shop["ann"]).status == 204
    assert notify(event) == {"batchItemFailures": []}
    assert bus.mails() == []
