"""The order events' plumbing: queues and their dead-letter queues, rules, the expiry schedule,
the low-stock topic, the sender's identity, and the alarms over the queues."""

import json

import pytest
from cdktf import Testing

from handlers.store.spec import manifest
from stacks.base.config import load
from stacks.store.events import QUEUE_OF, QUEUES, RULES, rate
from stacks.store.store_stack import StoreStack

CONSUMED = {"notifications", "low-stock", "expiry"}
# Delivery's own dead-letter queues: the bus's rules' and the expiry schedule's.
DELIVERY = ("events", "schedule")
# Each environment's retry of a failed delivery (attempts, maximum event age in seconds): prod
# keeps AWS's defaults (185 attempts over 24 hours); the others fail sooner, to be seen sooner.
RETRY = {"dev": (10, 900), "staging": (50, 3600), "prod": (185, 86400), "local": (2, 60)}


def queues(env) -> dict[str, dict]:
    """Every queue of the stack, by name."""
    return {q["name"]: q for q in env.resources("aws_sqs_queue").values()}


def reference(env, kind: str, name: str, attribute: str = "arn") -> str:
    """The Terraform reference to the ``kind`` resource named ``name``."""
    [key] = [k for k, r in env.resources(kind).items() if r.get("name") == name]
    return f"${{{kind}.{key}.{attribute}}}"


def test_every_queue_has_a_dead_letter_queue_after_max_receive_count(env):
    prefix, events = env.config.prefix, env.config.events
    assert set(QUEUES) == CONSUMED
    # Each function that reads its own queue has one, and only those.
    assert set(QUEUE_OF) == {s.name for s in manifest.ALL if manifest.CONSUME_OWN_QUEUE in s.access}
    assert sorted(queues(env)) == sorted(
        [f"{prefix}-{q}" for q in CONSUMED]
        + [f"{prefix}-{q}-dlq" for q in (*CONSUMED, "publisher", *DELIVERY)]
    )
    for name in CONSUMED:
        queue = queues(env)[f"{prefix}-{name}"]
        redrive = json.loads(queue["redrive_policy"])
        assert redrive == {
            "deadLetterTargetArn": reference(env, "aws_sqs_queue", f"{prefix}-{name}-dlq"),
            "maxReceiveCount": events.max_receive_count,
        }
        # Six times the consumer's timeout, as AWS advises for a queue feeding a function.
        assert queue["visibility_timeout_seconds"] == 6 * env.config.lambda_timeout_seconds
    for queue in queues(env).values():
        assert queue["sqs_managed_sse_enabled"] is True
        if queue["name"].endswith("-dlq"):
            assert "redrive_policy" not in queue
            assert queue["message_retention_seconds"] == 14 * 24 * 3600


def test_local_moves_a_message_to_the_dlq_sooner(synths):
    assert synths["local"].config.events.max_receive_count == 3
    assert {synths[n].config.events.max_receive_count for n in ("dev", "staging", "prod")} == {5}


def test_every_queue_and_dead_letter_queue_is_alarmed_and_on_the_dashboard(env):
    prefix = env.config.prefix
    alarms = {a["alarm_name"]: a for a in env.resources("aws_cloudwatch_metric_alarm").values()}
    for name in CONSUMED:
        age = alarms[f"{prefix}-{name}-queue-age"]
        assert age["metric_name"] == "ApproximateAgeOfOldestMessage"
        assert age["dimensions"] == {
            "QueueName": reference(env, "aws_sqs_queue", f"{prefix}-{name}", "name")
        }
        assert age["threshold"] == env.config.events.max_message_age_seconds
        assert age["comparison_operator"] == "GreaterThanThreshold"
    for name in (*CONSUMED, "publisher", *DELIVERY):
        depth = alarms[f"{prefix}-{name}-dlq-depth"]
        assert depth["metric_name"] == "ApproximateNumberOfMessagesVisible"
        assert depth["dimensions"] == {
            "QueueName": reference(env, "aws_sqs_queue", f"{prefix}-{name}-dlq", "name")
        }
        # One message is one failed event: at once, not after 3 of 5 minutes.
        assert (depth["threshold"], depth["comparison_operator"]) == (0, "GreaterThanThreshold")
        assert (depth["evaluation_periods"], depth["datapoints_to_alarm"]) == (1, 1)
    body = env.one("aws_cloudwatch_dashboard")["dashboard_body"]
    for name in queues(env):
        assert reference(env, "aws_sqs_queue", name, "name") in body


def test_rules_deliver_the_contracts_events_to_their_queues(env):
    prefix = env.config.prefix
    bus = env.one("aws_cloudwatch_event_bus")
    assert bus["name"] == f"{prefix}-events"
    rules = {r["name"]: r for r in env.resources("aws_cloudwatch_event_rule").values()}
    assert sorted(rules) == sorted(f"{prefix}-{key}" for key in RULES)
    patterns = {name: json.loads(rule["event_pattern"]) for name, rule in rules.items()}
    assert patterns[f"{prefix}-notify-placed"] == {
        "source": ["store"],
        "detail-type": ["OrderPlaced"],
    }
    assert patterns[f"{prefix}-notify-status"] == {
        "source": ["store"],
        "detail-type": ["OrderStatusChanged"],
        "detail": {"to": ["SHIPPED", "CANCELLED"]},
    }
    assert patterns[f"{prefix}-low-stock"] == {"source": ["store"], "detail-type": ["StockLow"]}
    for rule in rules.values():
        assert "aws_cloudwatch_event_bus" in rule["event_bus_name"]
    targets = {t["rule"]: t for t in env.resources("aws_cloudwatch_event_target").values()}
    attempts, age = RETRY[env.config.name]
    for key, (queue, _) in RULES.items():
        rule_name = reference(env, "aws_cloudwatch_event_rule", f"{prefix}-{key}", "name")
        target = targets[rule_name]
        assert target["arn"] == reference(env, "aws_sqs_queue", f"{prefix}-{queue}")
        # Retried as configured, then to the bus's dead-letter queue: never dropped.
        assert target["dead_letter_config"] == {
            "arn": reference(env, "aws_sqs_queue", f"{prefix}-events-dlq")
        }
        assert target["retry_policy"] == {
            "maximum_retry_attempts": attempts,
            "maximum_event_age_in_seconds": age,
        }


def test_rules_that_fail_to_deliver_page_at_once(env):
    """AWS/Events measures a custom bus's rule with both dimensions, EventBusName and RuleName
    (EventBridge's monitoring guide); each count pages at its first event."""
    prefix = env.config.prefix
    alarms = {a["alarm_name"]: a for a in env.resources("aws_cloudwatch_metric_alarm").values()}
    metrics = {
        "failed-invocations": "FailedInvocations",
        "sent-to-dlq": "InvocationsSentToDlq",
        "dlq-send-failed": "InvocationsFailedToBeSentToDlq",
    }
    bus = reference(env, "aws_cloudwatch_event_bus", f"{prefix}-events", "name")
    for key in ("notify-placed", "notify-status", "low-stock"):
        rule = reference(env, "aws_cloudwatch_event_rule", f"{prefix}-{key}", "name")
        for suffix, metric in metrics.items():
            alarm = alarms[f"{prefix}-{key}-{suffix}"]
            assert (alarm["namespace"], alarm["metric_name"]) == ("AWS/Events", metric)
            assert alarm["dimensions"] == {"EventBusName": bus, "RuleName": rule}
            assert (alarm["statistic"], alarm["threshold"]) == ("Sum", 1)
            assert alarm["comparison_operator"] == "GreaterThanOrEqualToThreshold"
            assert (alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (1, 1)


def test_a_fed_queue_takes_messages_from_its_own_rules_only(env):
    prefix = env.config.prefix
    policies = {p["queue_url"]: p for p in env.resources("aws_sqs_queue_policy").values()}
    # The expiry queue is fed through the scheduler's role; the bus's DLQ takes every rule's.
    assert len(policies) == 3
    for queue in ("notifications", "low-stock"):
        policy = policies[reference(env, "aws_sqs_queue", f"{prefix}-{queue}", "url")]
        [grant] = json.loads(policy["policy"])["Statement"]
        assert grant["Principal"] == {"Service": "events.amazonaws.com"}
        assert grant["Action"] == "sqs:SendMessage"
        assert grant["Resource"] == reference(env, "aws_sqs_queue", f"{prefix}-{queue}")
        rules = [
            reference(env, "aws_cloudwatch_event_rule", f"{prefix}-{key}")
            for key, (q, _) in RULES.items()
            if q == queue
        ]
        assert grant["Condition"] == {"ArnEquals": {"aws:SourceArn": rules}}
    dead_letter = policies[reference(env, "aws_sqs_queue", f"{prefix}-events-dlq", "url")]
    [grant] = json.loads(dead_letter["policy"])["Statement"]
    assert grant == {
        "Sid": "OnlyItsRules",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": reference(env, "aws_sqs_queue", f"{prefix}-events-dlq"),
        "Condition": {
            "ArnEquals": {
                "aws:SourceArn": [
                    reference(env, "aws_cloudwatch_event_rule", f"{prefix}-{key}")
                    for key in ("notify-placed", "notify-status", "low-stock")
                ]
            }
        },
    }


def test_the_expiry_schedule_sends_to_the_expiry_queue_only(env):
    prefix = env.config.prefix
    schedule = env.one("aws_scheduler_schedule")
    assert schedule["name"] == f"{prefix}-expire-orders"
    assert schedule["schedule_expression"] == "rate(5 minutes)"
    assert schedule["flexible_time_window"] == {"mode": "OFF"}
    target = schedule["target"]
    assert target["arn"] == reference(env, "aws_sqs_queue", f"{prefix}-expiry")
    role = env.one("aws_iam_role", "scheduler-role")
    assert role["name"] == f"{prefix}-scheduler-role"
    assert json.loads(role["assume_role_policy"])["Statement"][0]["Principal"] == {
        "Service": "scheduler.amazonaws.com"
    }
    assert target["role_arn"].startswith("${aws_iam_role.events_scheduler-role")
    policy = json.loads(env.one("aws_iam_role_policy", "scheduler-policy")["policy"])
    # The scheduler dead-letters a firing as the schedule's role: it may send there too.
    assert policy["Statement"] == [
        {
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": [
                reference(env, "aws_sqs_queue", f"{prefix}-expiry"),
                reference(env, "aws_sqs_queue", f"{prefix}-schedule-dlq"),
            ],
        }
    ]
    assert any("scheduler-policy" in d for d in schedule["depends_on"])
    attempts, age = RETRY[env.config.name]
    assert target["dead_letter_config"] == {
        "arn": reference(env, "aws_sqs_queue", f"{prefix}-schedule-dlq")
    }
    assert target["retry_policy"] == {
        "maximum_retry_attempts": attempts,
        "maximum_event_age_in_seconds": age,
    }


@pytest.mark.parametrize(("minutes", "expression"), [(1, "rate(1 minute)"), (5, "rate(5 minutes)")])
def test_rate_expressions(minutes, expression):
    assert rate(minutes) == expression


def test_low_stock_topic_and_sender_identity(env):
    topic = [t for t in env.resources("aws_sns_topic").values() if t["name"].endswith("-low-stock")]
    assert len(topic) == 1 and "aws_kms_key" in topic[0]["kms_master_key_id"]
    identity = env.one("aws_sesv2_email_identity")
    assert identity["email_identity"] == env.config.events.sender_address
    assert not [
        s
        for s in env.resources("aws_sns_topic_subscription").values()
        if "low-stock" in s["topic_arn"]
    ]


def test_configured_admins_are_subscribed_to_low_stock():
    config = load("staging", {"ECOMMERCE_STAGING_LOW_STOCK_EMAILS": "a@x.co, b@x.co"})
    synth = json.loads(Testing.synth(StoreStack(Testing.app(), config)))
    subscriptions = [
        s
        for s in synth["resource"]["aws_sns_topic_subscription"].values()
        if "low-stock" in s["topic_arn"]
    ]
    assert sorted(s["endpoint"] for s in subscriptions) == ["a@x.co", "b@x.co"]
    assert {s["protocol"] for s in subscriptions} == {"email"}
