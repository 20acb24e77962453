"""Lambda function ``expirer`` (handler ``expirer.handler``): cancels the PENDING orders older
than the environment's limit, each with ``cancelReason`` EXPIRED and its stock put back in the
same transaction, as a cancel does.

Each message of its queue (the schedule sends one every few minutes; its body is not read) is
one sweep of the ``status-createdAt-index``. A cancel is conditioned on the order still being
PENDING, so a customer cancelling at the same moment cannot get its stock returned twice: one
of the two wins, the other finds the order changed and leaves it.

Environment: PENDING_LIMIT_MINUTES, ORDERS_TABLE_NAME, PRODUCTS_TABLE_NAME, STORE_ENVIRONMENT,
POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL.
"""

import os
from datetime import timedelta
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from store.data import orders_table
from store.domain import order_rules as rules
from store.events.consumer import process
from store.runtime import clock
from store.runtime.observability import logger, tracer
from store.spec import events, settings
from store.spec.errors import Conflict, NotFound


def expire() -> int:
    """Cancel every PENDING order created before now minus the limit; how many it cancelled."""
    limit = timedelta(minutes=int(os.environ[settings.PENDING_LIMIT_MINUTES]))
    now = clock.now_datetime()
    cancelled = 0
    for order in orders_table.pending_before(clock.iso(now - limit)):
        try:
            # Read again, consistently: the index is eventually consistent.
            current = orders_table.get(order["orderId"])
            rules.check_cancel(current, owner=None, only_from=rules.PENDING)
            orders_table.cancel(current, clock.iso(now), reason=events.EXPIRED, owner=None)
        except (Conflict, NotFound):
            # Cancelled, confirmed or deleted since the index was read: nothing to expire.
            logger.info("order changed meanwhile: not expired", extra={"orderId": order["orderId"]})
            continue
        cancelled += 1
    logger.info("expiry sweep", extra={"cancelled": cancelled})
    return cancelled


def _sweep(record: SQSRecord) -> int:  # pylint: disable=unused-argument  # a tick: no body
    return expire()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point: a batch of SQS messages -> ``batchItemFailures``."""
    return process(event, context, _sweep)
