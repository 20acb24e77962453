"""The deployed functions: placement, environment, least-privilege roles, logs."""

import json
import urllib.parse

import pytest

from handlers.store.spec import manifest, settings
from stacks.store.functions import RESOURCELESS_ACTIONS

FUNCTIONS = [(spec.name.capitalize(), spec) for spec in manifest.API]
TABLE_OUTPUTS = {"products": "Products", "users": "Users", "orders": "Orders"}


@pytest.fixture(scope="module")
def configurations(aws, outputs):
    """get_function_configuration of each function, by output prefix."""
    return {
        name: aws("lambda").get_function_configuration(FunctionName=outputs[f"{name}LambdaName"])
        for name, _ in FUNCTIONS
    }


def _inline_policy(aws, role_arn: str) -> list[dict]:
    iam = aws("iam")
    role = role_arn.rsplit("/", 1)[-1]
    statements = []
    for policy_name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
        if isinstance(document, str):  # some endpoints return it URL-encoded
            document = json.loads(urllib.parse.unquote(document))
        statements += document["Statement"]
    return statements


def _as_list(value):
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize(("name", "spec"), FUNCTIONS)
def test_runtime_placement_and_tracing(configurations, outputs, config, name, spec):
    function = configurations[name]
    assert function["FunctionArn"] == outputs[f"{name}LambdaArn"]
    assert function["Runtime"] == "python3.12"
    assert function["Handler"] == spec.handler
    assert function["Timeout"] == config.lambda_timeout_seconds
    assert function["MemorySize"] == config.lambda_memory_mb
    assert function["TracingConfig"]["Mode"] == "Active"
    vpc = function["VpcConfig"]
    assert set(vpc["SubnetIds"]) == set(outputs["PrivateSubnetIds"])
    assert vpc["SecurityGroupIds"] == [outputs["SecurityGroupId"]]


@pytest.mark.parametrize(("name", "spec"), FUNCTIONS)
def test_environment_names_the_tables_from_the_outputs(configurations, outputs, config, name, spec):
    variables = configurations[name]["Environment"]["Variables"]
    for grant in spec.grants:
        if grant.table.name in TABLE_OUTPUTS:
            assert (
                variables[grant.env_var] == outputs[f"{TABLE_OUTPUTS[grant.table.name]}TableName"]
            )
        else:
            assert variables[grant.env_var] == f"{config.prefix}-{grant.table.name}"
    assert variables[settings.LOG_LEVEL] == config.log_level
    assert variables[settings.CORS_ALLOWED_ORIGINS] == ",".join(config.cors_allowed_origins)


@pytest.mark.parametrize(("name", "spec"), FUNCTIONS)
def test_reserved_concurrency(aws, outputs, config, name, spec):
    concurrency = aws("lambda").get_function_concurrency(FunctionName=outputs[f"{name}LambdaName"])
    assert concurrency["ReservedConcurrentExecutions"] == config.reserved_concurrency


@pytest.mark.parametrize(("name", "spec"), FUNCTIONS)
def test_role_grants_exactly_the_manifest(aws, configurations, config, name, spec):
    """The inline policies grant the manifest's DynamoDB actions, on those tables only; `*` only
    for actions that accept no resource."""
    statements = _inline_policy(aws, configurations[name]["Role"])
    granted: dict[str, set[str]] = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        resources = _as_list(statement["Resource"])
        actions = _as_list(statement["Action"])
        if "*" in resources:
            assert set(actions) <= set(RESOURCELESS_ACTIONS), actions
        assert "dynamodb:*" not in actions
        for action in actions:
            if not action.startswith("dynamodb:"):
                continue
            for resource in resources:
                granted.setdefault(resource, set()).add(action)
    expected: dict[str, set[str]] = {}
    for grant in spec.grants:
        arn_prefix = f":table/{config.prefix}-{grant.table.name}"
        table_arn = next(r for r in granted if r.endswith(arn_prefix))
        expected[table_arn] = set(grant.actions)
        for index in grant.indexes:
            expected[f"{table_arn}/index/{index.name}"] = set(grant.index_actions)
    assert granted == expected


def test_no_function_touches_tables_outside_its_grants(aws, configurations, outputs):
    for name, spec in FUNCTIONS:
        resources = {
            r
            for s in _inline_policy(aws, configurations[name]["Role"])
            for r in _as_list(s["Resource"])
        }
        allowed = {g.table.name for g in spec.grants}
        for table, prefix in TABLE_OUTPUTS.items():
            touches = any(r.startswith(outputs[f"{prefix}TableArn"]) for r in resources)
            assert touches is (table in allowed), f"{name} on {table}"


@pytest.mark.parametrize(("name", "spec"), FUNCTIONS)
def test_log_group_retention(aws, outputs, config, name, spec):
    group_name = f"/aws/lambda/{outputs[f'{name}LambdaName']}"
    groups = aws("logs").describe_log_groups(logGroupNamePrefix=group_name)["logGroups"]
    group = next(g for g in groups if g["logGroupName"] == group_name)
    assert group["retentionInDays"] == config.log_retention_days
    assert group.get("kmsKeyId"), "function logs are encrypted with the environment's key"


@pytest.mark.parametrize(("name", "spec"), FUNCTIONS)
def test_role_has_no_managed_policy(aws, configurations, name, spec):
    role = configurations[name]["Role"].rsplit("/", 1)[-1]
    attached = aws("iam").list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert attached == [], spec.name
