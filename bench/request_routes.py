"""The requests ``bench/requests_bench.py`` times, as data: each route's request, the status it
must answer and the fewest DynamoDB calls its access pattern needs.

A request names what it needs of the run's seed (``bench.aws.Seed``) instead of holding it:
``{name}`` in a string, or ``Seeded(name)`` for a whole value, is the seed's attribute, called
when it is a method (a fresh product, user, order or key per request). ``resolve`` turns one
into the API Gateway event, per request and untimed.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

ADMIN = "admin"


@dataclass(frozen=True)
class Seeded:
    """A value the seed provides: its attribute ``name`` (called if it is a method)."""

    name: str


@dataclass(frozen=True)
class Request:
    """One request as data; ``caller``: ``ADMIN``, ``Seeded(...)`` of a person, or None (no
    token)."""

    method: str
    path: str
    body: Any = None
    query: dict[str, str] | None = None
    headers: dict[str, str] | None = None
    caller: Any = ADMIN


@dataclass(frozen=True)
class RouteSpec:
    """A benchmarked route: its request, the status it answers, the calls it needs at least."""

    name: str
    request: Request
    status: int
    minimum: dict[str, int]
    note: str = ""


ORDER_BODY = {"items": [{"productId": "{product_id}", "quantity": 1}]}
# Customers' routes are signed by the seed customer (the owner), the others by an admin.
CUSTOMER = Seeded("customer")

ROUTES = (
    RouteSpec(
        "POST /products",
        Request("POST", "/products", body=Seeded("product_body")),
        201,
        {"PutItem": 1},
    ),
    RouteSpec(
        "GET /products (Scan, limit 10)",
        Request("GET", "/products", query={"limit": "10"}, caller=None),
        200,
        {"Scan": 1},
    ),
    RouteSpec(
        "GET /products?category (limit 10)",
        Request("GET", "/products", query={"category": "{category}", "limit": "10"}, caller=None),
        200,
        {"Query": 1},
    ),
    RouteSpec(
        "GET /products/{id}",
        Request("GET", "/products/{product_id}", caller=None),
        200,
        {"GetItem": 1},
    ),
    RouteSpec(
        "PATCH /products/{id}",
        Request("PATCH", "/products/{product_id}", body={"description": "x"}),
        200,
        {"UpdateItem": 1},
    ),
    RouteSpec(
        "DELETE /products/{id}",
        Request("DELETE", "/products/{new_product}"),
        204,
        {"DeleteItem": 1},
    ),
    RouteSpec(
        "POST /users",
        Request("POST", "/users", body=Seeded("user_body"), caller=Seeded("new_customer")),
        201,
        {"TransactWriteItems": 1},
    ),
    RouteSpec(
        "GET /users?email",
        Request("GET", "/users", query={"email": "{email}"}),
        200,
        {"Query": 1},
    ),
    RouteSpec(
        "GET /users/{id}",
        Request("GET", "/users/{user_id}", caller=CUSTOMER),
        200,
        {"GetItem": 1},
    ),
    RouteSpec(
        "PATCH /users/{id} (name)",
        Request("PATCH", "/users/{user_id}", body={"name": "Ann"}, caller=CUSTOMER),
        200,
        {"UpdateItem": 1},
        "1 UpdateItem conditioned on the user existing, ALL_NEW (no read: the address and "
        "its claim stay)",
    ),
    RouteSpec(
        "PATCH /users/{id} (email)",
        Request("PATCH", "/users/{mover_id}", body={"email": "{new_email}"}),
        200,
        {"GetItem": 1, "TransactWriteItems": 1},
    ),
    RouteSpec(
        "DELETE /users/{id}",
        Request("DELETE", "/users/{new_user}"),
        204,
        {"GetItem": 1, "TransactWriteItems": 1},
    ),
    RouteSpec(
        "POST /orders",
        Request("POST", "/orders", body=ORDER_BODY, caller=CUSTOMER),
        201,
        {"BatchGetItem": 1, "TransactWriteItems": 1},
    ),
    RouteSpec(
        "POST /orders (Idempotency-Key)",
        Request(
            "POST",
            "/orders",
            body=ORDER_BODY,
            headers={"Idempotency-Key": "{new_key}"},
            caller=CUSTOMER,
        ),
        201,
        {"BatchGetItem": 1, "TransactWriteItems": 1, "PutItem": 1, "UpdateItem": 1},
        "1 BatchGetItem + 1 TransactWriteItems + idempotency's PutItem and UpdateItem",
    ),
    RouteSpec(
        "POST /orders (retried key)",
        Request(
            "POST",
            "/orders",
            body=ORDER_BODY,
            headers={"Idempotency-Key": "{used_key}"},
            caller=CUSTOMER,
        ),
        201,
        {"PutItem": 1},
        "idempotency's conditional PutItem returns the stored record",
    ),
    RouteSpec(
        "GET /orders?userId (limit 10)",
        Request("GET", "/orders", query={"userId": "{user_id}", "limit": "10"}, caller=CUSTOMER),
        200,
        {"Query": 1},
    ),
    RouteSpec(
        "GET /orders/{id}",
        Request("GET", "/orders/{order_id}", caller=CUSTOMER),
        200,
        {"GetItem": 1},
    ),
    RouteSpec(
        "PATCH /orders/{id} CONFIRMED",
        Request("PATCH", "/orders/{new_order}", body={"status": "CONFIRMED"}),
        200,
        {"UpdateItem": 1},
        "1 UpdateItem conditioned on the allowed previous statuses (ALL_OLD on failure "
        "names the current one for the 409)",
    ),
    RouteSpec(
        "PATCH /orders/{id} CANCELLED",
        Request("PATCH", "/orders/{new_order}", body={"status": "CANCELLED"}, caller=CUSTOMER),
        200,
        {"GetItem": 1, "TransactWriteItems": 1},
        "GetItem (the items to put back) + 1 TransactWriteItems (the status if unchanged "
        "and the order the caller's, and the stock back); a deleted product costs one retry "
        "without it",
    ),
)


def _value(seed: Any, name: str) -> Any:
    found = getattr(seed, name)
    return found() if callable(found) else found


def _fill(value: Any, seed: Any) -> Any:
    """``value`` with every seed reference replaced (see the module's docstring)."""
    if isinstance(value, Seeded):
        return _value(seed, value.name)
    if isinstance(value, str):
        fields = [name for _, name, _, _ in string.Formatter().parse(value) if name]
        return value.format(**{name: _value(seed, name) for name in fields})
    if isinstance(value, dict):
        return {key: _fill(item, seed) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, seed) for item in value]
    return value


def resolve(request: Request, seed: Any) -> dict[str, Any]:
    """The API Gateway event of ``request`` with the seed's values (fresh items made now)."""
    options = {
        "body": _fill(request.body, seed),
        "query": _fill(request.query, seed),
        "headers": _fill(request.headers, seed),
    }
    if request.caller != ADMIN:
        options["caller"] = _fill(request.caller, seed)
    return seed.event(request.method, _fill(request.path, seed), **options)
