"""DynamoDB plumbing under the per-table access modules: client, (de)serialization, paging,
transactions.

The low-level client (not the boto3 resource) keeps cold starts short; ``TypeSerializer`` turns
``Decimal`` into DynamoDB numbers and refuses floats, so binary floats never reach a table.
"""

import os
import random
import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from ..runtime import sdk
from ..spec import table_schemas
from ..spec.errors import ServiceUnavailable
from . import pagination

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
# A transaction cancelled only because another one held an item is tried this many times, with
# full jitter (a random wait up to 25 ms, then 50 ms) so that the racing transactions spread out.
TRANSACTION_ATTEMPTS = 3
TRANSACTION_BACKOFF_S = 0.025


def client() -> Any:
    """The function's one DynamoDB client (``store.runtime.sdk``: made at its first call, not at
    import, so a request that never reaches a table does not pay for botocore's model). The
    idempotency layers share it."""
    return sdk.client("dynamodb")


def table_name(env_var: str) -> str:
    """A table's physical name, from the environment variable the Functions construct sets."""
    return os.environ[env_var]


def to_item(attributes: dict[str, Any]) -> dict[str, Any]:
    """Python values to DynamoDB attribute values."""
    return {key: _serializer.serialize(value) for key, value in attributes.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB attribute values to Python values (numbers become Decimal)."""
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


def values(**named: Any) -> dict[str, Any]:
    """``ExpressionAttributeValues`` from keyword arguments: ``values(q=1)`` -> ``{":q": ...}``."""
    return {f":{key}": _serializer.serialize(value) for key, value in named.items()}


def page(
    operation: str,
    table: str,
    *,
    spec: table_schemas.TableSpec,
    index: table_schemas.IndexSpec | None,
    limit: int,
    start: dict[str, Any] | None,
    **params: Any,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of a Query or Scan, and the key to continue after it (None on the last page).

    Asks for one item more than ``limit``: when it comes back there is a next page and its start
    is the key of the last item returned; otherwise there is none, so the last page never carries
    a token that leads to an empty page.
    """
    request: dict[str, Any] = {"TableName": table, "Limit": limit + 1, **params}
    if index is not None:
        request["IndexName"] = index.name
    if start is not None:
        request["ExclusiveStartKey"] = start
    response = getattr(client(), operation)(**request)
    items = response["Items"]
    if len(items) > limit:
        items = items[:limit]
        index_keys = (index.hash_key, index.range_key) if index else ()
        names = {spec.hash_key, *index_keys} - {None}
        return [from_item(i) for i in items], {name: items[-1][name] for name in sorted(names)}
    # Fewer items than asked for can still mean more data when DynamoDB stopped at 1 MB.
    return [from_item(i) for i in items], response.get("LastEvaluatedKey")


@dataclass(frozen=True)
class NewestFirst:
    """A Query of ``index`` of ``table``, newest first (the index sorts by creation), in pages;
    ``query`` names it in its tokens, so a token of one query (or of another hash key) is refused
    by another."""

    table: str
    spec: table_schemas.TableSpec
    index: table_schemas.IndexSpec
    query: str

    def page(
        self, value: str, limit: int, token: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """The page after ``token`` of the items whose hash key is ``value``, and the next
        page's token (None on the last page)."""
        key = self.index.hash_key
        context = {"query": self.query, key: value}
        items, last = page(
            "query",
            self.table,
            spec=self.spec,
            index=self.index,
            limit=limit,
            start=pagination.decode(token, context),
            KeyConditionExpression=f"{key} = :{key}",
            ExpressionAttributeValues=values(**{key: value}),
            ScanIndexForward=False,
        )
        return items, pagination.encode(last, context)


class Cancelled(Exception):
    """A transaction failed on its conditions; ``reasons`` holds each item's, by its name (the
    keys ``transact`` was given), so a failure is read by what failed, not by where it stood."""

    def __init__(self, reasons: dict[Hashable, dict[str, Any]]):
        super().__init__("transaction cancelled")
        self.reasons = reasons

    def failed(self, name: Hashable) -> bool:
        """Whether the item named ``name`` failed its condition."""
        return self.reasons.get(name, {}).get("Code") == "ConditionalCheckFailed"

    def old_item(self, name: Hashable) -> dict[str, Any] | None:
        """The item as it was when its condition failed (None: it did not exist)."""
        item = self.reasons.get(name, {}).get("Item")
        return from_item(item) if item else None


def transact(items: dict[Hashable, dict[str, Any]]) -> None:
    """Write ``items`` (each named by its key: what it is, e.g. ``("product", id)``) in one
    TransactWriteItems: all of them or none.

    Raises ``Cancelled`` when a condition fails, its reasons by the items' names (DynamoDB
    answers one reason per item, in the request's order). A cancellation caused only by another
    transaction holding one of the items (``TransactionConflict``) wrote nothing, so it is safe
    to try again: it is, after a jittered back-off; if it persists the client gets a 503 with
    ``Retry-After``.
    """
    for attempt in range(TRANSACTION_ATTEMPTS):
        try:
            client().transact_write_items(TransactItems=list(items.values()))
            return
        except client().exceptions.TransactionCanceledException as exc:
            reasons = exc.response.get("CancellationReasons", [])
            codes = {reason.get("Code") for reason in reasons}
            if "ConditionalCheckFailed" in codes or "TransactionConflict" not in codes:
                raise Cancelled(dict(zip(items, reasons, strict=False))) from exc
            # Not a secret: how long to wait.
            time.sleep(random.uniform(0, TRANSACTION_BACKOFF_S * 2**attempt))
    raise ServiceUnavailable("The items are being changed by other requests; retry later.")
