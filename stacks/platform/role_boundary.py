"""The permissions boundary of one environment's IAM roles: the most any of them may ever do.

Every role an environment's stack creates (the functions', the flow logs') carries it, and CI's
deploy role may create roles and write their policies only under it (``ci_permissions.py``):
whatever policy a compromised workflow writes, a role's effective permissions stay within this
document. ``ecommerce-account`` creates it, once per environment, before the environments.

It is the union of the roles' own policies, built from the same data
(``handlers/store/spec/manifest.py``, the functions' and the flow logs' actions and names), with the
environment's names in place of the ids Terraform generates: tables and indexes by name; the
key, subnets and security groups (whose ids do not exist before the stack creates them) as
``*`` of the account and region, only with the environment's tags.
``tests/stacks/platform/test_role_boundary.py`` checks that every statement of every role lies
within it, and that nothing in it goes unused.
"""

from collections import defaultdict

from handlers.store.spec import manifest
from stacks.base.iam import PolicyScope, policy_document, statement
from stacks.store.functions import (
    CREATE_INTERFACE,
    INTERFACE_ACTIONS,
    KEY_ACTIONS,
    LOG_ACTIONS,
    RESOURCELESS_ACTIONS,
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
    for spec in manifest.API:
        for grant in spec.grants:
            table = scope.arn("dynamodb", f"table/{table_name(scope.prefix, grant.table)}")
            actions[table].update(grant.actions)
            for index in grant.indexes:
                actions[f"{table}/index/{index.name}"].update(grant.index_actions)
    resources: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for resource, granted in actions.items():
        resources[tuple(sorted(granted))].append(resource)
    return [statement(list(a), r) for a, r in resources.items()]


def boundary_statements(scope: PolicyScope) -> list[dict]:
    """What the environment's roles may ever do, statement by statement (no ``*`` action)."""
    interfaces = scope.arn("ec2", "network-interface/*")
    function_logs = [
        scope.arn("logs", f"log-group:{log_group_name(scope.prefix, spec)}:*")
        for spec in manifest.API
    ]
    return [
        *_dynamodb(scope),
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
        statement([*RESOURCELESS_ACTIONS, *FLOW_LOG_RESOURCELESS_ACTIONS], "*"),
    ]


def boundary_document(scope: PolicyScope) -> str:
    """The boundary's policy document."""
    return policy_document(*boundary_statements(scope))
