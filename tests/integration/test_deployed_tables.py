"""The deployed tables: keys, indexes, capacity, PITR, encryption of the environment."""

import pytest

from handlers.store import tables as specs

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
    table = described[name]
    expected = (config.table_capacity.read, config.table_capacity.write)

    def units(throughput):
        return (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"])

    if config.autoscaling is None:  # auto scaling may have moved prod's numbers since deploy
        assert units(table["ProvisionedThroughput"]) == expected
        for index in table.get("GlobalSecondaryIndexes", []):
            assert units(index["ProvisionedThroughput"]) == expected
    else:
        assert units(table["ProvisionedThroughput"]) >= expected


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
