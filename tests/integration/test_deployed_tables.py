"""The deployed tables: keys, indexes, capacity, PITR, encryption of the environment."""

import pytest

from handlers.store.spec import table_schemas as specs

TABLES = [(spec.name.capitalize(), spec) for spec in (specs.PRODUCTS, specs.USERS, specs.ORDERS)]


@pytest.fixture(scope="module")
def described(aws, outputs):
    """describe_table of products, users and orders, by output prefix."""
    return {
        name: aws("dynamodb").describe_table(TableName=outputs[f"{name}TableName"])["Table"]
        for name, _ in TABLES
    }


@pytest.mark.parametrize(("name", "spec"), TABLES)
def test_keys_and_indexes(described, name, spec):
    table = described[name]
    assert table["KeySchema"] == [{"AttributeName": spec.hash_key, "KeyType": "HASH"}]
    indexes = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}
    assert set(indexes) == {i.name for i in spec.indexes}
    for index in spec.indexes:
        keys = {k["KeyType"]: k["AttributeName"] for k in indexes[index.name]["KeySchema"]}
        assert keys.get("HASH") == index.hash_key and keys.get("RANGE") == index.range_key
        assert indexes[index.name]["Projection"]["ProjectionType"] == "ALL"


@pytest.mark.parametrize(("name", "spec"), TABLES)
def test_capacity_of_the_environment(described, config, name, spec):
    """Each of read and write, of the table and of each index, on its own: the configured
    units, or, where auto scaling may have moved them since the deploy, within its range; an
    environment without capacity (dev) is on demand, its indexes too (they follow the table)."""
    table = described[name]
    floor = config.table_capacity
    if floor is None:
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        return
    assert table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED") == "PROVISIONED"
    scaling = config.autoscaling
    ranges = {
        "ReadCapacityUnits": (floor.read, scaling.max_read if scaling else floor.read),
        "WriteCapacityUnits": (floor.write, scaling.max_write if scaling else floor.write),
    }
    throughputs = [table["ProvisionedThroughput"]]
    throughputs += [
        index["ProvisionedThroughput"] for index in table.get("GlobalSecondaryIndexes", [])
    ]
    outside = [
        (unit, throughput[unit], (low, high))
        for throughput in throughputs
        for unit, (low, high) in ranges.items()
        if not low <= throughput[unit] <= high
    ]
    assert outside == []


@pytest.mark.parametrize(("name", "spec"), TABLES)
def test_pitr_and_encryption(aws, described, config, name, spec):
    table = described[name]
    backups = aws("dynamodb").describe_continuous_backups(TableName=table["TableName"])
    status = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert (status["PointInTimeRecoveryStatus"] == "ENABLED") is config.point_in_time_recovery
    sse = table["SSEDescription"]
    assert sse["Status"] == "ENABLED" and sse["SSEType"] == "KMS"
    key = aws("kms").describe_key(KeyId=sse["KMSMasterKeyArn"])["KeyMetadata"]
    assert key["KeyManager"] == "CUSTOMER", f"{spec.name} must use the environment's own key"
    assert table.get("DeletionProtectionEnabled", False) is config.deletion_protection
