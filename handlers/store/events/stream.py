"""The tables' change-stream records as the store's events (docs/api.md, "Events").

Pure mapping, no I/O: the publisher sends what ``events_of`` returns. A record of the orders
table yields ``OrderPlaced`` (INSERT) or ``OrderStatusChanged`` (the status differs between the
images); one of the products table yields ``StockLow`` when its stock went down to the threshold
or below. Anything else yields nothing. The ``eventId`` comes from the record's table, key and
sequence number, so every delivery of one change carries the same id.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)

from ..runtime import clock
from ..spec import events


@dataclass(frozen=True)
class Event:
    """One event: its ``detail-type`` and its ``detail`` (common fields included)."""

    detail_type: str
    detail: dict[str, Any]

    @property
    def occurred_at(self) -> datetime:
        """When the change was committed (the record's approximate creation time)."""
        return datetime.fromisoformat(self.detail["occurredAt"])


def _common(record: DynamoDBRecord) -> dict[str, Any]:
    table = (record.event_source_arn or "").split("/")[1]
    stream = record.dynamodb
    key = json.dumps(stream.raw_event["Keys"], sort_keys=True)
    # Epoch seconds (a number, with a fraction since 2024) as Lambda passes it.
    created = datetime.fromtimestamp(float(stream.raw_event["ApproximateCreationDateTime"]), UTC)
    return {
        "eventId": clock.id_for("event", table, key, stream.sequence_number),
        "schemaVersion": events.SCHEMA_VERSION,
        "occurredAt": clock.iso(created),
    }


def _order_event(record: DynamoDBRecord) -> Event | None:
    new = record.dynamodb.new_image
    if record.event_name == DynamoDBRecordEventName.INSERT:
        return Event(events.ORDER_PLACED, {**_common(record), "order": new})
    old = record.dynamodb.old_image
    if record.event_name != DynamoDBRecordEventName.MODIFY or old["status"] == new["status"]:
        return None
    change = {"from": old["status"], "to": new["status"]}
    if new["status"] == "CANCELLED":
        change["reason"] = new["cancelReason"]
    return Event(events.ORDER_STATUS_CHANGED, {**_common(record), "order": new, **change})


def _stock_event(record: DynamoDBRecord, threshold: int) -> Event | None:
    if record.event_name != DynamoDBRecordEventName.MODIFY:
        return None
    old, new = record.dynamodb.old_image, record.dynamodb.new_image
    if not new["stock"] < old["stock"] or new["stock"] > threshold:
        return None
    stock = {"stock": new["stock"], "threshold": threshold}
    fields = {"productId": new["productId"], "name": new["name"], **stock}
    return Event(events.STOCK_LOW, {**_common(record), **fields})


def event_of(record: DynamoDBRecord, threshold: int) -> Event | None:
    """The event a change of the orders or products table makes, if any."""
    if "orderId" in record.dynamodb.raw_event["Keys"]:
        return _order_event(record)
    return _stock_event(record, threshold)
