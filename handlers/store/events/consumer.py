"""The queue consumers' common part: a batch of SQS messages, each one event of the bus.

Each message is handled on its own (Powertools' batch utility): the ones that fail are reported
as ``batchItemFailures``, so SQS redelivers only those after their visibility timeout and, after
the queue's ``maxReceiveCount``, moves them to its dead-letter queue; the others are deleted.
A message that is not an event of the bus, or whose ``schemaVersion`` this code does not know,
fails with a log line naming it and is never half-handled. ``once_per_event`` makes a handler
idempotent on the event's ``eventId`` (Powertools idempotency, the idempotency table).
"""

import functools
import json
import os
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.utilities.batch import EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..runtime.observability import logger, tracer
from ..spec import events, settings
from .batch import each_record
from .stream import Event

# An event is redelivered within minutes (a failed delete, a visibility timeout); a day covers
# every retry that SQS makes of it.
IDEMPOTENCY_SECONDS = 24 * 60 * 60


_IDEMPOTENCY = IdempotencyConfig(
    event_key_jmespath="eventId", expires_after_seconds=IDEMPOTENCY_SECONDS
)


class UnreadableMessage(ValueError):
    """The message is not an event of the store's bus (its record fails, to the DLQ)."""


class UnknownSchemaVersion(ValueError):
    """The event's ``schemaVersion`` is not one this consumer knows (its record fails)."""


def parse(record: SQSRecord) -> Event:
    """The event that an SQS message (an EventBridge event, as a rule delivers it) carries."""
    try:
        body = json.loads(record.body, parse_float=Decimal)
        event = Event(body["detail-type"], body["detail"])
        version = event.detail["schemaVersion"]
        event_id = event.detail["eventId"]
    except (ValueError, KeyError, TypeError) as exc:
        logger.error("Unreadable message", extra={"messageId": record.message_id})
        raise UnreadableMessage(f"message {record.message_id} is not an event") from exc
    if version != events.SCHEMA_VERSION:
        logger.error(
            "Unknown schema version",
            extra={
                "schemaVersion": version,
                "detailType": event.detail_type,
                "eventId": event_id,
                "messageId": record.message_id,
            },
        )
        raise UnknownSchemaVersion(
            f"{event.detail_type} {event_id}: schemaVersion {version!r} is not "
            f"{events.SCHEMA_VERSION}"
        )
    return event


def process(
    event: dict[str, Any], context: LambdaContext, handle: Callable[[SQSRecord], Any]
) -> dict[str, Any]:
    """Handle each message of an SQS batch; the ``batchItemFailures`` response."""

    def logged(record: SQSRecord) -> Any:
        try:
            return handle(record)
        except Exception:
            logger.exception("message failed", extra={"messageId": record.message_id})
            raise

    return each_record(event, context, logged, EventType.SQS)


def consume(
    event: dict[str, Any], context: LambdaContext, handle: Callable[[Event], Any]
) -> dict[str, Any]:
    """Handle the bus event of each message of an SQS batch (``parse``, then ``handle``)."""
    # An event still in progress when the invocation times out may then be tried again.
    _IDEMPOTENCY.register_lambda_context(context)
    return process(event, context, lambda record: handle(parse(record)))


@functools.cache
def _persistence(dynamodb: Callable[[], Any]) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(
        table_name=os.environ[settings.IDEMPOTENCY_TABLE], boto3_client=dynamodb()
    )


def once_per_event(
    handle: Callable[[Event], dict[str, Any]], key_prefix: str, dynamodb: Callable[[], Any]
) -> Callable[[Event], dict[str, Any]]:
    """``handle``, run at most once per ``eventId`` (a redelivery returns the first result).

    ``dynamodb`` gives the function's own DynamoDB client, which the idempotency records use
    (one botocore model loaded, not two).

    A ``handle`` that raises leaves no record, so the retry runs it again; a redelivery that
    arrives while the first is still running fails its record and is retried later.
    """

    def run(detail: dict[str, Any], detail_type: str) -> dict[str, Any]:
        return handle(Event(detail_type, detail))

    def once(event: Event) -> dict[str, Any]:
        idempotent = idempotent_function(
            run,
            data_keyword_argument="detail",
            persistence_store=_persistence(dynamodb),
            config=_IDEMPOTENCY,
            key_prefix=key_prefix,
        )
        return idempotent(detail=event.detail, detail_type=event.detail_type)

    return once


def lambda_handler(
    handle: Callable[[Event], dict[str, Any]], key_prefix: str, dynamodb: Callable[[], Any]
) -> Callable[[dict, LambdaContext], dict[str, Any]]:
    """A consumer's Lambda entry point: each message's event to ``handle`` at most once per
    ``eventId`` (``once_per_event``), logged and traced; the ``batchItemFailures`` response."""
    handle_once = once_per_event(handle, key_prefix=key_prefix, dynamodb=dynamodb)

    @logger.inject_lambda_context
    @tracer.capture_lambda_handler
    def handler(event: dict, context: LambdaContext) -> dict[str, Any]:
        """Lambda entry point: a batch of SQS messages -> ``batchItemFailures``."""
        return consume(event, context, handle_once)

    return handler
