"""Concurrency: stock never oversold, one sign-up per address.

moto does NOT serialize DynamoDB transactions: ``transact_write_items`` checks each condition
and writes item by item with no lock, and on failure restores a deep copy of the whole table
taken before it started (discarding other threads' writes made meanwhile). Real DynamoDB
executes every request, a transaction included, atomically. The ``atomic_requests`` fixture
restores that property by serializing moto's request processing (one request at a time, as
one atomic step); requests from different threads still interleave between calls, so the
handlers' read-then-write windows stay exposed and only the condition expressions prevent
overselling. Each thread runs the same code the route runs (the Powertools resolver keeps the
current event on the app object, so one process serves one request at a time, as in Lambda).
The deterministic tests at the bottom interleave two requests by hand instead.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import orders
import pytest
from store.data import orders_table, products_table, users_table
from store.domain import order_rules
from store.runtime import clock
from store.spec import errors

from localcloud.emulator.patches.book import STUBBER_REQUESTS
from localcloud.emulator.patches.record import around

THREADS = 16


@pytest.fixture(name="atomic_requests")
def atomic_requests_fixture():
    """Make every moto request atomic, as every DynamoDB request is."""
    lock = threading.Lock()

    def atomic(process, stubber, request):
        with lock:
            return process(stubber, request)

    with around(STUBBER_REQUESTS, atomic):
        yield


def race(function, arguments):
    """Run ``function`` on every argument at once; return the results or raised ApiErrors."""
    barrier = threading.Barrier(len(arguments))

    def attempt(argument):
        barrier.wait()
        try:
            return function(argument)
        except errors.ApiError as exc:
            return exc

    with ThreadPoolExecutor(len(arguments)) as pool:
        return list(pool.map(attempt, arguments))


def test_concurrent_orders_never_oversell(api, aws, atomic_requests):
    # pylint: disable=unused-argument
    user = api("POST", "/users", body={"email": "a@b.co", "name": "A"}).body
    product = api(
        "POST",
        "/products",
        body={"name": "P", "price": Decimal("2.50"), "category": "c", "stock": 7},
    ).body
    quantities = [1, 2, 3] * (THREADS // 3) + [1] * (THREADS % 3)
    lines = [[{"productId": product["productId"], "quantity": q}] for q in quantities]
    outcomes = race(
        # pylint: disable-next=protected-access
        lambda items: orders._place(user["userId"], items, clock.new_id()),
        lines,
    )
    placed = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if not isinstance(o, dict)]
    assert all(isinstance(o, errors.Conflict) for o in refused)
    left = products_table.get(product["productId"])["stock"]
    sold = sum(o["items"][0]["quantity"] for o in placed)
    assert left >= 0 and sold + left == 7
    assert len(aws.scan(TableName="test-orders")["Items"]) == len(placed)
    assert placed and refused


def test_racing_sign_ups_with_one_address_give_one_user(api, aws, atomic_requests):
    # pylint: disable=unused-argument
    emails = [f"{'Ann' if i % 2 else 'ANN'}@Example.com" for i in range(THREADS)]
    outcomes = race(
        lambda email: users_table.create(
            {"email": email, "name": "A"}, clock.new_id(), clock.now()
        ),
        emails,
    )
    created = [o for o in outcomes if isinstance(o, dict)]
    assert len(created) == 1
    assert all(isinstance(o, errors.Conflict) for o in outcomes if o not in created)
    assert len(aws.scan(TableName="test-users")["Items"]) == 2  # the user and its claim


def test_two_orders_priced_together_cannot_both_take_the_last_units(api):
    user = api("POST", "/users", body={"email": "a@b.co", "name": "A"}).body
    product = api("POST", "/products", body={"name": "P", "price": 1, "category": "c", "stock": 3})
    lines = [{"productId": product.body["productId"], "quantity": 2}]
    # Both requests read the product (stock 3) before either writes.
    priced = [products_table.get_many([product.body["productId"]]) for _ in range(2)]
    first, second = (
        {
            "orderId": clock.new_id(),
            **order_rules.price(user["userId"], lines, p),
            "createdAt": "t",
        }
        for p in priced
    )
    orders_table.place(first, priced[0])
    with pytest.raises(errors.Conflict) as caught:
        orders_table.place(second, priced[1])
    assert caught.value.details[0]["available"] == 1
    assert products_table.get(product.body["productId"])["stock"] == 1


def test_two_sign_ups_checked_together_cannot_both_claim(api):
    # Neither sees the other in the index: the claim item is what refuses the second.
    assert users_table.find_by_email("a@b.co") == []
    users_table.create({"email": "a@b.co", "name": "A"}, clock.new_id(), clock.now())
    with pytest.raises(errors.Conflict):
        users_table.create({"email": "A@B.CO", "name": "B"}, clock.new_id(), clock.now())
    assert len(api("GET", "/users", query={"email": "a@b.co"}).body["items"]) == 1
