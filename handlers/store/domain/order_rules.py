"""The order rules (docs/api.md, "Orders"): the lines of an order, its price, the status machine,
who may move an order where, and what a retry of a placement must repeat.

The data layer stores what these rules decide (``store/data/orders_table.py``); the entry module
(``orders.py``) reads the request, asks these rules, then the tables.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..spec import events
from ..spec.errors import BadRequest, Conflict, Forbidden, NotFound, Unprocessable, detail

PENDING = "PENDING"
CANCELLED = "CANCELLED"
# Status moves the contract allows; anything else is a 409.
TRANSITIONS = {
    "PENDING": {"CONFIRMED", "CANCELLED"},
    "CONFIRMED": {"SHIPPED", "CANCELLED"},
    "SHIPPED": {"DELIVERED"},
    "DELIVERED": set(),
    "CANCELLED": set(),
}


def check_lines(lines: list[dict[str, Any]]) -> None:
    """An order names each product once (400 naming every repeated line)."""
    product_ids = [line["productId"] for line in lines]
    repeated = [
        detail(f"items[{position}].productId", "appears more than once")
        for position, product_id in enumerate(product_ids)
        if product_id in product_ids[:position]
    ]
    if repeated:
        raise BadRequest("The request body is invalid.", repeated)


def price(user_id: str, lines: list[dict[str, Any]], products: dict[str, dict]) -> dict[str, Any]:
    """The order for ``lines`` at the products' current prices (422 unless all exist and share
    one currency). Decimal arithmetic throughout."""
    missing = [
        detail(f"items[{position}].productId", "no such product")
        for position, line in enumerate(lines)
        if line["productId"] not in products
    ]
    if missing:
        raise Unprocessable("Some products do not exist.", missing)
    currencies = {products[line["productId"]]["currency"] for line in lines}
    if len(currencies) > 1:
        raise Unprocessable(
            "The products of one order must share one currency.",
            [detail("items", f"mixes currencies: {', '.join(sorted(currencies))}")],
        )
    items = [
        {
            "productId": line["productId"],
            "name": products[line["productId"]]["name"],
            "quantity": line["quantity"],
            "unitPrice": products[line["productId"]]["price"],
        }
        for line in lines
    ]
    return {
        "userId": user_id,
        "items": items,
        "total": sum((item["unitPrice"] * item["quantity"] for item in items), Decimal(0)),
        "currency": currencies.pop(),
        "status": PENDING,
    }


def key_reused() -> Unprocessable:
    """An ``Idempotency-Key`` sent again with another body."""
    return Unprocessable(
        "This Idempotency-Key was used with a different body.",
        [detail("Idempotency-Key", "was used with a different body")],
    )


def answer_to_retry(order: dict[str, Any], earlier: dict[str, Any]) -> dict[str, Any]:
    """The order an earlier attempt of the same request stored, in the field order of a new
    one: the retry's answer. 422 if that attempt ordered something else (another user, other
    products or quantities)."""
    wanted = [(line["productId"], line["quantity"]) for line in order["items"]]
    if earlier.get("userId") != order["userId"] or wanted != [
        (line["productId"], line["quantity"]) for line in earlier.get("items", [])
    ]:
        raise key_reused()
    items = [
        {key: line[key] for key in new}
        for new, line in zip(order["items"], earlier["items"], strict=True)
    ]
    return {**{key: earlier[key] for key in order}, "items": items}


def not_allowed(current: str, status: str) -> Conflict:
    """The 409 of a move the status machine does not allow."""
    return Conflict(
        f"An order cannot move from {current} to {status}.",
        [detail("status", f"not allowed from {current}")],
    )


def allowed_from(status: str) -> list[str]:
    """The statuses an order may move to ``status`` from, sorted."""
    return sorted(old for old, targets in TRANSITIONS.items() if status in targets)


def check_cancel(order: dict[str, Any], *, owner: str | None, only_from: str | None = None) -> None:
    """Whether ``order`` (as read) may be cancelled: another user's order is a 404 to a
    customer (``owner``: the caller's ``sub``; None for an admin or the store), as if it did not
    exist; 409 unless its status may move to CANCELLED (and is ``only_from``, when given)."""
    if owner is not None and order["userId"] != owner:
        raise NotFound("Order not found.")
    current = order["status"]
    if CANCELLED not in TRANSITIONS[current] or only_from not in (None, current):
        raise not_allowed(current, CANCELLED)


@dataclass(frozen=True)
class Move:
    """A move the caller may ask for: to ``status``, of ``owner``'s orders only (None: anyone's),
    with ``reason`` as the cancel reason (None unless ``status`` is CANCELLED)."""

    status: str
    owner: str | None
    reason: str | None


def move_for(status: str, *, sub: str, is_admin: bool) -> Move:
    """Who may move an order where: an admin any allowed move, of any order; an order's owner
    only cancels it (403 for any other status)."""
    if is_admin:
        return Move(status, None, events.ADMIN if status == CANCELLED else None)
    if status != CANCELLED:
        raise Forbidden(
            f"Only an administrator may move an order to {status}; its owner may cancel it.",
            [detail("status", "an order's owner may only set CANCELLED")],
        )
    return Move(status, sub, events.CUSTOMER)
