"""In-process AWS for the per-request benchmark: the tables, API Gateway events, seed data.

Built on the same pytest-free helpers as ``tests/handlers/conftest.py``: tables
from ``store.spec.table_schemas`` (the same data the Tables construct reads) and REST proxy events
(payload
1.0) whose ``resource`` comes from ``store.spec.routes``. Import after ``handlers/`` is on the path.
"""

from __future__ import annotations

import itertools
import json
import os
import uuid
from collections.abc import Callable
from typing import Any

from store.spec import settings, table_schemas  # pylint: disable=import-error

from tests.events import Person, admin, customer, rest_proxy_event
from tests.moto_tables import create_table

FUNCTIONS = ("products", "users", "orders")
# Who signs the benchmarked requests that do not say: an admin may call every route.
ADMIN = admin()
_TABLE_ENV = {
    "products": settings.PRODUCTS_TABLE,
    "users": settings.USERS_TABLE,
    "orders": settings.ORDERS_TABLE,
    "idempotency": settings.IDEMPOTENCY_TABLE,
}


def create_tables(client: Any) -> None:
    """Create every table of ``store.spec.table_schemas`` under the names the environment gives."""
    for spec in table_schemas.ALL:
        create_table(client, spec, os.environ[_TABLE_ENV[spec.name]])


def function_of(event: dict[str, Any]) -> str:
    """The function that serves the event's path."""
    return event["path"].strip("/").split("/")[0]


def make_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    caller: Person | None = ADMIN,
) -> dict[str, Any]:
    """An API Gateway REST proxy event (payload 1.0) for ``method path``, signed by ``caller``
    (claims as API Gateway's Cognito authorizer passes them; None: no token)."""
    headers = {
        "Content-Type": "application/json",
        "Origin": "https://bench.example",
        **(headers or {}),
    }
    return rest_proxy_event(
        method,
        path,
        headers=headers,
        query=query,
        body=None if body is None else json.dumps(body),
        stage="bench",
        caller=caller,
    )


class Seed:
    """Data the benchmarked requests read, and fresh items for the requests that consume one.

    Everything is created through the functions themselves (``must(event, status)`` invokes one
    and checks the status), before and between the timed requests, never during one.
    """

    category = "bench"

    def __init__(self, must: Callable[[dict[str, Any], int], Any]):
        self._must = must
        self._serial = itertools.count()
        self.event = make_event
        # More products than one page, so that a listing returns a next-page token.
        ids = [self.new_product(self.category) for _ in range(15)]
        self.product_id = ids[0]
        self.email = f"seed-{uuid.uuid4().hex[:8]}@bench.example"
        # The customer whose profile and orders the benchmarked requests read and change.
        self.customer = customer()
        self.user_id = must(
            make_event(
                "POST",
                "/users",
                body={"email": self.email, "name": "Seed"},
                caller=self.customer,
            ),
            201,
        )["userId"]
        self.mover_id = self.new_user()
        self.order_id = self.new_order()
        self.used_key = str(uuid.uuid4())
        must(
            make_event(
                "POST",
                "/orders",
                body=self._order_body(),
                headers={"Idempotency-Key": self.used_key},
                caller=self.customer,
            ),
            201,
        )

    def product_body(self, category: str = "bench-posted") -> dict[str, Any]:
        """A valid new product, with stock enough for every order of the run."""
        return {"name": "Pen", "price": 2, "category": category, "stock": 1_000_000_000}

    def user_body(self) -> dict[str, Any]:
        """A valid new user with an address used nowhere else."""
        return {"email": self.new_email(), "name": "Bench"}

    def new_email(self) -> str:
        """An address used nowhere else."""
        return f"u{next(self._serial)}-{uuid.uuid4().hex[:8]}@bench.example"

    def new_product(self, category: str = "bench-posted") -> str:
        """Create a product; its id."""
        body = self.product_body(category)
        return self._must(make_event("POST", "/products", body=body), 201)["productId"]

    @staticmethod
    def new_key() -> str:
        """An ``Idempotency-Key`` used nowhere else."""
        return str(uuid.uuid4())

    @staticmethod
    def new_customer() -> Person:
        """Someone new signed in, with no profile yet."""
        return customer()

    def new_user(self) -> str:
        """A new customer creates its profile; its id (the customer's ``sub``)."""
        event = make_event("POST", "/users", body=self.user_body(), caller=self.new_customer())
        return self._must(event, 201)["userId"]

    def new_order(self) -> str:
        """The seed customer places a PENDING order of the seed product; its id."""
        event = make_event("POST", "/orders", body=self._order_body(), caller=self.customer)
        return self._must(event, 201)["orderId"]

    def _order_body(self) -> dict[str, Any]:
        return {"items": [{"productId": self.product_id, "quantity": 1}]}
