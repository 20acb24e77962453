"""The store's DynamoDB tables in moto, from the shared definitions the Tables construct reads.

Used by the handler tests and by the benchmarks (so it must not import pytest). Import it after
``handlers/`` is on ``sys.path``, as the handlers themselves are.
"""

from typing import Any

from store.spec import table_schemas  # pylint: disable=import-error

_THROUGHPUT = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}


def create_table(client: Any, spec: table_schemas.TableSpec, table_name: str) -> None:
    """Create one table (keys, attribute types, indexes, capacity mode, TTL) as ``spec`` says."""
    capacity = {"ProvisionedThroughput": _THROUGHPUT} if spec.provisioned else {}
    request: dict[str, Any] = {
        "TableName": table_name,
        "KeySchema": [{"AttributeName": spec.hash_key, "KeyType": "HASH"}],
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": kind} for name, kind in spec.attributes.items()
        ],
        **(capacity or {"BillingMode": "PAY_PER_REQUEST"}),
    }
    indexes = []
    for index in spec.indexes:
        key_schema = [{"AttributeName": index.hash_key, "KeyType": "HASH"}]
        if index.range_key:
            key_schema.append({"AttributeName": index.range_key, "KeyType": "RANGE"})
        indexes.append(
            {
                "IndexName": index.name,
                "KeySchema": key_schema,
                "Projection": {"ProjectionType": "ALL"},
                **capacity,
            }
        )
    if indexes:
        request["GlobalSecondaryIndexes"] = indexes
    client.create_table(**request)
    if spec.ttl_attribute:
        client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
        )
