"""The permissions boundary of one environment's IAM roles: the most any of them may ever do.

Every role an environment's stack creates (the functions', the flow logs') carries it, and CI's
deploy role may create roles and write their policies only under it (``ci_permissions.py``):
whatever policy a compromised workflow writes, a role's effective permissions stay within this
document. ``ecommerce-account`` creates it, once per environment, before the environments.

It is the union of the roles' own policies, built from the same data
(``handlers/store/spec/manifest.py``, the functions', the flow logs' and the expiry schedule's
actions and names), with the
environment's names in place of the ids Terraform generates: tables and indexes by name; the
key, subnets and security groups (whose ids do not exist before the stack creates them) as
``*`` of the account and region, only with the environment's tags.
``tests/stacks/platform/test_role_boundary.py`` checks that every statement of every role lies
within it, and that nothing in it goes unused.
"""

from collections import defaultdict

from handlers.store.spec import manifest
from stacks.base.iam import PolicyScope, policy_document, statement
from stacks.store.events import (
    EXPIRY,
    QUEUE_OF,
    SCHEDULE_DLQ,
    SCHEDULER_ACTIONS,
    STREAMED_TABLES,
    bus_name,
    dead_letter_queue_name,
    queue_name,
)
from stacks.store.events import topic_name as low_stock_topic_name
from stacks.store.functions import (
    CREATE_INTERFACE,
    INTERFACE_ACTIONS,
    KEY_ACTIONS,
    LOG_ACTIONS,
    RESOURCELESS_ACTIONS,
    STREAM_LISTING,
    log_group_name,
)
from stacks.store.network import (
    FLOW_LOG_ACTIONS,
    FLOW_LOG_RESOURCELESS_ACTIONS,
    flow_log_group_name,
    flow_log_resources,
)
from stacks.store.tables import table_name


def _dynamodb(scope: PolicyScope) -> list[dict]:
    """Each table and index with the union of the actions the functions take on it, one statement
    per set of actions."""
    actions: dict[str, set[str]] = defaultdict(set)
    for spec in manifest.ALL:
        for grant in spec.grants:
            table = scope.arn("dynamodb", f"table/{table_name(scope.prefix, grant.table)}")
            actions[table].update(grant.actions)
            for index in grant.indexes:
                actions[f"{table}/index/{index.name}"].update(grant.index_actions)
    resources: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for resource, granted in actions.items():
        resources[tuple(sorted(granted))].append(resource)
    return [statement(list(a), r) for a, r in resources.items()]


def _event_resources(scope: PolicyScope, spec: manifest.FunctionSpec) -> dict[str, list[str]]:
    """The event resources' ARNs for ``spec``, by the manifest's logical names (the key apart):
    names where the stack's ARNs carry ids (a stream's label)."""
    own = QUEUE_OF.get(spec.name)
    streams = [f"table/{table_name(scope.prefix, t)}/stream/*" for t in STREAMED_TABLES]
    return {
        manifest.BUS: [scope.arn("events", f"event-bus/{bus_name(scope.prefix)}")],
        manifest.LOW_STOCK_TOPIC: [scope.arn("sns", low_stock_topic_name(scope.prefix))],
        manifest.SENDER_IDENTITY: [scope.arn("ses", f"identity/{scope.sender_identity}")],
        manifest.PUBLISHER_DLQ: [
            scope.arn("sqs", dead_letter_queue_name(scope.prefix, "publisher"))
        ],
        manifest.TABLE_STREAMS: [scope.arn("dynamodb", stream) for stream in streams],
    } | ({manifest.OWN_QUEUE: [scope.arn("sqs", queue_name(scope.prefix, own))]} if own else {})


def _events(scope: PolicyScope) -> list[dict]:
    """What the event functions (and the expiry schedule's role) do with the event resources;
    one statement per set of actions."""
    actions: dict[str, set[str]] = defaultdict(set)
    key_actions: set[str] = set()
    for spec in manifest.ALL:
        named = _event_resources(scope, spec)
        for access in spec.access:
            if access.resource == manifest.ENVIRONMENT_KEY:
                key_actions.update(access.actions)
                continue
            for resource in named[access.resource]:
                actions[resource].update(set(access.actions) - {STREAM_LISTING})
    # The schedule's role sends to the expiry queue, and dead-letters a firing as itself.
    for queue in (
        queue_name(scope.prefix, EXPIRY),
        dead_letter_queue_name(scope.prefix, SCHEDULE_DLQ),
    ):
        actions[scope.arn("sqs", queue)].update(SCHEDULER_ACTIONS)
    resources: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for resource, granted in actions.items():
        resources[tuple(sorted(granted))].append(resource)
    return [statement(list(a), r) for a, r in resources.items()] + [
        statement(sorted(key_actions), scope.arn("kms", "key/*"), Condition=scope.tagged)
    ]


def boundary_statements(scope: PolicyScope) -> list[dict]:
    """What the environment's roles may ever do, statement by statement (no ``*`` action)."""
    interfaces = scope.arn("ec2", "network-interface/*")
    function_logs = [
        scope.arn("logs", f"log-group:{log_group_name(scope.prefix, spec)}:*")
        for spec in manifest.ALL
    ]
    return [
        *_dynamodb(scope),
        *_events(scope),
        statement(list(KEY_ACTIONS), scope.arn("kms", "key/*"), Condition=scope.tagged),
        statement(list(LOG_ACTIONS), function_logs),
        statement(
            list(FLOW_LOG_ACTIONS),
            flow_log_resources(scope.arn("logs", f"log-group:{flow_log_group_name(scope.prefix)}")),
        ),
        # Interfaces get their id when Lambda creates them; the subnets and security groups they
        # go into are the environment's, known by its tags.
        statement([CREATE_INTERFACE, *INTERFACE_ACTIONS], interfaces),
        statement(
            CREATE_INTERFACE,
            [scope.arn("ec2", "subnet/*"), scope.arn("ec2", "security-group/*")],
            Condition=scope.tagged,
        ),
        statement([*RESOURCELESS_ACTIONS, *FLOW_LOG_RESOURCELESS_ACTIONS, STREAM_LISTING], "*"),
    ]


def boundary_document(scope: PolicyScope) -> str:
    """The boundary's policy document."""
    return policy_document(*boundary_statements(scope))
