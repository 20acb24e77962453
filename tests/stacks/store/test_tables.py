"""Tables: keys and indexes from the shared definitions, capacity, encryption, protection."""

import copy
import json
import os
import subprocess

from handlers.store.spec import table_schemas as specs
from localcloud.base import aws


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


def test_capacity_on_tables_and_indexes(env):
    expected = (env.config.table_capacity.read, env.config.table_capacity.write)
    for name in ("products", "users", "orders"):
        table = _table(env, name)
        assert table["billing_mode"] == "PROVISIONED"
        assert (table["read_capacity"], table["write_capacity"]) == expected
        for index in table["global_secondary_index"]:
            assert (index["read_capacity"], index["write_capacity"]) == expected


def test_prod_scales_from_50_to_500(synths):
    targets = synths["prod"].resources("aws_appautoscaling_target").values()
    assert {(t["min_capacity"], t["max_capacity"]) for t in targets} == {(50, 500)}


def test_dev_is_5_and_prod_is_50(synths):
    assert _table(synths["dev"], "orders")["read_capacity"] == 5
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


def test_autoscaling_from_the_floor_to_the_configured_maximum(env):
    targets = env.resources("aws_appautoscaling_target")
    policies = env.resources("aws_appautoscaling_policy")
    if env.config.name == "local":  # the emulator cannot take it (see stacks/base/config.py)
        assert targets == {} and policies == {}
        return
    # products, users, orders: the table, read and write each. Indexes keep the capacity
    # Terraform gives them (AWS provider 5.100.0 cannot ignore an index's capacity alone).
    assert len(targets) == len(policies) == 3 * 2
    ids = {t["resource_id"] for t in targets.values()}
    assert ids == {f"table/{env.config.prefix}-{name}" for name in ("products", "users", "orders")}
    scaling, floor = env.config.autoscaling, env.config.table_capacity
    for target in targets.values():
        if target["scalable_dimension"].endswith("ReadCapacityUnits"):
            assert (target["min_capacity"], target["max_capacity"]) == (
                floor.read,
                scaling.max_read,
            )
        else:
            assert (target["min_capacity"], target["max_capacity"]) == (
                floor.write,
                scaling.max_write,
            )
    for policy in policies.values():
        config = policy["target_tracking_scaling_policy_configuration"]
        assert config["target_value"] == 70
    # Only what auto scaling owns: the tables' capacity, never the indexes (see the next test).
    assert _table(env, "products")["lifecycle"]["ignore_changes"] == [
        "read_capacity",
        "write_capacity",
    ]


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


def test_an_index_change_plans_as_a_change_in_every_environment(synths, emulator, tmp_path):
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
    # Auto scaling raising a table's capacity is not a change (dev, staging, prod scale).
    dynamodb = aws.session("us-east-1").client("dynamodb", endpoint_url=emulator.url)
    for name in ("dev", "staging", "prod"):
        dynamodb.update_table(
            TableName=f"ecommerce-{name}-products",
            ProvisionedThroughput={"ReadCapacityUnits": 77, "WriteCapacityUnits": 77},
        )
    unchanged = _terraform(tmp_path, env, "plan", "-detailed-exitcode")
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr
    # An index change is a change, wherever the table auto-scales or not.
    config.write_text(json.dumps(_tables_config(synths, "KEYS_ONLY")))
    changed = _terraform(tmp_path, env, "plan", "-detailed-exitcode")
    assert changed.returncode == 2, changed.stdout + changed.stderr
    for name in synths:
        assert f"aws_dynamodb_table.{name} will be updated in-place" in changed.stdout
    assert changed.stdout.count('+ projection_type    = "KEYS_ONLY"') == len(synths)
