"""What each function is and what it may touch.

The Functions construct builds one Lambda per entry and grants exactly these DynamoDB actions on
exactly these tables (and their indexes), and exactly these actions on the event resources it
names; the handler code must not need more. Pure data.

The API's functions serve routes; the event functions are fed by an event source (the tables'
change streams, or one queue each) and the stack grants what reading that source takes.

Items of a TransactWriteItems call need the action of their kind (Put -> PutItem, Update ->
UpdateItem, Delete -> DeleteItem, ConditionCheck -> ConditionCheckItem); IAM has no action for the
transaction itself. tests/handlers/store/test_manifest.py records every DynamoDB call the handlers
make in the tests and checks it against these grants.
"""

from dataclasses import dataclass

from . import settings, tables


@dataclass(frozen=True)
class Grant:
    """DynamoDB actions on one table; ``index_actions`` apply to the table's indexes."""

    table: tables.TableSpec
    env_var: str
    actions: tuple[str, ...]
    index_actions: tuple[str, ...] = ()


# The event resources a function may be granted actions on, by the keys the stack gives their
# ARNs (stacks/events.py): the bus, the low-stock topic, the sender's SES identity, and the
# publisher's dead-letter queue (its streams' on-failure destination).
EVENT_BUS = "event-bus"
LOW_STOCK_TOPIC = "low-stock-topic"
SENDER_IDENTITY = "sender-identity"
PUBLISHER_DLQ = "publisher-dlq"
# The environment's key, which encrypts the low-stock topic: publishing to it makes a data key.
ENVIRONMENT_KEY = "environment-key"
# The queues that feed one function each: ``ecommerce-<env>-<name>``.
NOTIFICATIONS_QUEUE = "notifications"
LOW_STOCK_QUEUE = "low-stock"
EXPIRY_QUEUE = "expiry"


@dataclass(frozen=True)
class Access:
    """Actions on one event resource (one of the keys above)."""

    resource: str
    actions: tuple[str, ...]


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function: its logical name, its handler and its grants.

    An event function also names its source (the tables whose change streams it reads, or the
    queue it consumes), its access to event resources and the event settings it reads (names
    of ``settings``)."""

    name: str
    handler: str
    grants: tuple[Grant, ...]
    access: tuple[Access, ...] = ()
    streams: tuple[tables.TableSpec, ...] = ()
    queue: str | None = None
    settings: tuple[str, ...] = ()


# What Powertools' idempotency layer does with its records.
IDEMPOTENCY_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)


PRODUCTS = FunctionSpec(
    name="products",
    handler="products.handler",
    grants=(
        Grant(
            tables.PRODUCTS,
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
            tables.USERS,
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
            tables.ORDERS,
            settings.ORDERS_TABLE,
            actions=("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
            index_actions=("dynamodb:Query",),
        ),
        Grant(
            tables.PRODUCTS,
            settings.PRODUCTS_TABLE,
            actions=("dynamodb:BatchGetItem", "dynamodb:UpdateItem"),
        ),
        Grant(tables.USERS, settings.USERS_TABLE, actions=("dynamodb:ConditionCheckItem",)),
        Grant(
            tables.IDEMPOTENCY,
            settings.IDEMPOTENCY_TABLE,
            actions=IDEMPOTENCY_ACTIONS,
        ),
    ),
)

PUBLISHER = FunctionSpec(
    name="publisher",
    handler="publisher.handler",
    grants=(),
    access=(
        Access(EVENT_BUS, ("events:PutEvents",)),
        Access(PUBLISHER_DLQ, ("sqs:SendMessage",)),
    ),
    streams=(tables.ORDERS, tables.PRODUCTS),
    settings=(settings.EVENT_BUS_NAME, settings.LOW_STOCK_THRESHOLD),
)
NOTIFIER = FunctionSpec(
    name="notifier",
    handler="notifier.handler",
    grants=(
        Grant(tables.USERS, settings.USERS_TABLE, actions=("dynamodb:GetItem",)),
        Grant(tables.IDEMPOTENCY, settings.IDEMPOTENCY_TABLE, actions=IDEMPOTENCY_ACTIONS),
    ),
    access=(Access(SENDER_IDENTITY, ("ses:SendEmail",)),),
    queue=NOTIFICATIONS_QUEUE,
    settings=(settings.SENDER_ADDRESS,),
)
STOCK_ALERTS = FunctionSpec(
    name="stock-alerts",
    handler="stock_alerts.handler",
    grants=(),
    access=(
        Access(LOW_STOCK_TOPIC, ("sns:Publish",)),
        Access(ENVIRONMENT_KEY, ("kms:GenerateDataKey",)),
    ),
    queue=LOW_STOCK_QUEUE,
    settings=(settings.LOW_STOCK_TOPIC_ARN,),
)
EXPIRER = FunctionSpec(
    name="expirer",
    handler="expirer.handler",
    grants=(
        Grant(
            tables.ORDERS,
            settings.ORDERS_TABLE,
            actions=("dynamodb:UpdateItem",),
            index_actions=("dynamodb:Query",),
        ),
        Grant(tables.PRODUCTS, settings.PRODUCTS_TABLE, actions=("dynamodb:UpdateItem",)),
    ),
    queue=EXPIRY_QUEUE,
    settings=(settings.PENDING_LIMIT_MINUTES,),
)

API = (PRODUCTS, USERS, ORDERS)
"""The functions behind the API's routes."""
EVENTS = (PUBLISHER, NOTIFIER, STOCK_ALERTS, EXPIRER)
"""The functions fed by the tables' streams and the event queues."""
ALL = API + EVENTS
