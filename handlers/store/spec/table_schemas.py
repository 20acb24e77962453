"""Key schemas and indexes of the store's DynamoDB tables.

Pure data, shared by the Tables construct (``stacks/store/tables.py``) and the handler tests that
build the same tables in moto, so the schema lives in one place.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class IndexSpec:
    """A global secondary index (projection ALL)."""

    name: str
    hash_key: str
    range_key: str | None = None


@dataclass(frozen=True)
class TableSpec:
    """A table: its logical name (``ecommerce-<env>-<name>``), keys, attribute types and indexes."""

    name: str
    hash_key: str
    attributes: dict[str, str]
    indexes: tuple[IndexSpec, ...] = field(default_factory=tuple)
    ttl_attribute: str | None = None
    # Whether the table's capacity follows the environment (False: on-demand bookkeeping table).
    provisioned: bool = True


PRODUCTS_BY_CATEGORY = IndexSpec("category-createdAt-index", "category", "createdAt")
USERS_BY_EMAIL = IndexSpec("emailLower-index", "emailLower")
ORDERS_BY_USER = IndexSpec("userId-createdAt-index", "userId", "createdAt")
# The expirer's: PENDING orders, oldest first.
ORDERS_BY_STATUS = IndexSpec("status-createdAt-index", "status", "createdAt")

PRODUCTS = TableSpec(
    name="products",
    hash_key="productId",
    attributes={"productId": "S", "category": "S", "createdAt": "S"},
    indexes=(PRODUCTS_BY_CATEGORY,),
)
USERS = TableSpec(
    name="users",
    hash_key="userId",
    attributes={"userId": "S", "emailLower": "S"},
    indexes=(USERS_BY_EMAIL,),
)
ORDERS = TableSpec(
    name="orders",
    hash_key="orderId",
    attributes={"orderId": "S", "userId": "S", "createdAt": "S", "status": "S"},
    indexes=(ORDERS_BY_USER, ORDERS_BY_STATUS),
)
# Powertools idempotency persistence layer: its default key and expiry attribute names.
IDEMPOTENCY = TableSpec(
    name="idempotency",
    hash_key="id",
    attributes={"id": "S"},
    ttl_attribute="expiration",
    provisioned=False,
)

ALL = (PRODUCTS, USERS, ORDERS, IDEMPOTENCY)
