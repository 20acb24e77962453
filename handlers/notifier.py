"""Lambda function ``notifier`` (handler ``notifier.handler``): the customer's mail for an
order placed, shipped or cancelled, from the queue the bus's notification rules fill.

Once per event (idempotent on ``eventId``): a redelivered event sends no second mail. The
address is the profile's, read when the mail is sent (events carry none). A mail that SES
refuses is logged and its message fails, to be retried as the queue says, without holding
back the other messages of the batch.

Environment: SENDER_ADDRESS, USERS_TABLE_NAME, IDEMPOTENCY_TABLE_NAME, STORE_ENVIRONMENT,
POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL.
"""

import os
from typing import Any

from botocore.exceptions import ClientError
from store.data import dynamo, users_table
from store.events.consumer import lambda_handler
from store.events.stream import Event
from store.runtime import sdk
from store.runtime.observability import logger
from store.spec import events, settings
from store.spec.errors import NotFound

# What the mail says happened, for each status change that is mailed.
_WHAT = {status: status.lower() for status in events.NOTIFIED_STATUSES}


def mail_of(event: Event) -> tuple[str, str] | None:
    """The subject and text of the customer's mail about ``event``; None: no mail for it."""
    order = event.detail.get("order")
    if event.detail_type == events.ORDER_PLACED:
        what = "placed"
    elif event.detail_type == events.ORDER_STATUS_CHANGED and event.detail["to"] in _WHAT:
        what = _WHAT[event.detail["to"]]
    else:
        return None
    lines = [f"- {item['quantity']} x {item['name']}" for item in order["items"]]
    text = "\n".join(
        [
            f"Your order {order['orderId']} is {what}.",
            "",
            *lines,
            "",
            f"Total: {order['total']} {order['currency']}",
        ]
    )
    return f"Your order is {what}", text


def _notify(event: Event) -> dict[str, Any]:
    mail = mail_of(event)
    if mail is None:
        logger.info("no mail for this event", extra={"detailType": event.detail_type})
        return {"sent": None}
    try:
        address = users_table.get(event.detail["order"]["userId"])["email"]
    except NotFound:
        logger.info("the customer is gone: no mail", extra={"eventId": event.detail["eventId"]})
        return {"sent": None}
    subject, text = mail
    try:
        response = sdk.client("sesv2").send_email(
            FromEmailAddress=os.environ[settings.SENDER_ADDRESS],
            Destination={"ToAddresses": [address]},
            Content={"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": text}}}},
        )
    except ClientError as exc:
        # Never the address in a log line: the event id finds the order, the order its owner.
        logger.warning(
            "SES refused the mail; the message will be retried",
            extra={"eventId": event.detail["eventId"], "errorCode": exc.response["Error"]["Code"]},
        )
        raise
    # The order id, not the address: the integration suite finds the mail of its order by it.
    logger.info(
        "mail sent",
        extra={"eventId": event.detail["eventId"], "orderId": event.detail["order"]["orderId"]},
    )
    return {"sent": response["MessageId"]}


handler = lambda_handler(_notify, key_prefix="notifier", dynamodb=dynamo.client)
"""Lambda entry point: a batch of SQS messages -> ``batchItemFailures``."""
