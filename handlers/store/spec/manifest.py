"""What each function is and what it may touch.

The Functions construct builds one Lambda per entry and grants exactly these DynamoDB actions on
exactly these tables (and their indexes); the handler code must not need more. Pure data.

Items of a TransactWriteItems call need the action of their kind (Put -> PutItem, Update ->
UpdateItem, Delete -> DeleteItem, ConditionCheck -> ConditionCheckItem); IAM has no action for the
transaction itself. tests/handlers/store/spec/test_manifest.py records every DynamoDB call the
handlers make in the tests and checks it against these grants.

``access`` lists what a function needs beyond its tables, by the logical name of the resource
(the Events construct maps each name to the environment's resource): the bus, a queue, a topic,
the sender's identity, a table's stream. ``environment`` names the settings it reads besides its
tables' names.
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
    # The indexes ``index_actions`` apply to; empty: every index of the table.
    only_indexes: tuple[table_schemas.IndexSpec, ...] = ()

    @property
    def indexes(self) -> tuple[table_schemas.IndexSpec, ...]:
        """The indexes the grant's ``index_actions`` name (none without index actions)."""
        if not self.index_actions:
            return ()
        return self.only_indexes or self.table.indexes


# Logical names of the resources of ``Access`` grants.
BUS = "event-bus"
OWN_QUEUE = "own-queue"
PUBLISHER_DLQ = "publisher-dlq"
SENDER_IDENTITY = "sender-identity"
LOW_STOCK_TOPIC = "low-stock-topic"
TABLE_STREAMS = "orders-and-products-streams"
# The environment's key: the low-stock topic is encrypted with it, so publishing makes a data key.
ENVIRONMENT_KEY = "environment-key"


@dataclass(frozen=True)
class Access:
    """Actions on one resource other than a table, by its logical name (one of the above)."""

    resource: str
    actions: tuple[str, ...]


# What Lambda does with the function's role to feed it from its queue (event source mapping).
CONSUME_OWN_QUEUE = Access(
    OWN_QUEUE, ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
)
_IDEMPOTENCY_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function: its logical name, its handler, its grants and what else it needs."""

    name: str
    handler: str
    grants: tuple[Grant, ...]
    access: tuple[Access, ...] = ()
    environment: tuple[str, ...] = ()


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
            only_indexes=(table_schemas.ORDERS_BY_USER,),
        ),
        Grant(
            table_schemas.PRODUCTS,
            settings.PRODUCTS_TABLE,
            actions=("dynamodb:BatchGetItem", "dynamodb:UpdateItem"),
        ),
        Grant(table_schemas.USERS, settings.USERS_TABLE, actions=("dynamodb:ConditionCheckItem",)),
        Grant(table_schemas.IDEMPOTENCY, settings.IDEMPOTENCY_TABLE, actions=_IDEMPOTENCY_ACTIONS),
    ),
)

# Reads the tables' change streams (Lambda does, with the function's role) and publishes what
# changed; a batch that keeps failing goes to the publisher's DLQ (on-failure destination).
PUBLISHER = FunctionSpec(
    name="publisher",
    handler="publisher.handler",
    grants=(),
    access=(
        Access(
            TABLE_STREAMS,
            (
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
            ),
        ),
        Access(BUS, ("events:PutEvents",)),
        Access(PUBLISHER_DLQ, ("sqs:SendMessage",)),
    ),
    environment=(settings.EVENT_BUS_NAME, settings.LOW_STOCK_THRESHOLD),
)
NOTIFIER = FunctionSpec(
    name="notifier",
    handler="notifier.handler",
    grants=(
        Grant(table_schemas.USERS, settings.USERS_TABLE, actions=("dynamodb:GetItem",)),
        Grant(table_schemas.IDEMPOTENCY, settings.IDEMPOTENCY_TABLE, actions=_IDEMPOTENCY_ACTIONS),
    ),
    access=(CONSUME_OWN_QUEUE, Access(SENDER_IDENTITY, ("ses:SendEmail",))),
    environment=(settings.SENDER_ADDRESS,),
)
STOCK_ALERTS = FunctionSpec(
    name="stock-alerts",
    handler="stock_alerts.handler",
    grants=(
        Grant(table_schemas.IDEMPOTENCY, settings.IDEMPOTENCY_TABLE, actions=_IDEMPOTENCY_ACTIONS),
    ),
    access=(
        CONSUME_OWN_QUEUE,
        Access(LOW_STOCK_TOPIC, ("sns:Publish",)),
        Access(ENVIRONMENT_KEY, ("kms:GenerateDataKey",)),
    ),
    environment=(settings.LOW_STOCK_TOPIC_ARN,),
)
# Cancels PENDING orders older than the limit, putting their stock back (as a cancel does).
EXPIRER = FunctionSpec(
    name="expirer",
    handler="expirer.handler",
    grants=(
        Grant(
            table_schemas.ORDERS,
            settings.ORDERS_TABLE,
            actions=("dynamodb:GetItem", "dynamodb:UpdateItem"),
            index_actions=("dynamodb:Query",),
            only_indexes=(table_schemas.ORDERS_BY_STATUS,),
        ),
        Grant(table_schemas.PRODUCTS, settings.PRODUCTS_TABLE, actions=("dynamodb:UpdateItem",)),
    ),
    access=(CONSUME_OWN_QUEUE,),
    environment=(settings.PENDING_LIMIT_MINUTES,),
)

# The API's functions (the Functions construct builds them, one per resource of the routes).
API = (PRODUCTS, USERS, ORDERS)
# The events' functions: fed by the tables' streams or by their queues.
EVENTS = (PUBLISHER, NOTIFIER, STOCK_ALERTS, EXPIRER)
ALL = API + EVENTS
