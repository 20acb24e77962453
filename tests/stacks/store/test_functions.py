"""Functions: runtime, placement, tracing, logs, environment, and least-privilege policies."""

import json

import pytest

from handlers.store.spec import manifest, settings


def _function(env, name):
    return env.one("aws_lambda_function", f"functions_{name}_")


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _policy(env, name):
    return json.loads(env.one("aws_iam_role_policy", f"functions_{name}-policy")["policy"])


def test_one_function_per_resource(env):
    functions = env.resources("aws_lambda_function")
    assert sorted(f["function_name"] for f in functions.values()) == sorted(
        f"{env.config.prefix}-{spec.name}" for spec in manifest.ALL
    )
    assert len(functions) == 7
    for spec in manifest.ALL:
        function = _function(env, spec.name)
        assert function["runtime"] == "python3.12"
        assert function["handler"] == spec.handler
        assert function["tracing_config"] == {"mode": "Active"}
        assert function["reserved_concurrent_executions"] == env.config.reserved_concurrency
        assert function["timeout"] == env.config.lambda_timeout_seconds
        assert function["memory_size"] == env.config.lambda_memory_mb
        assert all("private" in s for s in function["vpc_config"]["subnet_ids"])
        groups = function["vpc_config"]["security_group_ids"]
        assert len(groups) == 1 and "network_functions-sg" in groups[0]
        assert "aws_kms_key" in function["kms_key_arn"]


def test_layers_are_configuration(env):
    function = _function(env, "products")
    if env.config.powertools_layer_arn:
        assert function["layers"] == [env.config.powertools_layer_arn]
    else:
        assert "layers" not in function


def test_environment_variables(env):
    for spec in manifest.API:
        variables = _function(env, spec.name)["environment"]["variables"]
        tables = {g.env_var for g in spec.grants}
        assert set(variables) == tables | {
            settings.PAGINATION_KEY_ID,
            settings.CORS_ALLOWED_ORIGINS,
            settings.ENVIRONMENT,
            settings.LOG_LEVEL,
            settings.SERVICE_NAME,
            *spec.environment,
        }
        for grant in spec.grants:
            assert f"tables_{grant.table.name}_" in variables[grant.env_var]
        assert variables[settings.LOG_LEVEL] == env.config.log_level
        assert variables[settings.CORS_ALLOWED_ORIGINS] == ",".join(env.config.cors_allowed_origins)


def test_log_groups_with_retention(env):
    for spec in manifest.API:
        group = env.one("aws_cloudwatch_log_group", f"functions_{spec.name}-logs")
        assert group["name"] == f"/aws/lambda/{env.config.prefix}-{spec.name}"
        assert group["retention_in_days"] == env.config.log_retention_days
        assert "aws_kms_key" in group["kms_key_id"]


EXPECTED_DYNAMODB = {
    "products": {
        "products": {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem",
                     "dynamodb:Scan", "dynamodb:UpdateItem"},
        "products/index": {"dynamodb:Query"},
    },
    "users": {
        "users": {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem",
                  "dynamodb:UpdateItem"},
        "users/index": {"dynamodb:Query"},
    },
    "orders": {
        "orders": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
        "orders/index": {"dynamodb:Query"},
        "products": {"dynamodb:BatchGetItem", "dynamodb:UpdateItem"},
        "users": {"dynamodb:ConditionCheckItem"},
        "idempotency": {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem",
                        "dynamodb:UpdateItem"},
    },
}  # fmt: skip


def _dynamodb_grants(policy) -> dict[str, set[str]]:
    grants = {}
    for stmt in policy["Statement"]:
        actions = _as_list(stmt["Action"])
        # The tables' own actions (the streams' are tests/unit/test_event_sources.py's).
        resources = _as_list(stmt["Resource"])
        if not actions[0].startswith("dynamodb:") or any(
            r == "*" or r.endswith(".stream_arn}") for r in resources
        ):
            continue
        for resource in _as_list(stmt["Resource"]):
            table = resource.split("tables_")[1].split("_")[0]
            key = f"{table}/index" if "/index/" in resource else table
            grants.setdefault(key, set()).update(actions)
    return grants


@pytest.mark.parametrize("name", sorted(EXPECTED_DYNAMODB))
def test_policy_grants_exact_dynamodb_actions(synths, name):
    for env in synths.values():
        assert _dynamodb_grants(_policy(env, name)) == EXPECTED_DYNAMODB[name]


def test_policy_matches_manifest():
    """The manifest the Functions construct grants from (and the handler tests check every call
    against) is the list above, written by hand from the access patterns and DynamoDB's actions:
    a grant added to or dropped from the manifest alone fails here, not only in the synth."""
    for spec in manifest.API:
        grants: dict[str, set[str]] = {}
        for grant in spec.grants:
            grants[grant.table.name] = set(grant.actions)
            if grant.index_actions:
                grants[f"{grant.table.name}/index"] = set(grant.index_actions)
        assert grants == EXPECTED_DYNAMODB[spec.name], spec.name


def test_no_wildcards_anywhere_in_inline_policies(env):
    for name in ("products", "users", "orders"):
        for stmt in _policy(env, name)["Statement"]:
            actions = _as_list(stmt["Action"])
            resources = _as_list(stmt["Resource"])
            assert "dynamodb:*" not in actions and "*" not in actions
            assert all("*" not in a for a in actions)
            assert "*" not in resources
            assert all(not r.endswith("/*") for r in resources)


def test_indexes_named_not_wildcarded(synths):
    policy = _policy(synths["dev"], "orders")
    index_resources = [
        resource
        for stmt in policy["Statement"]
        for resource in _as_list(stmt["Resource"])
        if "/index/" in resource
    ]
    assert len(index_resources) == 1
    assert "tables_orders_" in index_resources[0]
    assert index_resources[0].endswith("/index/userId-createdAt-index")


def test_no_managed_policies_eni_and_xray_rights_are_inline(env):
    # Was: AWSLambdaVPCAccessExecutionRole and AWSXRayDaemonWriteAccess attached (logs and ec2
    # actions on "*"). Now an inline runtime policy (tests/stacks/base/test_iam.py checks its
    # scope).
    attachments = env.resources("aws_iam_role_policy_attachment")
    assert [k for k in attachments if k.startswith("functions_")] == []
    runtime = [k for k in env.resources("aws_iam_role_policy") if "-runtime-policy" in k]
    assert len(runtime) == len(manifest.ALL) == 7


def test_functions_wait_for_their_log_group_and_policies(env):
    for spec in manifest.API:
        waits = set(_function(env, spec.name)["depends_on"])
        for kind, contains in (
            ("aws_cloudwatch_log_group", f"functions_{spec.name}-logs"),
            ("aws_iam_role_policy", f"functions_{spec.name}-policy"),
            ("aws_iam_role_policy", f"functions_{spec.name}-runtime-policy"),
        ):
            ids = [f"{kind}.{k}" for k in env.resources(kind) if k.startswith(contains)]
            assert len(ids) == 1 and ids[0] in waits, (spec.name, contains)


def test_layer_release_is_checked_at_plan_time(env):
    layers = env.json.get("data", {}).get("aws_lambda_layer_version", {})
    if not env.config.powertools_layer_arn:
        assert layers == {}
        return
    (layer,) = layers.values()
    name, _, version = env.config.powertools_layer_arn.rpartition(":")
    assert (layer["layer_name"], layer["version"]) == (name, int(version))
    (check,) = layer["lifecycle"]["postcondition"]
    assert check["condition"] == '${endswith(self.description, " 3.37.0")}'
    assert "Pipfile.lock" in check["error_message"]
