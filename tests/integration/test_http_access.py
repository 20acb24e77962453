"""Who may call what, over HTTP: the gateway refuses a missing or bad token with 401 before any
function runs; a customer gets 403 on an admin's route and 404 on another customer's data."""

import base64
import json
import re
import uuid
from decimal import Decimal

import pytest

from handlers.store.spec.routes import ROUTES

SAMPLE_ID = "00000000-0000-4000-8000-000000000000"
SIGNED_IN = [r for r in ROUTES if r.signed_in]
# A valid request per body and required query parameter, so that only the token can be wrong.
BODIES = {
    "ProductCreate": {"name": "Pen", "price": 1, "category": "c", "stock": 1},
    "ProductUpdate": {"stock": 1},
    "UserCreate": {"email": "nobody@example.com", "name": "Nobody"},
    "UserUpdate": {"name": "Nobody"},
    "OrderCreate": {"items": [{"productId": SAMPLE_ID, "quantity": 1}]},
    "OrderStatusUpdate": {"status": "CANCELLED"},
}
QUERY = {"email": "nobody@example.com", "userId": SAMPLE_ID}


def _request(route) -> dict:
    return {
        "json": BODIES[route.body] if route.body else None,
        "params": {q.name: QUERY[q.name] for q in route.query if q.required},
    }


def _path(route) -> str:
    return re.sub(r"\{\w+\}", SAMPLE_ID, route.path)


def _unauthorized(response) -> None:
    assert response.status_code == 401, (response.status_code, response.text)
    error = response.json()["error"]
    assert error["code"] == "UNAUTHORIZED" and error["message"] and error["details"] == []
    assert response.headers.get("Access-Control-Allow-Origin")


@pytest.mark.parametrize("route", SIGNED_IN, ids=lambda r: f"{r.method} {r.path}")
def test_no_token_is_401_on_every_signed_in_route(api, route):
    response = api.as_(None).request(route.method, _path(route), **_request(route))
    _unauthorized(response)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_bad_tokens_are_401_and_write_nothing(api, customer):
    header, payload, signature = customer.id_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = {**claims, "cognito:groups": ["admins"]}
    bad = {
        "malformed": "not-a-token",
        "bearer, not a token": "Bearer not-a-token",
        "forged claims (signature no longer matches)": f"{header}.{_b64(forged)}.{signature}",
        "no signature": f"{header}.{payload}.",
        "access token instead of ID token": customer.access_token,
    }
    category = f"it-{uuid.uuid4().hex[:12]}"
    body = {"name": "Pen", "price": 1, "category": category, "stock": 1}
    for name, token in bad.items():
        response = api.as_(None).post("/products", body, headers={"Authorization": token})
        assert response.status_code == 401, (name, response.status_code, response.text)
        _unauthorized(response)
    assert api.get("/products", params={"category": category}).json()["items"] == []


def test_anyone_reads_the_catalogue(api):
    product = api.create_product()
    anyone = api.as_(None)
    assert anyone.get(f"/products/{product['productId']}").json(parse_float=Decimal) == product
    assert anyone.get("/products", params={"category": product["category"]}).status_code == 200


def test_a_customer_on_an_admins_route_is_403(api, customer):
    product = api.create_product()
    shopper = api.as_(customer)
    refused = [
        shopper.post("/products", {"name": "x", "price": 1, "category": "c", "stock": 1}),
        shopper.patch(f"/products/{product['productId']}", {"stock": 0}),
        shopper.delete(f"/products/{product['productId']}"),
        shopper.get("/users", params={"email": "someone@example.com"}),
    ]
    for response in refused:
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "FORBIDDEN"
    assert api.get(f"/products/{product['productId']}").json(parse_float=Decimal) == product


def test_another_customers_profile_and_order_are_404(api):
    product = api.create_product()
    ann, ann_profile = api.sign_up()
    bob, _ = api.sign_up()
    order = ann.post("/orders", {"items": [{"productId": product["productId"], "quantity": 1}]})
    assert order.status_code == 201, order.text
    order = order.json()
    api.remember_order(order["orderId"])
    for response in (
        bob.get(f"/users/{ann_profile['userId']}"),
        bob.patch(f"/users/{ann_profile['userId']}", {"name": "Mallory"}),
        bob.delete(f"/users/{ann_profile['userId']}"),
        bob.get(f"/orders/{order['orderId']}"),
        bob.patch(f"/orders/{order['orderId']}", {"status": "CANCELLED"}),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "NOT_FOUND"
    listing = bob.get("/orders", params={"userId": ann_profile["userId"]})
    assert listing.status_code == 403 and listing.json()["error"]["code"] == "FORBIDDEN"
    for_ann = bob.post(
        "/orders",
        {
            "userId": ann_profile["userId"],
            "items": [{"productId": product["productId"], "quantity": 1}],
        },
    )
    assert for_ann.status_code == 403 and for_ann.json()["error"]["code"] == "FORBIDDEN"
    # Nothing changed: Ann's profile and order are as they were, the stock taken once.
    assert ann.get(f"/users/{ann_profile['userId']}").json() == ann_profile
    assert ann.get(f"/orders/{order['orderId']}").json() == order
    assert api.get(f"/products/{product['productId']}").json()["stock"] == product["stock"] - 1


def test_a_second_profile_for_one_person_is_409(api):
    shopper, profile = api.sign_up()
    again = shopper.post("/users", {"email": f"it-{uuid.uuid4().hex}@example.com", "name": "Two"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "CONFLICT"
    assert shopper.get(f"/users/{profile['userId']}").json() == profile


def test_idempotency_keys_are_per_caller(api):
    product = api.create_product(stock=5)
    ann, _ = api.sign_up()
    bob, _ = api.sign_up()
    body = {"items": [{"productId": product["productId"], "quantity": 1}]}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first, second = ann.post("/orders", body, headers=key), bob.post("/orders", body, headers=key)
    for response in (first, second):
        assert response.status_code == 201, response.text
        api.remember_order(response.json()["orderId"])
    assert first.json()["orderId"] != second.json()["orderId"]
    assert api.get(f"/products/{product['productId']}").json()["stock"] == 3
