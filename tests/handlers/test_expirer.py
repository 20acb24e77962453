"""The expirer: PENDING orders older than the limit cancelled (EXPIRED) with their stock back,
on the clock the functions read (moved as the local cloud moves it), once even when a customer
cancels at the same moment."""

from decimal import Decimal

import expirer
import pytest
from bus import sqs_event
from conftest import ADMIN, LambdaContext
from store.data import orders_table
from store.spec import settings

from tests.events import customer

LIMIT_S = 60 * 60  # PENDING_LIMIT_MINUTES in the tests' environment


@pytest.fixture(name="shop")
def shop_fixture(api):
    who = customer()
    assert api("POST", "/users", body={"email": "a@example.com", "name": "A"}, caller=who).status
    pen = api(
        "POST",
        "/products",
        body={"name": "Pen", "price": Decimal("0.07"), "category": "office", "stock": 10},
    ).body
    return {"who": who, "pen": pen}


@pytest.fixture(name="advance")
def advance_fixture(monkeypatch):
    """``advance(seconds)``: move the functions' clock forward, as `localcloud clock advance`."""
    return lambda seconds: monkeypatch.setenv(settings.CLOCK_OFFSET_SECONDS, str(seconds))


def place(api, shop, quantity=2):
    body = {"items": [{"productId": shop["pen"]["productId"], "quantity": quantity}]}
    reply = api("POST", "/orders", body=body, caller=shop["who"])
    assert reply.status == 201
    return reply.body


def get(api, order):
    return api("GET", f"/orders/{order['orderId']}").body


def stock(api, shop):
    return api("GET", f"/products/{shop['pen']['productId']}").body["stock"]


def sweep():
    return expirer.handler(sqs_event(["{}"]), LambdaContext())


def test_only_pending_orders_past_the_limit_expire(api, shop, advance):
    old, confirmed = place(api, shop), place(api, shop)
    api("PATCH", f"/orders/{confirmed['orderId']}", body={"status": "CONFIRMED"}, caller=ADMIN)
    advance(LIMIT_S - 60)
    assert sweep() == {"batchItemFailures": []}
    assert get(api, old)["status"] == "PENDING"  # not yet
    advance(LIMIT_S + 1)
    young = place(api, shop)  # placed at the moved clock's now: not old
    assert stock(api, shop) == 4
    assert sweep() == {"batchItemFailures": []}
    expired = get(api, old)
    assert (expired["status"], expired["cancelReason"]) == ("CANCELLED", "EXPIRED")
    assert [get(api, o)["status"] for o in (confirmed, young)] == ["CONFIRMED", "PENDING"]
    assert stock(api, shop) == 6  # the expired order's 2 back, once
    assert sweep() == {"batchItemFailures": []}
    assert stock(api, shop) == 6


def test_every_page_of_pending_orders_is_read(api, shop, advance, monkeypatch):
    orders = [place(api, shop, 1) for _ in range(3)]
    monkeypatch.setattr(orders_table, "PENDING_PAGE", 1)
    advance(LIMIT_S + 1)
    sweep()
    assert [get(api, o)["status"] for o in orders] == ["CANCELLED"] * 3
    assert stock(api, shop) == 10


def test_a_customer_cancelling_at_the_same_moment_gets_the_stock_back_once(
    api, shop, advance, monkeypatch
):
    placed = place(api, shop)
    advance(LIMIT_S + 1)
    real_get = orders_table.get

    def customer_cancels_right_after_the_expirer_reads(order_id):
        order = real_get(order_id)
        monkeypatch.setattr(orders_table, "get", real_get)  # the customer's cancel reads too
        path = f"/orders/{order_id}"
        reply = api("PATCH", path, body={"status": "CANCELLED"}, caller=shop["who"])
        assert reply.status == 200
        return order

    monkeypatch.setattr(orders_table, "get", customer_cancels_right_after_the_expirer_reads)
    assert sweep() == {"batchItemFailures": []}
    monkeypatch.undo()
    cancelled = get(api, placed)
    assert (cancelled["status"], cancelled["cancelReason"]) == ("CANCELLED", "CUSTOMER")
    assert stock(api, shop) == 10  # returned once, by the customer's cancel


def test_an_order_confirmed_since_the_index_was_read_is_left(api, shop, advance, monkeypatch):
    placed = place(api, shop)
    advance(LIMIT_S + 1)
    real_get = orders_table.get

    def confirmed_meanwhile(order_id):
        api("PATCH", f"/orders/{order_id}", body={"status": "CONFIRMED"}, caller=ADMIN)
        return real_get(order_id)

    monkeypatch.setattr(orders_table, "get", confirmed_meanwhile)
    assert sweep() == {"batchItemFailures": []}
    monkeypatch.undo()
    assert get(api, placed)["status"] == "CONFIRMED"
    assert stock(api, shop) == 8
