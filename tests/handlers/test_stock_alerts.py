"""stock-alerts: each StockLow event told on the low-stock topic (moto's SNS), once."""

from decimal import Decimal

import publisher
import stock_alerts
from bus import sqs_event
from conftest import LambdaContext
from store.runtime import sdk

from tests.events import customer


def low_stock_event(api, bus, name="Pen"):
    """A StockLow event as the bus delivers it: an order takes a product from 6 to 1."""
    who = customer()
    assert api("POST", "/users", body={"email": "a@example.com", "name": "A"}, caller=who).status
    pen = api(
        "POST",
        "/products",
        body={"name": name, "price": Decimal("0.07"), "category": "office", "stock": 6},
    ).body
    body = {"items": [{"productId": pen["productId"], "quantity": 5}]}
    assert api("POST", "/orders", body=body, caller=who).status == 201
    publisher.handler(bus.stream_event("products"), LambdaContext())
    (event,) = bus.published()
    return event


def test_stock_low_is_told_once_on_the_topic(api, bus):
    event = low_stock_event(api, bus)
    batch = sqs_event([event, event])
    assert stock_alerts.handler(batch, LambdaContext()) == {"batchItemFailures": []}
    assert stock_alerts.handler(sqs_event([event]), LambdaContext()) == {"batchItemFailures": []}
    (alert,) = bus.alerts()
    detail = event["detail"]
    assert alert == {
        "productId": detail["productId"],
        "name": "Pen",
        "stock": 1,
        "threshold": 5,
        "eventId": detail["eventId"],
    }


def test_an_unknown_schema_version_is_not_told(api, bus):
    event = low_stock_event(api, bus)
    future = {**event, "detail": {**event["detail"], "schemaVersion": "2"}}
    batch = sqs_event([future])
    response = stock_alerts.handler(batch, LambdaContext())
    assert response == {"batchItemFailures": [{"itemIdentifier": batch["Records"][0]["messageId"]}]}
    assert bus.alerts() == []


def test_a_hostile_name_is_told_whole_under_a_subject_sns_accepts(api, bus, monkeypatch):
    """A name the contract allows (200 characters, control characters and line breaks in it):
    the subject is one SNS accepts (less than 100 printable ASCII characters), the message
    holds the name as it is."""
    name = "Pen\r\nBcc: x@example.com\x00\x1b\u2028é" + "z" * 173
    assert len(name) == 200
    event = low_stock_event(api, bus, name)
    client = sdk.client("sns")
    subjects = []
    publish = client.publish

    def recording(**kwargs):
        subjects.append(kwargs["Subject"])
        return publish(**kwargs)

    monkeypatch.setattr(client, "publish", recording)
    assert stock_alerts.handler(sqs_event([event]), LambdaContext()) == {"batchItemFailures": []}
    (alert,) = bus.alerts()
    assert alert["name"] == name
    (subject,) = subjects
    assert subject == "Low stock: Pen Bcc: x@example.com e" + "z" * 61 + "..."
    assert len(subject) == 99 and all(0x20 <= ord(c) <= 0x7E for c in subject)
