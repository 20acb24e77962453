"""Monitoring: the alarm topic, who it notifies, the alarms and the dashboard."""

import json
import re

from cdktf import Testing

from stacks.base.config import load
from stacks.store.store_stack import StoreStack


def test_topic_is_encrypted(env):
    topic = env.one("aws_sns_topic", "alarms-topic")
    assert topic["name"] == f"{env.config.prefix}-alarms"
    assert "aws_kms_key" in topic["kms_master_key_id"]


def test_alarms(env):
    alarms = {
        a["alarm_name"].removeprefix(f"{env.config.prefix}-"): a
        for a in env.resources("aws_cloudwatch_metric_alarm").values()
    }
    functions = ("products", "users", "orders", "publisher", "notifier", "stock-alerts", "expirer")
    for fn in functions:
        assert {f"{fn}-errors", f"{fn}-throttles", f"{fn}-duration-p99"} <= set(alarms)
    assert {"api-5xx", "api-latency-p99"} <= set(alarms)
    for table in ("products", "users", "orders", "idempotency"):
        assert {f"{table}-read-throttles", f"{table}-write-throttles"} <= set(alarms)
    # The queues' (tests/stacks/store/test_events.py): three queues' age, six DLQs' depth;
    # three failed-delivery counts for each of the bus's three rules.
    assert len(alarms) == 7 * 3 + 2 + 4 * 2 + 3 + 6 + 3 * 3
    assert alarms["orders-duration-p99"]["threshold"] == env.config.lambda_timeout_seconds * 800
    assert alarms["api-5xx"]["dimensions"]["Stage"].endswith(".stage_name}")


def test_alarm_actions_follow_configuration(env):
    for alarm in env.resources("aws_cloudwatch_metric_alarm").values():
        if env.config.alarms_to_sns:
            assert len(alarm["alarm_actions"]) == 1 and "aws_sns_topic" in alarm["alarm_actions"][0]
        else:
            assert alarm["alarm_actions"] == []


def _literal(env, text: str) -> str:
    """A ``${type.name.attribute}`` reference replaced by that resource's synthesized value."""
    match = re.fullmatch(r"\$\{(aws_\w+)\.([\w-]+)\.(\w+)\}", text)
    if not match:
        return text
    kind, name, attribute = match.groups()
    return env.resources(kind)[name][attribute]


def test_dashboard(env):
    """Each widget shows the metrics it is titled for, of the stack's own API stage, functions
    and tables (CloudWatch's ``[namespace, metric, dimension, value, ...]`` rows)."""
    body = json.loads(env.one("aws_cloudwatch_dashboard")["dashboard_body"])
    shown = {}
    for widget in body["widgets"]:
        props = widget["properties"]
        assert widget["type"] == "metric" and props["region"] == env.config.region
        shown[props["title"]] = (
            props["stat"],
            {(m[0], m[1], *(_literal(env, part) for part in m[2:])) for m in props["metrics"]},
        )
    api = ("ApiName", env.one("aws_api_gateway_rest_api")["name"])
    api += ("Stage", env.one("aws_api_gateway_stage")["stage_name"])
    functions = [f["function_name"] for f in env.resources("aws_lambda_function").values()]
    tables = [t["name"] for t in env.resources("aws_dynamodb_table").values()]
    assert len(functions) == 7 and len(tables) == 4
    queues = [q["name"] for q in env.resources("aws_sqs_queue").values()]
    dead_letter_queues = [q for q in queues if q.endswith("-dlq")]
    live_queues = [q for q in queues if q not in dead_letter_queues]
    bus = env.one("aws_cloudwatch_event_bus")["name"]
    rules = [r["name"] for r in env.resources("aws_cloudwatch_event_rule").values()]
    assert len(rules) == 3

    def per(items, dimension, namespace, metrics):
        return {(namespace, m, dimension, i) for i in items for m in metrics}

    assert shown == {
        "API requests and errors": (
            "Sum",
            {("AWS/ApiGateway", m, *api) for m in ("Count", "4XXError", "5XXError")},
        ),
        "API latency p99": ("p99", {("AWS/ApiGateway", "Latency", *api)}),
        "Function invocations": (
            "Sum",
            per(functions, "FunctionName", "AWS/Lambda", ["Invocations"]),
        ),
        "Function errors and throttles": (
            "Sum",
            per(functions, "FunctionName", "AWS/Lambda", ["Errors", "Throttles"]),
        ),
        "Function duration p99": (
            "p99",
            per(functions, "FunctionName", "AWS/Lambda", ["Duration"]),
        ),
        "DynamoDB throttles": (
            "Sum",
            per(tables, "TableName", "AWS/DynamoDB", ["ReadThrottleEvents", "WriteThrottleEvents"]),
        ),
        "Event queues: oldest message (s)": (
            "Maximum",
            per(live_queues, "QueueName", "AWS/SQS", ["ApproximateAgeOfOldestMessage"]),
        ),
        "Dead-letter queues: messages": (
            "Maximum",
            per(dead_letter_queues, "QueueName", "AWS/SQS", ["ApproximateNumberOfMessagesVisible"]),
        ),
        "Event deliveries that failed": (
            "Sum",
            {
                ("AWS/Events", m, "EventBusName", bus, "RuleName", r)
                for r in rules
                for m in (
                    "FailedInvocations",
                    "InvocationsSentToDlq",
                    "InvocationsFailedToBeSentToDlq",
                )
            },
        ),
    }


def test_topic_arn_is_a_stack_output(env):
    assert "aws_sns_topic.monitoring_alarms-topic" in env.json["output"]["AlarmTopicArn"]["value"]


def test_no_subscribers_configured_means_no_subscriptions(env):
    assert env.resources("aws_sns_topic_subscription") == {}


def test_configured_subscribers_are_subscribed():
    config = load(
        "prod",
        {
            "ECOMMERCE_PROD_ALARM_EMAILS": "oncall@example.com,lead@example.com",
            "ECOMMERCE_PROD_ALARM_HTTPS_ENDPOINT": "https://hooks.example.com/alarms",
        },
    )
    synth = json.loads(Testing.synth(StoreStack(Testing.app(), config)))
    subscriptions = synth["resource"]["aws_sns_topic_subscription"].values()
    assert sorted((s["protocol"], s["endpoint"]) for s in subscriptions) == [
        ("email", "lead@example.com"),
        ("email", "oncall@example.com"),
        ("https", "https://hooks.example.com/alarms"),
    ]
    for subscription in subscriptions:
        assert "aws_sns_topic.monitoring_alarms-topic" in subscription["topic_arn"]
        # The provider waits for an auto-confirming endpoint (confirmation_timeout_in_minutes)
        # and fails the deploy when none comes: no subscriber, HTTPS included, is declared so.
        assert not subscription.get("endpoint_auto_confirms"), subscription
        assert "confirmation_timeout_in_minutes" not in subscription
