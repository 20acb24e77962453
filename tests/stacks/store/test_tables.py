"""Tables: keys and indexes from the shared definitions, capacity, encryption, protection."""

import copy
import json
import os
import subprocess

from cdktf import Testing

from handlers.store.spec import table_schemas as specs
from localcloud.base import aws
from stacks.base.config import load
from stacks.store.store_stack import StoreStack


def _table(env, name):
    return next(
        t
        for t in env.resources("aws_dynamodb_table").values()
        if t["name"] == f"{env.config.prefix}-{name}"
    )


def test_every_table_with_its_indexes(env):
    for spec in specs.ALL:
        table = _table(env, spec.name)
        assert table["hash_key"] == spec.hash_key
        assert {a["name"]: a["type"] for a in table["attribute"]} == spec.attributes
        indexes = {i["name"]: i for i in table.get("global_secondary_index", [])}
        assert set(indexes) == {i.name for i in spec.indexes}
        for index in spec.indexes:
            assert indexes[index.name]["hash_key"] == index.hash_key
            assert indexes[index.name].get("range_key") == index.range_key
            assert indexes[index.name]["projection_type"] == "ALL"


def test_access_pattern_indexes():
    assert (specs.PRODUCTS_BY_CATEGORY.hash_key, specs.PRODUCTS_BY_CATEGORY.range_key) == (
        "category",
        "createdAt",
    )
    assert specs.USERS_BY_EMAIL.hash_key == "emailLower"
    assert (specs.ORDERS_BY_USER.hash_key, specs.ORDERS_BY_USER.range_key) == (
        "userId",
        "createdAt",
    )


# Each environment's capacity of every table and index (None: on demand), and its auto scaling
# maximum (None: fixed), as stacks/base/environments.py sets them.
CAPACITY = {"dev": None, "staging": (10, 10), "prod": (50, 50), "local": (5, 5)}
MAXIMUM = {"dev": None, "staging": (40, 40), "prod": (500, 500), "local": None}
# The indexes of the scaled tables: the resource ids auto scaling knows them by.
INDEXES = (
    "products/index/category-createdAt-index",
    "users/index/emailLower-index",
    "orders/index/userId-createdAt-index",
    "orders/index/status-createdAt-index",
)


def test_capacity_on_tables_and_indexes(env):
    expected = CAPACITY[env.config.name]
    for name in ("products", "users", "orders"):
        table = _table(env, name)
        if expected is None:  # dev: nothing to pay while idle
            assert table["billing_mode"] == "PAY_PER_REQUEST"
            assert "read_capacity" not in table and "write_capacity" not in table
            for index in table["global_secondary_index"]:
                assert "read_capacity" not in index and "write_capacity" not in index
            continue
        assert table["billing_mode"] == "PROVISIONED"
        assert (table["read_capacity"], table["write_capacity"]) == expected
        for index in table["global_secondary_index"]:
            assert (index["read_capacity"], index["write_capacity"]) == expected


def test_prod_scales_from_50_to_500(synths):
    targets = synths["prod"].resources("aws_appautoscaling_target").values()
    assert {(t["min_capacity"], t["max_capacity"]) for t in targets} == {(50, 500)}


def test_dev_is_on_demand_and_prod_is_50(synths):
    assert _table(synths["dev"], "orders")["billing_mode"] == "PAY_PER_REQUEST"
    assert _table(synths["prod"], "orders")["global_secondary_index"][0]["write_capacity"] == 50


def test_idempotency_table_is_on_demand_with_ttl(env):
    table = _table(env, "idempotency")
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["ttl"] == {"attribute_name": "expiration", "enabled": True}


def test_encryption_pitr_and_protection(env):
    for spec in specs.ALL:
        table = _table(env, spec.name)
        assert table["server_side_encryption"]["enabled"] is True
        assert "aws_kms_key" in table["server_side_encryption"]["kms_key_arn"]
        assert table["point_in_time_recovery"]["enabled"] is env.config.point_in_time_recovery
        assert table["deletion_protection_enabled"] is env.config.deletion_protection


def test_tables_and_their_indexes_scale_from_the_floor_to_the_maximum(env):
    targets = env.resources("aws_appautoscaling_target")
    policies = env.resources("aws_appautoscaling_policy")
    if MAXIMUM[env.config.name] is None:  # dev on demand; local: the emulator cannot take it
        assert targets == {} and policies == {}
        return
    prefix = env.config.prefix
    # products, users, orders and their four indexes: read and write each.
    assert len(targets) == len(policies) == (3 + 4) * 2
    expected = {f"table/{prefix}-{name}" for name in ("products", "users", "orders")}
    expected |= {f"table/{prefix}-{index}" for index in INDEXES}
    assert {t["resource_id"] for t in targets.values()} == expected
    (floor_read, floor_write), (max_read, max_write) = (
        CAPACITY[env.config.name],
        MAXIMUM[env.config.name],
    )
    for target in targets.values():
        kind = "index" if "/index/" in target["resource_id"] else "table"
        dimension = target["scalable_dimension"]
        assert target["service_namespace"] == "dynamodb"
        if dimension == f"dynamodb:{kind}:ReadCapacityUnits":
            assert (target["min_capacity"], target["max_capacity"]) == (floor_read, max_read)
        else:
            assert dimension == f"dynamodb:{kind}:WriteCapacityUnits"
            assert (target["min_capacity"], target["max_capacity"]) == (floor_write, max_write)
    metrics = set()
    for policy in policies.values():
        config = policy["target_tracking_scaling_policy_configuration"]
        assert policy["policy_type"] == "TargetTrackingScaling"
        assert config["target_value"] == 70
        metrics.add(config["predefined_metric_specification"]["predefined_metric_type"])
    assert metrics == {"DynamoDBReadCapacityUtilization", "DynamoDBWriteCapacityUtilization"}
    # Auto scaling owns the capacity of the tables and of their indexes (the whole set: the
    # provider cannot ignore an index's capacity alone).
    for name in ("products", "users", "orders"):
        assert _table(env, name)["lifecycle"]["ignore_changes"] == [
            "read_capacity",
            "write_capacity",
            "global_secondary_index",
        ]


def test_index_changes_are_applied_when_the_deploy_says_so():
    config = load("prod", {"ECOMMERCE_APPLY_INDEX_CHANGES": "1"})
    synth = json.loads(Testing.synth(StoreStack(Testing.app(), config)))
    for table in synth["resource"]["aws_dynamodb_table"].values():
        if table["billing_mode"] == "PROVISIONED":
            assert table["lifecycle"]["ignore_changes"] == ["read_capacity", "write_capacity"]
    # Still scaled meanwhile: the indexes' targets stay.
    assert len(synth["resource"]["aws_appautoscaling_target"]) == (3 + 4) * 2


def test_fixed_capacity_has_no_scaling_and_no_ignored_changes(synths):
    tables = synths["local"].resources("aws_dynamodb_table").values()
    assert synths["local"].config.autoscaling is None
    assert all("lifecycle" not in table for table in tables)


def _terraform(directory, env, *args):
    return subprocess.run(
        ["terraform", *args, "-input=false", "-no-color"],
        cwd=directory, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def _tables_config(synths, projection: str) -> dict:
    """Each environment's products table as synthesized, on the emulator's default key."""
    resources = {}
    for name, synth in synths.items():
        table = copy.deepcopy(_table(synth, "products"))
        table["server_side_encryption"] = {"enabled": False}
        for index in table["global_secondary_index"]:
            index["projection_type"] = projection
        resources[name] = table
    provider = {
        "region": "us-east-1",
        "skip_credentials_validation": True,
        "skip_requesting_account_id": True,
        "skip_metadata_api_check": True,
    }
    aws = {"source": "hashicorp/aws", "version": "5.100.0"}
    return {
        "terraform": {"required_providers": {"aws": aws}},
        "provider": {"aws": provider},
        "resource": {"aws_dynamodb_table": resources},
    }


def test_scaled_capacity_is_no_change_and_index_changes_follow_the_setting(
    synths, emulator, tmp_path
):
    # The emulator checks every call against IAM: Terraform and the test sign as its
    # administrator.
    env = {**os.environ, "AWS_ENDPOINT_URL": emulator.url, **aws.ADMIN_CREDENTIALS}
    for name in aws.UNSET:
        env.pop(name, None)
    config = tmp_path / "main.tf.json"
    config.write_text(json.dumps(_tables_config(synths, "ALL")))
    for args in (("init",), ("apply", "-auto-approve")):
        done = _terraform(tmp_path, env, *args)
        assert done.returncode == 0, done.stdout + done.stderr
    # Auto scaling raising a table's capacity and its index's is not a change (staging, prod).
    dynamodb = aws.session("us-east-1").client("dynamodb", endpoint_url=emulator.url)
    raised = {"ReadCapacityUnits": 77, "WriteCapacityUnits": 77}
    for name in ("staging", "prod"):
        dynamodb.update_table(
            TableName=f"ecommerce-{name}-products",
            ProvisionedThroughput=raised,
            GlobalSecondaryIndexUpdates=[
                {
                    "Update": {
                        "IndexName": "category-createdAt-index",
                        "ProvisionedThroughput": raised,
                    }
                }
            ],
        )
        index = dynamodb.describe_table(TableName=f"ecommerce-{name}-products")["Table"][
            "GlobalSecondaryIndexes"
        ][0]
        assert index["ProvisionedThroughput"]["WriteCapacityUnits"] == 77
    unchanged = _terraform(tmp_path, env, "plan", "-detailed-exitcode")
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr
    # An index change is a change where the table does not scale (dev on demand, local fixed);
    # where it scales, only in a deploy that says so (the trade-off, docs/operations.md).
    config.write_text(json.dumps(_tables_config(synths, "KEYS_ONLY")))
    changed = _terraform(tmp_path, env, "plan", "-detailed-exitcode")
    assert changed.returncode == 2, changed.stdout + changed.stderr
    for name in ("dev", "local"):
        assert f"aws_dynamodb_table.{name} will be updated in-place" in changed.stdout
    for name in ("staging", "prod"):
        assert f"aws_dynamodb_table.{name} will be" not in changed.stdout
    assert changed.stdout.count('+ projection_type    = "KEYS_ONLY"') == 2
    applying = _tables_config(synths, "KEYS_ONLY")
    for name in ("staging", "prod"):
        lifecycle = applying["resource"]["aws_dynamodb_table"][name]["lifecycle"]
        lifecycle["ignore_changes"].remove("global_secondary_index")
    config.write_text(json.dumps(applying))
    applied = _terraform(tmp_path, env, "plan", "-detailed-exitcode")
    assert applied.returncode == 2, applied.stdout + applied.stderr
    assert applied.stdout.count('+ projection_type    = "KEYS_ONLY"') == len(synths)
