"""Lambda function ``stock-alerts`` (handler ``stock_alerts.handler``): each ``StockLow`` event
of its queue, told to the admins on the environment's low-stock topic, once per event.

Environment: LOW_STOCK_TOPIC_ARN, IDEMPOTENCY_TABLE_NAME, STORE_ENVIRONMENT,
POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL.
"""

import os
from typing import Any

from store.data import dynamo
from store.events.consumer import lambda_handler
from store.events.sns_subject import sns_subject
from store.events.stream import Event
from store.http import web
from store.runtime import sdk
from store.runtime.observability import logger
from store.spec import settings


def _alert(event: Event) -> dict[str, Any]:
    detail = event.detail
    response = sdk.client("sns").publish(
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


handler = lambda_handler(_alert, key_prefix="stock-alerts", dynamodb=dynamo.client)
"""Lambda entry point: a batch of SQS messages -> ``batchItemFailures``."""
