"""Routes of the orders function (handlers/orders.py)."""

import uuid
from decimal import Decimal

import conftest
import pytest
from store.data import orders_table, products_table

from tests.events import customer


@pytest.fixture(name="shop")
def shop_fixture(api):
    """A customer with a profile (``ann``, the ``user``) and two products (stock 5 and 2)."""
    ann = customer()
    user = api("POST", "/users", body={"email": "ann@example.com", "name": "Ann"}, caller=ann).body
    pen = api(
        "POST",
        "/products",
        body={"name": "Pen", "price": Decimal("0.07"), "category": "office", "stock": 5},
    ).body
    ink = api(
        "POST",
        "/products",
        body={"name": "Ink", "price": Decimal("19.99"), "category": "office", "stock": 2},
    ).body
    return {"ann": ann, "user": user, "pen": pen, "ink": ink}


def order_body(shop, *lines):
    """An OrderCreate body: lines are (product name, quantity)."""
    return {
        "userId": shop["user"]["userId"],
        "items": [{"productId": shop[name]["productId"], "quantity": q} for name, q in lines],
    }


def stock(api, product):
    """A product's current stock."""
    return api("GET", f"/products/{product['productId']}").body["stock"]


def place(api, shop, *lines, **kwargs):
    """Place an order (as the shop's customer unless ``caller=`` says otherwise); the reply."""
    kwargs.setdefault("caller", shop["ann"])
    return api("POST", "/orders", body=order_body(shop, *lines), **kwargs)


def test_place_takes_stock_and_prices_exactly(api, shop):
    reply = place(api, shop, ("pen", 3), ("ink", 2))
    assert reply.status == 201, reply.body
    order = reply.body
    assert uuid.UUID(order["orderId"]).version == 4
    assert order["status"] == "PENDING" and order["currency"] == "USD"
    assert order["total"] == Decimal("40.19")  # 3 x 0.07 + 2 x 19.99, no float error
    assert '"total":40.19' in reply.raw["body"]
    assert order["items"] == [
        {
            "productId": shop["pen"]["productId"],
            "name": "Pen",
            "quantity": 3,
            "unitPrice": Decimal("0.07"),
        },
        {
            "productId": shop["ink"]["productId"],
            "name": "Ink",
            "quantity": 2,
            "unitPrice": Decimal("19.99"),
        },
    ]
    assert order["createdAt"] == order["updatedAt"] and order["createdAt"].endswith("Z")
    assert (stock(api, shop["pen"]), stock(api, shop["ink"])) == (2, 0)
    assert api("GET", f"/orders/{order['orderId']}").body == order


def test_not_enough_stock_is_409_naming_the_products_and_writes_nothing(api, shop, snapshot):
    before = snapshot()
    reply = place(api, shop, ("pen", 5), ("ink", 3))
    assert (reply.status, reply.code) == (409, "CONFLICT")
    assert reply.body["error"]["details"] == [
        {
            "field": "items[1].quantity",
            "message": "not enough stock",
            "productId": shop["ink"]["productId"],
            "available": 2,
        }
    ]
    assert snapshot() == before


def test_unknown_user_is_422(api, shop, snapshot):
    before = snapshot()
    body = {**order_body(shop, ("pen", 1)), "userId": str(uuid.uuid4())}
    reply = api("POST", "/orders", body=body)
    assert (reply.status, reply.code) == (422, "UNPROCESSABLE")
    assert reply.body["error"]["details"] == [{"field": "userId", "message": "no such user"}]
    assert snapshot() == before


def test_unknown_product_is_422(api, shop, snapshot):
    before = snapshot()
    body = order_body(shop, ("pen", 1))
    body["items"].append({"productId": str(uuid.uuid4()), "quantity": 1})
    reply = api("POST", "/orders", body=body)
    assert (reply.status, reply.code) == (422, "UNPROCESSABLE")
    assert reply.body["error"]["details"][0]["field"] == "items[1].productId"
    assert snapshot() == before


def test_mixed_currencies_are_422(api, shop, snapshot):
    euro = api(
        "POST",
        "/products",
        body={"name": "Stylo", "price": 2, "currency": "EUR", "category": "office", "stock": 5},
    ).body
    shop["euro"] = euro
    before = snapshot()
    reply = place(api, shop, ("pen", 1), ("euro", 1))
    assert (reply.status, reply.code) == (422, "UNPROCESSABLE")
    assert reply.body["error"]["details"] == [
        {"field": "items", "message": "mixes currencies: EUR, USD"}
    ]
    assert snapshot() == before


def test_duplicate_products_are_400(api, shop, snapshot):
    before = snapshot()
    reply = place(api, shop, ("pen", 1), ("ink", 1), ("pen", 2))
    assert (reply.status, reply.code) == (400, "BAD_REQUEST")
    assert reply.body["error"]["details"] == [
        {"field": "items[2].productId", "message": "appears more than once"}
    ]
    assert snapshot() == before


def test_product_deleted_after_pricing_is_422(api, shop, snapshot, monkeypatch):
    ghost = {**shop["pen"], "productId": str(uuid.uuid4())}
    monkeypatch.setattr(products_table, "get_many", lambda ids: {ghost["productId"]: ghost})
    before = snapshot()
    body = {
        "userId": shop["user"]["userId"],
        "items": [{"productId": ghost["productId"], "quantity": 1}],
    }
    reply = api("POST", "/orders", body=body)
    assert (reply.status, reply.code) == (422, "UNPROCESSABLE")
    assert snapshot() == before


def test_a_shortage_is_reported_on_the_line_that_is_short(api, shop):
    # The ink is the second line: the 409 names items[1] and the ink, whatever the
    # transaction's items are in.
    reply = place(api, shop, ("pen", 1), ("ink", 3))
    assert (reply.status, reply.code) == (409, "CONFLICT")
    assert reply.body["error"]["details"] == [
        {
            "field": "items[1].quantity",
            "message": "not enough stock",
            "productId": shop["ink"]["productId"],
            "available": 2,
        }
    ]


def test_price_changed_after_pricing_is_409(api, shop, snapshot, monkeypatch):
    stale = {**shop["pen"], "price": Decimal("0.05")}
    monkeypatch.setattr(products_table, "get_many", lambda ids: {stale["productId"]: stale})
    before = snapshot()
    reply = place(api, shop, ("pen", 1))
    assert (reply.status, reply.code) == (409, "CONFLICT")
    assert reply.body["error"]["details"][0]["message"] == "changed while ordering; retry"
    assert snapshot() == before


def test_idempotent_retry_returns_the_first_order_and_takes_stock_once(api, shop):
    headers = {"Idempotency-Key": "order-1"}
    first = place(api, shop, ("pen", 2), headers=headers)
    again = place(api, shop, ("pen", 2), headers=headers)
    assert first.status == again.status == 201
    assert again.raw["body"] == first.raw["body"]
    assert stock(api, shop["pen"]) == 3
    other = place(api, shop, ("pen", 2), headers={"Idempotency-Key": "order-2"})
    assert other.body["orderId"] != first.body["orderId"]
    assert stock(api, shop["pen"]) == 1


def test_same_key_other_body_is_422(api, shop, snapshot):
    place(api, shop, ("pen", 2), headers={"Idempotency-Key": "k"})
    before = snapshot()
    reply = place(api, shop, ("pen", 1), headers={"Idempotency-Key": "k"})
    assert (reply.status, reply.code) == (422, "UNPROCESSABLE")
    assert snapshot() == before


def test_a_failed_attempt_does_not_burn_the_key(api, shop):
    headers = {"Idempotency-Key": "k"}
    assert place(api, shop, ("ink", 3), headers=headers).status == 409
    api("PATCH", f"/products/{shop['ink']['productId']}", body={"stock": 3})
    assert place(api, shop, ("ink", 3), headers=headers).status == 201


def test_the_idempotency_record_is_keyed_by_the_operation_not_the_code(api, shop, aws):
    assert place(api, shop, ("pen", 1), headers={"Idempotency-Key": "k"}).status == 201
    (record,) = aws.scan(TableName="test-idempotency")["Items"]
    # "createOrder#" and an MD5 hex digest (Powertools' default hash).
    prefix, _, digest = record["id"]["S"].partition("#")
    assert (prefix, len(digest)) == ("createOrder", 32)


def test_key_in_progress_is_409(api, shop, aws):
    headers = {"Idempotency-Key": "busy"}
    assert place(api, shop, ("pen", 1), headers=headers).status == 201
    items = aws.scan(TableName="test-idempotency")["Items"]
    aws.update_item(
        TableName="test-idempotency",
        Key={"id": items[0]["id"]},
        UpdateExpression="SET #s = :s, in_progress_expiration = :far, expiration = :far",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "INPROGRESS"}, ":far": {"N": "99999999999999"}},
    )
    reply = place(api, shop, ("pen", 1), headers=headers)
    assert (reply.status, reply.code) == (409, "CONFLICT")


@pytest.mark.parametrize("key", ["", " ", "a b", "x" * 256, "ключ"])
def test_bad_idempotency_key_is_400(api, shop, snapshot, key):
    before = snapshot()
    reply = place(api, shop, ("pen", 1), headers={"Idempotency-Key": key})
    assert (reply.status, reply.code) == (400, "BAD_REQUEST")
    assert reply.body["error"]["details"][0]["field"] == "Idempotency-Key"
    assert snapshot() == before


def test_list_by_user_newest_first_with_pages(api, shop):
    placed = [place(api, shop, ("pen", 1)).body["orderId"] for _ in range(3)]
    bob = customer()
    other = api("POST", "/users", body={"email": "bob@example.com", "name": "Bob"}, caller=bob)
    other = other.body
    api("POST", "/orders", body={**order_body(shop, ("ink", 1)), "userId": bob.sub}, caller=bob)
    query = {"userId": shop["user"]["userId"], "limit": "2"}
    first = api("GET", "/orders", query=query)
    assert first.status == 200 and first.body["nextToken"]
    second = api("GET", "/orders", query={**query, "nextToken": first.body["nextToken"]})
    assert second.body["nextToken"] is None
    ids = [o["orderId"] for o in first.body["items"] + second.body["items"]]
    assert ids == list(reversed(placed))
    foreign = api(
        "GET", "/orders", query={"userId": other["userId"], "nextToken": first.body["nextToken"]}
    )
    assert (foreign.status, foreign.code) == (400, "BAD_REQUEST")


@pytest.mark.parametrize("query", [{}, {"userId": "x"}, {"userId": "", "limit": "5"}])
def test_list_needs_a_user_id(api, query):
    reply = api("GET", "/orders", query=query)
    assert (reply.status, reply.code) == (400, "BAD_REQUEST")
    assert reply.body["error"]["details"][0]["field"] == "userId"


def test_get_unknown_order_is_404(api):
    for order_id in (str(uuid.uuid4()), "nope"):
        assert api("GET", f"/orders/{order_id}").code == "NOT_FOUND"


def set_status(api, order, status):
    """PATCH an order's status."""
    return api("PATCH", f"/orders/{order['orderId']}", body={"status": status})


def test_happy_lifecycle(api, shop):
    order = place(api, shop, ("pen", 1)).body
    for status in ("CONFIRMED", "SHIPPED", "DELIVERED"):
        reply = set_status(api, order, status)
        assert reply.status == 200 and reply.body["status"] == status
        assert reply.body["updatedAt"] >= order["updatedAt"]
    assert api("GET", f"/orders/{order['orderId']}").body["status"] == "DELIVERED"


ALLOWED = {
    ("PENDING", "CONFIRMED"),
    ("PENDING", "CANCELLED"),
    ("CONFIRMED", "SHIPPED"),
    ("CONFIRMED", "CANCELLED"),
    ("SHIPPED", "DELIVERED"),
}
PATHS = {
    "PENDING": [],
    "CONFIRMED": ["CONFIRMED"],
    "SHIPPED": ["CONFIRMED", "SHIPPED"],
    "DELIVERED": ["CONFIRMED", "SHIPPED", "DELIVERED"],
    "CANCELLED": ["CANCELLED"],
}


@pytest.mark.parametrize("start", list(PATHS))
@pytest.mark.parametrize("target", list(PATHS))
def test_transition_matrix(api, shop, snapshot, start, target):
    order = place(api, shop, ("pen", 1)).body
    for status in PATHS[start]:
        assert set_status(api, order, status).status == 200
    before = snapshot()
    reply = set_status(api, order, target)
    if (start, target) in ALLOWED:
        assert reply.status == 200
    else:
        assert (reply.status, reply.code) == (409, "CONFLICT")
        assert reply.body["error"]["details"][0]["field"] == "status"
        assert snapshot() == before


@pytest.mark.parametrize("path", [[], ["CONFIRMED"]])
def test_cancel_restocks(api, shop, path):
    order = place(api, shop, ("pen", 4), ("ink", 2)).body
    for status in path:
        set_status(api, order, status)
    assert set_status(api, order, "CANCELLED").status == 200
    assert (stock(api, shop["pen"]), stock(api, shop["ink"])) == (5, 2)
    assert set_status(api, order, "CANCELLED").status == 409
    assert stock(api, shop["pen"]) == 5


def test_cancel_skips_deleted_products(api, shop, snapshot):
    order = place(api, shop, ("pen", 1), ("ink", 1)).body
    api("DELETE", f"/products/{shop['ink']['productId']}")
    assert set_status(api, order, "CANCELLED").status == 200
    assert stock(api, shop["pen"]) == 5
    assert all(p["productId"]["S"] != shop["ink"]["productId"] for p in snapshot()["products"])


def test_racing_status_change_is_409(api, shop, snapshot, monkeypatch):
    order = place(api, shop, ("pen", 2)).body
    stale = orders_table.get(order["orderId"])
    assert set_status(api, order, "CANCELLED").status == 200
    monkeypatch.setattr(orders_table, "get", lambda order_id: stale)
    before = snapshot()
    reply = set_status(api, order, "CANCELLED")
    assert (reply.status, reply.code) == (409, "CONFLICT")
    assert snapshot() == before  # no second restock


@pytest.mark.parametrize("status", ["CONFIRMED", "DELIVERED", "PENDING", "CANCELLED"])
def test_patch_unknown_order_is_404_and_creates_nothing(api, snapshot, status):
    before = snapshot()
    reply = api("PATCH", f"/orders/{uuid.uuid4()}", body={"status": status})
    assert (reply.status, reply.code) == (404, "NOT_FOUND")
    assert snapshot() == before


@pytest.mark.parametrize("body", [{}, {"status": "LOST"}, {"status": "pending"}, {"status": None}])
def test_patch_bad_status_is_400(api, shop, body):
    order = place(api, shop, ("pen", 1)).body
    reply = api("PATCH", f"/orders/{order['orderId']}", body=body)
    assert (reply.status, reply.code) == (400, "BAD_REQUEST")
    assert reply.body["error"]["details"][0]["field"] == "status"


@pytest.mark.parametrize(("who", "reason"), [("admin", "ADMIN"), ("ann", "CUSTOMER")])
def test_cancel_records_who_cancelled(api, shop, who, reason):
    order = place(api, shop, ("pen", 1)).body
    assert "cancelReason" not in order
    caller = {"ann": shop["ann"]}.get(who, conftest.ADMIN)
    path = f"/orders/{order['orderId']}"
    reply = api("PATCH", path, body={"status": "CANCELLED"}, caller=caller)
    assert (reply.status, reply.body["cancelReason"]) == (200, reason)
    assert api("GET", path, caller=caller).body == reply.body
