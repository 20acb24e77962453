"""stock-alerts: each StockLow event told on the low-stock topic (moto's SNS), once."""

from decimal import Decimal

import publisher
import stock_alerts
from bus import sqs_event
from conftest import LambdaContext

from tests.events import customer


def low_stock_event(api, bus):
    """A StockLow event as the bus delivers it: an order takes a product from 6 to 1."""
    who = customer()
    assert api("POST", "/users", body={"email": "a@example.com", "name": "A"}, caller=who).status
    pen = api(
        "POST",
        "/products",
        body={"name": "Pen", "price": Decimal("0.07"), "category": "office", "stock": 6},
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
