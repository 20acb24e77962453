"""The storm's checks themselves, on made-up answers and stored state: each invariant the chaos
suite reports is one that a broken store would violate."""

import json
from decimal import Decimal

import pytest

from tests.chaos.storm import Answer, Plan, Storm

PRODUCT = "p-1"


class FakeApi:
    """The admin's client: a product's stock, and what the storm asks it to remember."""

    def __init__(self, stock: int):
        self.stock = stock
        self.remembered = []

    def get(self, _path):
        """GET /products/{id}."""
        return type("Response", (), {"json": lambda _self: {"stock": self.stock}})()

    def remember_order(self, order_id):
        """Orders to remove afterwards."""
        self.remembered.append(order_id)


class FakeDynamoDB:
    """A scan of the orders table."""

    def __init__(self, orders):
        self.items = [
            {
                "orderId": {"S": order_id},
                "userId": {"S": "u-1"},
                "items": {"L": [{"M": {"productId": {"S": PRODUCT}, "quantity": {"N": str(q)}}}]},
            }
            for order_id, q in orders
        ]

    def get_paginator(self, _name):
        """One page."""
        return type("Paginator", (), {"paginate": lambda _self, **_: [{"Items": self.items}]})()


def _order(order_id: str, quantity: int) -> Answer:
    body = {"orderId": order_id, "items": [{"productId": PRODUCT, "quantity": quantity}]}
    return Answer(201, json.loads(json.dumps(body), parse_float=Decimal), json.dumps(body))


def _check(outcome, stored, stock, quantity=2):
    storm = Storm(FakeApi(stock), None, FakeDynamoDB(stored), "orders", Plan(stock=10))
    storm.customers = [(None, {"userId": "u-1"})]
    storm.products = [{"productId": PRODUCT}]
    job = (None, {"items": [{"productId": PRODUCT, "quantity": quantity}]}, "k-1")
    storm._check([job], [outcome])  # pylint: disable=protected-access
    return storm.report


def test_a_kept_promise_is_no_violation():
    report = _check(
        ([Answer(503, None, "{}"), _order("o-1", 2)], [_order("o-1", 2)]), [("o-1", 2)], 8
    )
    assert report.violations == []
    assert (report.requests, report.orders_placed, report.units_sold) == (3, 1, 2)


@pytest.mark.parametrize(
    ("outcome", "stored", "stock", "violation"),
    [
        # Stock taken twice for one order: stock + sold != start.
        (([_order("o-1", 2)], [_order("o-1", 2)]), [("o-1", 2)], 6, "!= 10"),
        (([_order("o-1", 2)], [_order("o-1", 2)]), [("o-1", 2)], -2, "below zero"),
        # A second order for the key, answered to the retry.
        (([_order("o-1", 2)], [_order("o-2", 2)]), [("o-1", 2)], 8, "asked again"),
        # Answered 201, never stored; stored, never answered (a failed request wrote it).
        (([_order("o-1", 2)], [_order("o-1", 2)]), [], 8, "not stored"),
        (([Answer(503, None, "{}")], []), [("o-9", 2)], 10, "no request was answered 201"),
        (([_order("o-1", 2)], [_order("o-1", 2)]), [("o-1", 3)], 8, "other items"),
        (([_order("o-1", 3)], [_order("o-1", 3)]), [("o-1", 3)], 7, "not the ones asked for"),
        (([Answer(500, None, '{"error": {"code": "INTERNAL"}}')], []), [], 10, "a 500"),
        (([Answer(503, None, "ProvisionedThroughputExceededException")], []), [], 10, "AWS's text"),
    ],
)
def test_a_broken_promise_is_reported(outcome, stored, stock, violation):
    report = _check(outcome, stored, stock)
    assert any(violation in found for found in report.violations), report.violations
