"""Access patterns on the orders table: it stores what the order rules
(``store/domain/order_rules.py``) decide, and maps DynamoDB's refusals to the contract's errors.

- ``get``: GetItem, consistent (table).
- ``list_by_user``: Query, newest first, paginated (index ``userId-createdAt-index``).
- ``place``: one TransactWriteItems: ConditionCheck on the user (users table), an Update per
  product taking its stock if ``stock >= quantity`` (products table), Put of the order if absent.
- ``advance``: one UpdateItem, conditioned on the status being one the move is allowed from; on
  failure DynamoDB returns the item as it was (ALL_OLD), which tells 404 from 409 without a read.
- ``cancel``: of an order read with ``get``, one TransactWriteItems: Update of the status
  (and ``cancelReason``) if it is still the one read (and, for a customer, if the order is the
  caller's), plus an Update per product putting its stock back. Stock goes back only into
  products that still exist: when one was deleted, the transaction fails on it and is retried
  without it (the rare path).
- ``pending_before``: Query, oldest first, all pages (index ``status-createdAt-index``): the
  expirer's PENDING orders created before a time.
"""

from typing import Any

from ..spec import settings, table_schemas
from ..spec.errors import Conflict, NotFound, Unprocessable, detail
from . import dynamo, products_table

TABLE = dynamo.table_name(settings.ORDERS_TABLE)
SPEC = table_schemas.ORDERS
BY_USER = table_schemas.ORDERS_BY_USER
_BY_USER_PAGES = dynamo.NewestFirst(TABLE, SPEC, BY_USER, "orders-by-user")
BY_STATUS = table_schemas.ORDERS_BY_STATUS
# Orders the expirer reads per Query page.
PENDING_PAGE = 100


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
    return _BY_USER_PAGES.page(user_id, limit, token)


def place(order: dict[str, Any], products: dict[str, dict]) -> dict[str, Any] | None:
    """Take the stock of every item and store the order, all in one transaction; None, or the
    order an earlier attempt stored.

    The transaction checks the user, takes each product's stock, and puts the order if no order
    has its id. When it is cancelled nothing was written; the reasons, read by item, say why.
    An order already stored with this id was placed by an earlier attempt of the same request
    (the id comes from its ``Idempotency-Key``): it is returned, and no stock is taken again.
    """
    # Imported here: the users table's name is read at import, and the expirer, which uses
    # this module but never places an order, is given no users table.
    from . import users_table  # noqa: PLC0415  # pylint: disable=import-outside-toplevel

    lines = order["items"]
    operations = {
        "user": users_table.exists_op(order["userId"]),
        **{
            ("product", line["productId"]): products_table.take_stock_op(
                products[line["productId"]], line["quantity"]
            )
            for line in lines
        },
        "order": {
            "Put": {
                "TableName": TABLE,
                "Item": dynamo.to_item(order),
                "ConditionExpression": "attribute_not_exists(orderId)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        },
    }
    try:
        dynamo.transact(operations)
    except dynamo.Cancelled as exc:
        if exc.failed("order"):
            return exc.old_item("order") or {}
        raise _why_not_placed(exc, lines) from exc
    return None


def _why_not_placed(exc: dynamo.Cancelled, lines: list[dict[str, Any]]) -> Exception:
    if exc.failed("user"):
        return Unprocessable("The user does not exist.", [detail("userId", "no such user")])
    gone, short, changed = [], [], []
    for position, line in enumerate(lines):
        product = ("product", line["productId"])
        if not exc.failed(product):
            continue
        field = f"items[{position}]"
        current = exc.old_item(product)
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


class NotAllowed(Exception):
    """A conditional move found the order in a status the move is not allowed from."""

    def __init__(self, current: str):
        super().__init__(f"the order is {current}")
        self.current = current


def advance(order_id: str, status: str, allowed_from: list[str], now: str) -> dict[str, Any]:
    """Move the order to ``status`` in one UpdateItem conditioned on its status being one of
    ``allowed_from`` (the domain's), so a concurrent change cannot slip in between.

    When the condition fails, the old item DynamoDB returns (ALL_OLD) tells 404 (no order) from
    ``NotAllowed`` (its status), without a read.
    """
    if not allowed_from:
        # Nothing moves back to PENDING: the only question left is whether the order exists.
        raise NotAllowed(get(order_id)["status"])
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
        raise NotAllowed(dynamo.from_item(old_item)["status"]) from exc
    return dynamo.from_item(response["Attributes"])


def cancel(order: dict[str, Any], now: str, *, reason: str, owner: str | None) -> dict[str, Any]:
    """Cancel ``order`` (as read, its move already allowed by the domain) and put its stock
    back, in one transaction; ``reason`` is stored as its ``cancelReason``
    (``store.spec.events.CANCEL_REASONS``).

    The write is conditioned on the status read and, for a customer (``owner``: the caller's
    ``sub``; None for an admin or the expirer), on the order being theirs, so it applies only to
    what was checked; 409 when another request changed the order first.
    """
    order_id = order["orderId"]
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
    restocks = {
        ("product", item["productId"]): products_table.restock_op(
            item["productId"], item["quantity"]
        )
        for item in order["items"]
    }
    while True:
        try:
            dynamo.transact({"order": update, **restocks})
            return {**order, "status": "CANCELLED", "updatedAt": now, "cancelReason": reason}
        except dynamo.Cancelled as exc:
            gone = {name for name in restocks if exc.failed(name)}
            if exc.failed("order") or not gone:
                raise Conflict("The order was changed by another request; retry.") from exc
            # Deleted products have no stock to put back: cancel without them.
            restocks = {name: op for name, op in restocks.items() if name not in gone}


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
