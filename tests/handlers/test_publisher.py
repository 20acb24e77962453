"""The publisher: the tables' change streams -> the store's events on the bus (moto), each
checked against contract/events.schema.json by ``Bus.published``."""

import json
from decimal import Decimal

import boto3
import publisher
import pytest
from conftest import ADMIN, LambdaContext
from store.runtime import sdk

from tests.events import customer


@pytest.fixture(name="shop")
def shop_fixture(api, bus):
    """A customer with a profile and a product with 8 in stock; the streams read past them."""
    ann = customer()
    user = api("POST", "/users", body={"email": "ann@example.com", "name": "Ann"}, caller=ann).body
    pen = api(
        "POST",
        "/products",
        body={"name": "Pen", "price": Decimal("0.07"), "category": "office", "stock": 8},
    ).body
    publish(bus, "orders", "products")
    assert bus.published() == []  # a new product is no event
    return {"ann": ann, "user": user, "pen": pen}


def publish(bus, *tables):
    """Run the publisher on each table's new stream records (if any: Lambda never invokes a
    mapping's function with none); its responses."""
    batches = [bus.stream_event(table) for table in tables]
    return [publisher.handler(b, LambdaContext()) for b in batches if b["Records"]]


def order(api, shop, quantity, caller=None):
    body = {"items": [{"productId": shop["pen"]["productId"], "quantity": quantity}]}
    reply = api("POST", "/orders", body=body, caller=caller or shop["ann"])
    assert reply.status == 201
    return reply.body


def set_status(api, placed, status, caller=ADMIN):
    reply = api("PATCH", f"/orders/{placed['orderId']}", body={"status": status}, caller=caller)
    assert reply.status == 200
    return reply.body


def test_order_placed_carries_the_order_as_get_returns_it(api, bus, shop):
    placed = order(api, shop, 1)
    assert publish(bus, "orders") == [{"batchItemFailures": []}]
    (event,) = bus.published()
    assert (event["source"], event["detail-type"]) == ("store", "OrderPlaced")
    got = api("GET", f"/orders/{placed['orderId']}", caller=shop["ann"]).body
    assert event["detail"]["order"] == json.loads(json.dumps(got, default=float))
    assert event["detail"]["schemaVersion"] == 1
    assert "ann@example.com" not in str(event)


def test_status_changes_in_order_with_the_reason_of_a_cancel(api, bus, shop):
    placed = order(api, shop, 1)
    set_status(api, placed, "CONFIRMED")
    set_status(api, placed, "CANCELLED", caller=shop["ann"])
    publish(bus, "orders")
    changes = [
        (
            e["detail-type"],
            e["detail"].get("from"),
            e["detail"].get("to"),
            e["detail"].get("reason"),
        )
        for e in bus.published()
    ]
    assert changes == [
        ("OrderPlaced", None, None, None),
        ("OrderStatusChanged", "PENDING", "CONFIRMED", None),
        ("OrderStatusChanged", "CONFIRMED", "CANCELLED", "CUSTOMER"),
    ]


def test_a_redelivered_record_has_the_same_event_id(api, bus, shop):
    order(api, shop, 1)
    records = bus.stream_event("orders")
    publisher.handler(records, LambdaContext())
    publisher.handler(records, LambdaContext())
    first, again = bus.published()
    assert first["detail"]["eventId"] == again["detail"]["eventId"]
    assert first["id"] != again["id"]  # two publications of one change: consumers deduplicate


@pytest.mark.parametrize(
    ("stock_after", "low"),
    [(8, False), (6, False), (5, True), (0, True)],
)
def test_stock_low_only_on_a_decrease_to_or_below_the_threshold(api, bus, shop, stock_after, low):
    taken = 8 - stock_after
    if taken:
        order(api, shop, taken)
    publish(bus, "orders", "products")
    stock_low = [e["detail"] for e in bus.published() if e["detail-type"] == "StockLow"]
    expected = {"productId": shop["pen"]["productId"], "name": "Pen", "stock": stock_after}
    assert stock_low == ([{**stock_low[0], **expected, "threshold": 5}] if low else [])


def test_no_stock_low_when_stock_goes_back_up_or_a_product_is_deleted(api, bus, shop):
    placed = order(api, shop, 4)  # 8 -> 4: low
    set_status(api, placed, "CANCELLED")  # 4 -> 8: a restock
    api("PATCH", f"/products/{shop['pen']['productId']}", body={"name": "Pen 2"})  # 8 -> 8
    api("DELETE", f"/products/{shop['pen']['productId']}")
    publish(bus, "products")
    assert [e["detail"]["stock"] for e in bus.published()] == [4]


def test_an_order_change_without_a_status_change_is_no_event(api, bus, shop):

    placed = order(api, shop, 1)
    boto3.client("dynamodb").update_item(
        TableName="test-orders",
        Key={"orderId": {"S": placed["orderId"]}},
        UpdateExpression="SET updatedAt = :now",
        ExpressionAttributeValues={":now": {"S": "2030-01-01T00:00:00.000Z"}},
    )
    boto3.client("dynamodb").delete_item(
        TableName="test-orders", Key={"orderId": {"S": placed["orderId"]}}
    )
    publish(bus, "orders")
    assert [e["detail-type"] for e in bus.published()] == ["OrderPlaced"]


def test_a_refused_entry_fails_its_record_and_every_later_one(api, bus, shop, monkeypatch):
    first, second = order(api, shop, 1), order(api, shop, 1)
    records = bus.stream_event("orders")
    real = sdk.client("events").put_events
    calls = []

    def refuse_first(**request):
        calls.append(request)
        if len(calls) == 1:
            return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure"}]}
        return real(**request)

    monkeypatch.setattr(sdk.client("events"), "put_events", refuse_first)
    response = publisher.handler(records, LambdaContext())
    sequence = [r["dynamodb"]["SequenceNumber"] for r in records["Records"]]
    assert response == {"batchItemFailures": [{"itemIdentifier": s} for s in sequence]}
    assert len(calls) == 1  # the second order's record was not published ahead of the first
    assert bus.published() == []
    # Lambda retries from the first failure: both, in their order.
    assert publisher.handler(records, LambdaContext()) == {"batchItemFailures": []}
    assert [e["detail"]["order"]["orderId"] for e in bus.published()] == [
        first["orderId"],
        second["orderId"],
    ]
