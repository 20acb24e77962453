"""The JSON Schemas (handlers/store/spec/schemas.py) as API Gateway and the local gateway use them:
draft-04, validated on json.loads'ed floats. They must never reject a valid body."""

import json

import pytest
from jsonschema import Draft4Validator
from store.http import validation
from store.spec import routes, schemas

VALID = {
    "ProductCreate": {
        "name": "Pen",
        "price": 19.99,
        "category": "c",
        "stock": 0,
        "currency": "EUR",
    },
    "ProductUpdate": {"price": 0.07},
    "UserCreate": {"email": "ann.o'neil+shop@mail.example.co.uk", "name": "Ann"},
    "UserUpdate": {"name": "Ann"},
    "OrderCreate": {
        "userId": "0b9c2a4e-6a43-4c1e-9d7b-2f1f0c7e8a11",
        "items": [{"productId": "5d2b7c1a-0f3e-4a9b-8c6d-1e2f3a4b5c6d", "quantity": 100}],
    },
    "OrderStatusUpdate": {"status": "CANCELLED"},
}


@pytest.mark.parametrize("name", list(schemas.BODIES) + list(schemas.RESPONSES))
def test_schemas_are_valid_draft_04(name):
    schema = {**schemas.BODIES, **schemas.RESPONSES}[name]
    Draft4Validator.check_schema(schema)
    assert schema["$schema"] == schemas.DRAFT_04
    assert schema["additionalProperties"] is False
    json.dumps(schema)  # plain JSON, attachable as an API Gateway model


def test_every_body_named_by_a_route_exists():
    assert {route.body for route in routes.ROUTES if route.body} == set(schemas.BODIES)


@pytest.mark.parametrize("name", list(VALID))
def test_gateway_accepts_valid_bodies(name):
    assert not list(Draft4Validator(schemas.BODIES[name]).iter_errors(VALID[name]))


def test_gateway_never_rejects_a_two_decimal_price():
    validator = Draft4Validator(schemas.BODIES["ProductUpdate"])
    for cents in [*range(1, 1000), 1999, 99_999_999, 100_000_000]:
        price = json.loads(json.dumps({"price": cents / 100}))  # a binary float, as the gateway has
        assert validator.is_valid(price), price


def test_response_schemas_describe_real_responses(api):
    user = api("POST", "/users", body={"email": "a@b.co", "name": "A"}).body
    product = api(
        "POST", "/products", body={"name": "P", "price": 1, "category": "c", "stock": 9}
    ).body
    order = api(
        "POST",
        "/orders",
        body={
            "userId": user["userId"],
            "items": [{"productId": product["productId"], "quantity": 2}],
        },
    ).body
    error = api("GET", "/orders/x").body
    listing = api("GET", "/products").body
    for name, body in (
        ("User", user),
        ("Product", product),
        ("Order", order),
        ("Error", error),
        ("ProductList", listing),
    ):
        plain = json.loads(json.dumps(body, default=float))
        assert not list(Draft4Validator(schemas.RESPONSES[name]).iter_errors(plain)), name


@pytest.mark.parametrize(
    ("value", "valid"),
    [("\x1d", True), ("a", True), (" \u00a0\u3000\t", False), ("\ufeff", False), ("   ", False)],
)
def test_not_blank_means_what_json_schema_means(value, valid):
    # JSON Schema patterns are ECMA-262: U+001D is not white space there (nor in Java, API
    # Gateway's), though Python's "\S" says it is; the fuzzer found that disagreement.
    assert validation.field_valid("UserCreate", "name", value) is valid
