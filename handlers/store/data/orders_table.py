"""Access patterns on the orders table, and the order rules that need them.

- ``get``: GetItem, consistent (table).
- ``list_by_user``: Query, newest first, paginated (index ``userId-createdAt-index``).
- ``place``: one TransactWriteItems: ConditionCheck on the user (users table), an Update per
  product taking its stock if ``stock >= quantity`` (products table), Put of the order if absent.
- ``advance``: one UpdateItem, conditioned on the status being one the move is allowed from; on
  failure DynamoDB returns the item as it was (ALL_OLD), which tells 404 from 409 without a read.
- ``cancel``: GetItem (the items to put back), then one TransactWriteItems: Update of the status
  (and ``cancelReason``) if it is still the one read (and, for a customer, if the order is the
  caller's), plus an Update per product putting its stock back. Stock goes back only into
  products that still exist: when one was deleted, the transaction fails on it and is retried
  without it (the rare path).
- ``pending_before``: Query, oldest first, all pages (index ``status-createdAt-index``): the
  expirer's PENDING orders created before a time.
"""

from decimal import Decimal
from typing import Any

from ..spec import settings, table_schemas
from ..spec.errors import Conflict, NotFound, Unprocessable, detail
from . import dynamo, pagination, products_table

TABLE = dynamo.table_name(settings.ORDERS_TABLE)
SPEC = table_schemas.ORDERS
BY_USER = table_schemas.ORDERS_BY_USER
BY_STATUS = table_schemas.ORDERS_BY_STATUS
# Orders the expirer reads per Query page.
PENDING_PAGE = 100
# Status moves the contract allows; anything else is a 409.
TRANSITIONS = {
    "PENDING": {"CONFIRMED", "CANCELLED"},
    "CONFIRMED": {"SHIPPED", "CANCELLED"},
    "SHIPPED": {"DELIVERED"},
    "DELIVERED": set(),
    "CANCELLED": set(),
}


def get(order_id: str) -> dict[str, Any]:
    """The order, or 404."""
    response = dynamo.client().get_item(
        TableName=TABLE, Key={"orderId": {"S": order_id}}, ConsistentRead=True
    )
    if "Item" not in response:
        raise NotFound("Order not found.")
    return dynamo.from_item(response["Item"])


def list_by_user(
    user_id: str, limit: int, token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the user's orders, newest first (Query on userId-createdAt-index)."""
    context = {"query": "orders-by-user", "userId": user_id}
    items, last = dynamo.page(
        "query",
        TABLE,
        spec=SPEC,
        index=BY_USER,
        limit=limit,
        start=pagination.decode(token, context),
        KeyConditionExpression="userId = :user",
        ExpressionAttributeValues=dynamo.values(user=user_id),
        ScanIndexForward=False,
    )
    return items, pagination.encode(last, context)


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
        "status": "PENDING",
    }


def key_reused() -> Unprocessable:
    """An ``Idempotency-Key`` sent again with another body."""
    return Unprocessable(
        "This Idempotency-Key was used with a different body.",
        [detail("Idempotency-Key", "was used with a different body")],
    )


def place(order: dict[str, Any], products: dict[str, dict]) -> dict[str, Any]:
    """Take the stock of every item and store the order, all in one transaction; the order.

    Item 0 checks the user, items 1..n take stock, the last puts the order if no order has its
    id. When the transaction is cancelled nothing was written; the reasons say why. An order
    already stored with this id was placed by an earlier attempt of the same request (the id
    comes from its ``Idempotency-Key``): that order is the answer, and no stock is taken again.
    """
    # Imported here: the users table's name is read at import, and the expirer, which uses
    # this module but never places an order, is given no users table.
    from . import users_table  # noqa: PLC0415  # pylint: disable=import-outside-toplevel

    lines = order["items"]
    operations = [users_table.exists_op(order["userId"])]
    operations += [
        products_table.take_stock_op(products[line["productId"]], line["quantity"])
        for line in lines
    ]
    operations.append(
        {
            "Put": {
                "TableName": TABLE,
                "Item": dynamo.to_item(order),
                "ConditionExpression": "attribute_not_exists(orderId)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
    )
    try:
        dynamo.transact(operations)
    except dynamo.Cancelled as exc:
        if exc.failed(len(lines) + 1):
            return _placed_before(order, exc.old_item(len(lines) + 1) or {})
        raise _why_not_placed(exc, lines) from exc
    return order


def _placed_before(order: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """The stored order of an earlier attempt, in the field order of a new one; 422 if that
    attempt ordered something else."""
    wanted = [(line["productId"], line["quantity"]) for line in order["items"]]
    if stored.get("userId") != order["userId"] or wanted != [
        (line["productId"], line["quantity"]) for line in stored.get("items", [])
    ]:
        raise key_reused()
    items = [
        {key: line[key] for key in new}
        for new, line in zip(order["items"], stored["items"], strict=True)
    ]
    return {**{key: stored[key] for key in order}, "items": items}


def _why_not_placed(exc: dynamo.Cancelled, lines: list[dict[str, Any]]) -> Exception:
    if exc.failed(0):
        return Unprocessable("The user does not exist.", [detail("userId", "no such user")])
    gone, short, changed = [], [], []
    for position, line in enumerate(lines, start=1):
        if not exc.failed(position):
            continue
        field = f"items[{position - 1}]"
        current = exc.old_item(position)
        if current is None:
            gone.append(detail(f"{field}.productId", "no such product"))
        elif current["stock"] < line["quantity"]:
            short.append(
                detail(
                    f"{field}.quantity",
                    "not enough stock",
                    productId=line["productId"],
                    available=current["stock"],
                )
            )
        else:
            changed.append(detail(f"{field}.productId", "changed while ordering; retry"))
    if gone:
        return Unprocessable("Some products do not exist.", gone)
    if short:
        return Conflict("Not enough stock.", short)
    return Conflict("A product changed while the order was placed; retry.", changed)


def _not_allowed(current: str, status: str) -> Conflict:
    return Conflict(
        f"An order cannot move from {current} to {status}.",
        [detail("status", f"not allowed from {current}")],
    )


def advance(order_id: str, status: str, now: str) -> dict[str, Any]:
    """Move the order to ``status`` (anything but CANCELLED) in one conditional UpdateItem.

    The condition lists the statuses the move is allowed from, so a concurrent change cannot
    slip in between; when it fails, the old item (or its absence) says 409 or 404.
    """
    allowed_from = sorted(old for old, targets in TRANSITIONS.items() if status in targets)
    if not allowed_from:
        # Nothing moves back to PENDING: the only question left is whether the order exists.
        raise _not_allowed(get(order_id)["status"], status)
    names = [f":from{position}" for position in range(len(allowed_from))]
    try:
        response = dynamo.client().update_item(
            TableName=TABLE,
            Key={"orderId": {"S": order_id}},
            UpdateExpression="SET #status = :new, updatedAt = :now",
            ConditionExpression=f"#status IN ({', '.join(names)})",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=dynamo.values(
                new=status,
                now=now,
                **{name[1:]: old for name, old in zip(names, allowed_from, strict=True)},
            ),
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except dynamo.client().exceptions.ConditionalCheckFailedException as exc:
        old_item = exc.response.get("Item")
        if old_item is None:
            raise NotFound("Order not found.") from exc
        raise _not_allowed(dynamo.from_item(old_item)["status"], status) from exc
    return dynamo.from_item(response["Attributes"])


def cancel(  # pylint: disable=too-many-arguments  # what, when, why, and two conditions
    order_id: str,
    now: str,
    *,
    reason: str,
    owner: str | None = None,
    only_from: str | None = None,
) -> dict[str, Any]:
    """Cancel the order and put its stock back, in one transaction; ``reason`` is stored as its
    ``cancelReason`` (``store.spec.events.CANCEL_REASONS``).

    ``owner``: the caller's ``sub`` when the caller is a customer (None for an admin). Another
    user's order is a 404, as if it did not exist; the write is conditioned on both the status
    read and the owner, so it applies only to what was checked. ``only_from``: cancel only an
    order in this status (409 otherwise), as the expirer does with PENDING.
    """
    order = get(order_id)
    if owner is not None and order["userId"] != owner:
        raise NotFound("Order not found.")
    if "CANCELLED" not in TRANSITIONS[order["status"]] or only_from not in (None, order["status"]):
        raise _not_allowed(order["status"], "CANCELLED")
    condition = "#status = :old" + (" AND userId = :owner" if owner is not None else "")
    values = {"new": "CANCELLED", "old": order["status"], "now": now, "reason": reason}
    update = {
        "Update": {
            "TableName": TABLE,
            "Key": {"orderId": {"S": order_id}},
            "UpdateExpression": "SET #status = :new, updatedAt = :now, cancelReason = :reason",
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": dynamo.values(
                **values, **({"owner": owner} if owner is not None else {})
            ),
        }
    }
    restocks = [
        products_table.restock_op(item["productId"], item["quantity"]) for item in order["items"]
    ]
    while True:
        try:
            dynamo.transact([update, *restocks])
            return {**order, "status": "CANCELLED", "updatedAt": now, "cancelReason": reason}
        except dynamo.Cancelled as exc:
            gone = {position for position in range(1, len(restocks) + 1) if exc.failed(position)}
            if exc.failed(0) or not gone:
                raise Conflict("The order was changed by another request; retry.") from exc
            # Deleted products have no stock to put back: cancel without them.
            restocks = [op for position, op in enumerate(restocks, 1) if position not in gone]


def pending_before(cutoff: str) -> list[dict[str, Any]]:
    """Every PENDING order created before ``cutoff``, oldest first (all pages of the index)."""
    request: dict[str, Any] = {
        "TableName": TABLE,
        "IndexName": BY_STATUS.name,
        "KeyConditionExpression": "#status = :pending AND createdAt < :cutoff",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": dynamo.values(pending="PENDING", cutoff=cutoff),
        "Limit": PENDING_PAGE,
    }
    orders: list[dict[str, Any]] = []
    while True:
        response = dynamo.client().query(**request)
        orders += [dynamo.from_item(item) for item in response["Items"]]
        if "LastEvaluatedKey" not in response:
            return orders
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
