"""What each function is and what it may touch.

The Functions construct builds one Lambda per entry and grants exactly these DynamoDB actions on
exactly these tables (and their indexes); the handler code must not need more. Pure data.

Items of a TransactWriteItems call need the action of their kind (Put -> PutItem, Update ->
UpdateItem, Delete -> DeleteItem, ConditionCheck -> ConditionCheckItem); IAM has no action for the
transaction itself. tests/handlers/store/spec/test_manifest.py records every DynamoDB call the
handlers make in the tests and checks it against these grants.
"""

from dataclasses import dataclass

from . import settings, table_schemas


@dataclass(frozen=True)
class Grant:
    """DynamoDB actions on one table; ``index_actions`` apply to the table's indexes."""

    table: table_schemas.TableSpec
    env_var: str
    actions: tuple[str, ...]
    index_actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function: its logical name, its handler and its grants."""

    name: str
    handler: str
    grants: tuple[Grant, ...]


PRODUCTS = FunctionSpec(
    name="products",
    handler="products.handler",
    grants=(
        Grant(
            table_schemas.PRODUCTS,
            settings.PRODUCTS_TABLE,
            actions=(
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:Scan",
            ),
            index_actions=("dynamodb:Query",),
        ),
    ),
)
USERS = FunctionSpec(
    name="users",
    handler="users.handler",
    grants=(
        Grant(
            table_schemas.USERS,
            settings.USERS_TABLE,
            actions=(
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
            ),
            index_actions=("dynamodb:Query",),
        ),
    ),
)
ORDERS = FunctionSpec(
    name="orders",
    handler="orders.handler",
    grants=(
        Grant(
            table_schemas.ORDERS,
            settings.ORDERS_TABLE,
            actions=("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
            index_actions=("dynamodb:Query",),
        ),
        Grant(
            table_schemas.PRODUCTS,
            settings.PRODUCTS_TABLE,
            actions=("dynamodb:BatchGetItem", "dynamodb:UpdateItem"),
        ),
        Grant(table_schemas.USERS, settings.USERS_TABLE, actions=("dynamodb:ConditionCheckItem",)),
        Grant(
            table_schemas.IDEMPOTENCY,
            settings.IDEMPOTENCY_TABLE,
            actions=(
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
            ),
        ),
    ),
)

ALL = (PRODUCTS, USERS, ORDERS)
