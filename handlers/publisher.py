"""Lambda function ``publisher`` (handler ``publisher.handler``): the orders and products
tables' change streams -> the store's events on the environment's EventBridge bus.

Events come from committed writes only (no handler of the API publishes), so an event exists if
and only if its change does. Records are published one by one in the stream's order; once one
fails, the rest of the batch is reported failed with it, so that Lambda retries from the first
failure and the events of one order keep the order of its changes.

Environment: EVENT_BUS_NAME, LOW_STOCK_THRESHOLD, STORE_ENVIRONMENT, POWERTOOLS_SERVICE_NAME,
POWERTOOLS_LOG_LEVEL.
"""

import os
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    EventType,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from store.events.batch import each_record
from store.events.stream import event_of
from store.http import web
from store.runtime import sdk
from store.runtime.observability import logger, tracer
from store.spec import events, settings


class NotPublished(Exception):
    """EventBridge did not take the record's event, or an earlier record of the batch failed."""


def _publish(record: DynamoDBRecord, bus: str, threshold: int) -> None:
    event = event_of(record, threshold)
    if event is None:
        return
    response = sdk.client("events").put_events(
        Entries=[
            {
                "EventBusName": bus,
                "Source": events.SOURCE,
                "DetailType": event.detail_type,
                "Detail": web.dumps(event.detail),
                "Time": event.occurred_at,
            }
        ]
    )
    if response.get("FailedEntryCount"):
        (entry,) = response["Entries"]
        raise NotPublished(
            f"{event.detail_type} {event.detail['eventId']}: "
            f"{entry.get('ErrorCode')} {entry.get('ErrorMessage')}"
        )
    logger.info(
        "published",
        extra={"detailType": event.detail_type, "eventId": event.detail["eventId"]},
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point: a batch of stream records -> ``batchItemFailures``."""
    bus = os.environ[settings.EVENT_BUS_NAME]
    threshold = int(os.environ[settings.LOW_STOCK_THRESHOLD])
    failed: list[str] = []

    def publish_in_order(record: DynamoDBRecord) -> None:
        if failed:
            raise NotPublished(f"after record {failed[0]}, which failed")
        try:
            _publish(record, bus, threshold)
        except Exception:
            failed.append(record.dynamodb.sequence_number)
            logger.exception("record failed", extra={"sequenceNumber": failed[0]})
            raise

    return each_record(event, context, publish_in_order, EventType.DynamoDBStreams)
