"""Monitoring: the alarm topic, who it notifies, the alarms and the dashboard."""

import json

from cdktf import Testing

from stacks.config import load
from stacks.store_stack import StoreStack


def test_topic_is_encrypted(env):
    topic = env.one("aws_sns_topic")
    assert topic["name"] == f"{env.config.prefix}-alarms"
    assert "aws_kms_key" in topic["kms_master_key_id"]


def test_alarms(env):
    alarms = {
        a["alarm_name"].removeprefix(f"{env.config.prefix}-"): a
        for a in env.resources("aws_cloudwatch_metric_alarm").values()
    }
    for fn in ("products", "users", "orders"):
        assert {f"{fn}-errors", f"{fn}-throttles", f"{fn}-duration-p99"} <= set(alarms)
    assert {"api-5xx", "api-latency-p99"} <= set(alarms)
    for table in ("products", "users", "orders", "idempotency"):
        assert {f"{table}-read-throttles", f"{table}-write-throttles"} <= set(alarms)
    assert len(alarms) == 3 * 3 + 2 + 4 * 2
    assert alarms["orders-duration-p99"]["threshold"] == env.config.lambda_timeout_seconds * 800
    assert alarms["api-5xx"]["dimensions"]["Stage"].endswith(".stage_name}")


def test_alarm_actions_follow_configuration(env):
    for alarm in env.resources("aws_cloudwatch_metric_alarm").values():
        if env.config.alarms_to_sns:
            assert len(alarm["alarm_actions"]) == 1 and "aws_sns_topic" in alarm["alarm_actions"][0]
        else:
            assert alarm["alarm_actions"] == []


def test_dashboard(env):
    dashboard = env.one("aws_cloudwatch_dashboard")
    body = json.loads(dashboard["dashboard_body"])
    titles = [w["properties"]["title"] for w in body["widgets"]]
    assert "API latency p99" in titles and "DynamoDB throttles" in titles


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
        assert subscription.get("endpoint_auto_confirms") is (
            True if subscription["protocol"] == "https" else None
        )
