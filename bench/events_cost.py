"""Money: what the order events add to an environment each month, per 1,000 orders a day.

Read from the synthesized configuration (how many interface endpoints, zones, queues, alarms and
event functions, their memory, the schedule's rate) and priced with ``bench/prices.json``, whose
assumptions say how many stream records, events, messages and mails one order makes. Free tiers
are not deducted (the environments may share one account). ``bench/cost.py`` prints the table.
"""

from __future__ import annotations

import re
from typing import Any

# The event functions' handlers (one per FunctionSpec of handlers/store/manifest.py's EVENTS).
EVENT_HANDLERS = {
    "publisher.handler",
    "notifier.handler",
    "stock_alerts.handler",
    "expirer.handler",
}
# The interface endpoints the order events need (KMS's serves the API as well).
EVENT_ENDPOINTS = ("events", "sns", "email")
_RATE = re.compile(r"^rate\((\d+) minutes?\)$")
MINUTES_PER_MONTH = 730 * 60


def _value(prices: dict[str, Any], name: str) -> float:
    return prices["assumptions"][name]["value"]


def _price(prices: dict[str, Any], name: str) -> float:
    return prices["prices"][name]["price"]


def _fixed(resources: dict[str, Any], prices: dict[str, Any]) -> tuple[list[list[Any]], float]:
    """What the events cost with no order at all: endpoints, alarms, idle polling, the schedule."""
    hours = prices["hours_per_month"]
    endpoints = [
        e
        for e in resources.get("aws_vpc_endpoint", {}).values()
        if e["service_name"].rsplit(".", 1)[-1] in EVENT_ENDPOINTS
    ]
    zone_hours = sum(len(e.get("subnet_ids") or []) for e in endpoints) * hours
    names = _event_function_names(resources)
    alarms = [
        a
        for a in resources.get("aws_cloudwatch_metric_alarm", {}).values()
        if a.get("namespace") == "AWS/SQS" or any(f"-{n}-" in a["alarm_name"] for n in names)
    ]
    queues = [
        m
        for m in resources.get("aws_lambda_event_source_mapping", {}).values()
        if "aws_sqs_queue" in m["event_source_arn"]
    ]
    idle = len(queues) * _value(prices, "idle_sqs_receives_per_queue_month")
    fires = sum(
        MINUTES_PER_MONTH / int(_RATE.match(s["schedule_expression"]).group(1))
        for s in resources.get("aws_scheduler_schedule", {}).values()
    )
    # Each firing: one scheduler invocation, the message's send, receive and delete, and one
    # expirer invocation.
    return [
        [
            f"interface endpoints ({', '.join(EVENT_ENDPOINTS)})",
            zone_hours * _price(prices, "interface_endpoint_az_hour"),
        ],
        [f"{len(alarms)} alarms", len(alarms) * _price(prices, "cloudwatch_alarm_metric_month")],
        [
            f"Lambda's polling of {len(queues)} empty queues",
            idle / 1e6 * _price(prices, "sqs_requests_million"),
        ],
        [
            f"expiry schedule ({fires:,.0f} firings)",
            fires / 1e6 * _price(prices, "scheduler_invocations_million")
            + fires * 3 / 1e6 * _price(prices, "sqs_requests_million"),
        ],
    ], fires


def _event_function_names(resources: dict[str, Any]) -> list[str]:
    return [
        f["function_name"].split("-", 2)[-1]
        for f in resources.get("aws_lambda_function", {}).values()
        if f["handler"] in EVENT_HANDLERS
    ]


def _invocation_cost(prices: dict[str, Any], memory_mb: int) -> float:
    """One event function invocation: request, duration and its log lines."""
    seconds = _value(prices, "event_function_ms") / 1000
    return (
        _price(prices, "lambda_requests_million") / 1e6
        + seconds * memory_mb / 1024 * _price(prices, "lambda_gb_second")
        + _value(prices, "event_log_bytes_per_invocation")
        / 1e9
        * _price(prices, "cloudwatch_logs_ingest_gb")
    )


def events_cost(config: dict[str, Any], prices: dict[str, Any]) -> dict[str, Any]:
    """The events' monthly cost in one environment: fixed rows, per-order rows, the total at
    ``orders_per_day``."""
    resources = config.get("resource", {})
    fixed, fires = _fixed(resources, prices)
    memory = max(
        (
            int(f.get("memory_size", 128))
            for f in resources.get("aws_lambda_function", {}).values()
            if f["handler"] in EVENT_HANDLERS
        ),
        default=128,
    )
    invocation = _invocation_cost(prices, memory)
    changes = _value(prices, "order_changes_per_order") + _value(
        prices, "product_changes_per_order"
    )
    low = _value(prices, "low_stock_share")
    # OrderPlaced, and each later status change (the rule mails SHIPPED and CANCELLED).
    events = _value(prices, "order_changes_per_order") + low
    mails = 2
    sqs_million = _price(prices, "sqs_requests_million") / 1e6
    on_demand_write = _price(prices, "dynamodb_on_demand_write_million") / 1e6
    per_order = [
        ["publisher: one invocation per stream record", changes * invocation],
        [
            "EventBridge: events put",
            events * _price(prices, "eventbridge_custom_events_million") / 1e6,
        ],
        # Each message: EventBridge's send, the poller's receive, the delete.
        ["SQS: send, receive, delete per message", (mails + low) * 3 * sqs_million],
        ["notifier and stock-alerts invocations", (mails + low) * invocation],
        ["idempotency records (two writes a message)", (mails + low) * 2 * on_demand_write],
        ["SES: the customer's mails", mails * _price(prices, "ses_emails_thousand") / 1000],
        [
            "SNS: low-stock publish and mails",
            low * _price(prices, "sns_publish_million") / 1e6
            + low
            * _value(prices, "low_stock_subscribers")
            * _price(prices, "sns_email_hundred_thousand")
            / 1e5,
        ],
    ]
    orders = _value(prices, "orders_per_day") * MINUTES_PER_MONTH / 1440
    fixed.append(["expirer invocations (one per firing)", fires * invocation])
    fixed_total = sum(row[1] for row in fixed)
    per_order_total = sum(row[1] for row in per_order)
    return {
        "fixed": fixed,
        "per_order": per_order,
        "orders_per_month": orders,
        "fixed_monthly": fixed_total,
        "per_order_total": per_order_total,
        "usage_monthly": per_order_total * orders,
        "monthly": fixed_total + per_order_total * orders,
    }
