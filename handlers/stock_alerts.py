"""Lambda function ``stock-alerts`` (handler ``stock_alerts.handler``): each ``StockLow`` event
of its queue, told to the admins on the environment's low-stock topic, once per event.

Environment: LOW_STOCK_TOPIC_ARN, IDEMPOTENCY_TABLE_NAME, STORE_ENVIRONMENT,
POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL.
"""

import functools
import os
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from store.data import dynamo
from store.events.consumer import consume, once_per_event
from store.events.sns_subject import sns_subject
from store.events.stream import Event
from store.http import web
from store.runtime.observability import logger, tracer
from store.spec import settings


@functools.cache
def _client() -> Any:
    return boto3.client("sns", config=dynamo.CONFIG)


def _alert(event: Event) -> dict[str, Any]:
    detail = event.detail
    response = _client().publish(
        TopicArn=os.environ[settings.LOW_STOCK_TOPIC_ARN],
        # SNS refuses a long subject, or one with a line break or a control character: the
        # subject is the name made acceptable, the message holds it whole.
        Subject=sns_subject("Low stock: ", detail["name"]),
        Message=web.dumps(
            {key: detail[key] for key in ("productId", "name", "stock", "threshold", "eventId")}
        ),
    )
    logger.info("low stock told", extra={"eventId": detail["eventId"]})
    return {"published": response["MessageId"]}


_alert_once = once_per_event(_alert, key_prefix="stock-alerts", dynamodb=dynamo.client)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point: a batch of SQS messages -> ``batchItemFailures``."""
    return consume(event, context, _alert_once)
