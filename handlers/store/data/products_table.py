"""Access patterns on the products table.

| pattern            | operation                          | index                      |
| ------------------ | ---------------------------------- | -------------------------- |
| get                | GetItem                            | table                      |
| create             | PutItem if absent                  | table                      |
| update             | UpdateItem if exists               | table                      |
| delete             | DeleteItem if exists               | table                      |
| list_by_category   | Query, newest first, paginated     | category-createdAt-index   |
| list_all           | Scan, paginated (no key to query)  | table                      |
| get_many           | BatchGetItem (orders)              | table                      |
| take_stock_op      | transaction Update, stock >= qty   | table                      |
| restock_op         | transaction Update, stock + qty    | table                      |
"""

from decimal import Decimal
from typing import Any

from ..spec import settings, table_schemas
from ..spec.errors import NotFound
from . import dynamo, pagination

TABLE = dynamo.table_name(settings.PRODUCTS_TABLE)
SPEC = table_schemas.PRODUCTS
BY_CATEGORY = table_schemas.PRODUCTS_BY_CATEGORY
_BY_CATEGORY_PAGES = dynamo.NewestFirst(TABLE, SPEC, BY_CATEGORY, "products-by-category")
DEFAULT_CURRENCY = "USD"
# Attributes a client may change with PATCH, in a stable order for the update expression.
MUTABLE = ("name", "description", "price", "category", "stock")


def _key(product_id: str) -> dict[str, Any]:
    return {"productId": {"S": product_id}}


def get(product_id: str) -> dict[str, Any]:
    """The product, or 404."""
    item = dynamo.client().get_item(TableName=TABLE, Key=_key(product_id)).get("Item")
    if item is None:
        raise NotFound("Product not found.")
    return dynamo.from_item(item)


def create(fields: dict[str, Any], product_id: str, now: str) -> dict[str, Any]:
    """Store a new product (``fields`` validated: name, price, category, stock, ...)."""
    product = {
        "productId": product_id,
        "currency": DEFAULT_CURRENCY,
        **fields,
        "price": Decimal(fields["price"]),
        "createdAt": now,
        "updatedAt": now,
    }
    dynamo.client().put_item(
        TableName=TABLE,
        Item=dynamo.to_item(product),
        ConditionExpression="attribute_not_exists(productId)",
    )
    return product


def update(product_id: str, changes: dict[str, Any], now: str) -> dict[str, Any]:
    """Set the given attributes; 404 if the product does not exist (nothing is created)."""
    changes = {**changes, "updatedAt": now}
    names = [name for name in (*MUTABLE, "updatedAt") if name in changes]
    try:
        response = dynamo.client().update_item(
            TableName=TABLE,
            Key=_key(product_id),
            UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in names),
            ConditionExpression="attribute_exists(productId)",
            ExpressionAttributeNames={f"#{name}": name for name in names},
            ExpressionAttributeValues=dynamo.values(**{name: changes[name] for name in names}),
            ReturnValues="ALL_NEW",
        )
    except dynamo.client().exceptions.ConditionalCheckFailedException as exc:
        raise NotFound("Product not found.") from exc
    return dynamo.from_item(response["Attributes"])


def delete(product_id: str) -> None:
    """Delete the product; 404 if it does not exist."""
    try:
        dynamo.client().delete_item(
            TableName=TABLE,
            Key=_key(product_id),
            ConditionExpression="attribute_exists(productId)",
        )
    except dynamo.client().exceptions.ConditionalCheckFailedException as exc:
        raise NotFound("Product not found.") from exc


def list_by_category(
    category: str, limit: int, token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of one category's products, newest first (Query on category-createdAt-index)."""
    return _BY_CATEGORY_PAGES.page(category, limit, token)


def list_all(limit: int, token: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """A page of all products, in no particular order (Scan: there is no key to query by)."""
    context = {"query": "products-all"}
    items, last = dynamo.page(
        "scan", TABLE, spec=SPEC, index=None, limit=limit, start=pagination.decode(token, context)
    )
    return items, pagination.encode(last, context)


def get_many(product_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The existing products among ``product_ids`` (at most 100), by id, read consistently."""
    keys = [_key(product_id) for product_id in product_ids]
    found: dict[str, dict[str, Any]] = {}
    request = {TABLE: {"Keys": keys, "ConsistentRead": True}}
    while request:
        response = dynamo.client().batch_get_item(RequestItems=request)
        for item in response["Responses"].get(TABLE, []):
            product = dynamo.from_item(item)
            found[product["productId"]] = product
        # Throttled keys come back unprocessed: ask again for just those.
        request = response.get("UnprocessedKeys") or {}
    return found


def take_stock_op(product: dict[str, Any], quantity: int) -> dict[str, Any]:
    """Transaction item: take ``quantity`` units if there are enough and the product (price,
    currency) is still what the order was priced from."""
    return {
        "Update": {
            "TableName": TABLE,
            "Key": _key(product["productId"]),
            "UpdateExpression": "SET stock = stock - :quantity",
            "ConditionExpression": (
                "attribute_exists(productId) AND stock >= :quantity"
                " AND price = :price AND currency = :currency"
            ),
            "ExpressionAttributeValues": dynamo.values(
                quantity=quantity, price=product["price"], currency=product["currency"]
            ),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def restock_op(product_id: str, quantity: int) -> dict[str, Any]:
    """Transaction item: put ``quantity`` units back, only into a product that still exists."""
    return {
        "Update": {
            "TableName": TABLE,
            "Key": _key(product_id),
            "UpdateExpression": "SET stock = stock + :quantity",
            "ConditionExpression": "attribute_exists(productId)",
            "ExpressionAttributeValues": dynamo.values(quantity=quantity),
        }
    }
