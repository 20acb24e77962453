"""The deployed order events' plumbing, read back from the outputs: the bus and its rules, the
queues and their dead-letter queues, the mappings that feed the event functions, the expiry
schedule, the low-stock topic and the sender's identity (the same checks on AWS and locally)."""

import json

import pytest

from handlers.store.spec import manifest
from stacks.store.events import rate
from tests.integration.test_deployed_functions import _as_list, _inline_policy

QUEUE_ACTIONS = manifest.CONSUME_OWN_QUEUE.actions
# The queues' outputs and the consumer each one feeds.
QUEUES = {
    "Notifications": manifest.NOTIFIER,
    "LowStock": manifest.STOCK_ALERTS,
    "Expiry": manifest.EXPIRER,
}


def _attributes(aws, url: str) -> dict:
    return aws("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def _url(aws, arn: str) -> str:
    name = arn.rsplit(":", 1)[-1]
    return aws("sqs").get_queue_url(QueueName=name)["QueueUrl"]


def _function_arn(aws, config, spec) -> str:
    name = f"{config.prefix}-{spec.name}"
    return aws("lambda").get_function_configuration(FunctionName=name)["FunctionArn"]


def _stack_rules(aws, outputs, config) -> list[dict]:
    # By name: the suite's own taps (it-tap-*) come and go on the same bus while these run.
    return aws("events").list_rules(
        EventBusName=outputs["EventBusName"], NamePrefix=f"{config.prefix}-"
    )["Rules"]


def test_the_bus_is_the_environments(aws, outputs, config):
    bus = aws("events").describe_event_bus(Name=outputs["EventBusName"])
    assert bus["Arn"] == outputs["EventBusArn"]
    assert outputs["EventBusName"] == f"{config.prefix}-events"


@pytest.mark.parametrize("title", QUEUES)
def test_each_queue_moves_a_message_to_its_dlq_after_max_receive_count(aws, outputs, config, title):
    queue = _attributes(aws, outputs[f"{title}QueueUrl"])
    redrive = json.loads(queue["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == outputs[f"{title}DeadLetterQueueArn"]
    assert int(redrive["maxReceiveCount"]) == config.events.max_receive_count
    assert int(queue["VisibilityTimeout"]) == 6 * config.lambda_timeout_seconds
    assert queue["SqsManagedSseEnabled"] == "true"
    dead_letter = _attributes(aws, _url(aws, outputs[f"{title}DeadLetterQueueArn"]))
    assert "RedrivePolicy" not in dead_letter
    assert int(dead_letter["MessageRetentionPeriod"]) == 14 * 24 * 3600


def test_the_publishers_dead_letter_queue(aws, outputs, config):
    arn = outputs["PublisherDeadLetterQueueArn"]
    assert arn.endswith(f":{config.prefix}-publisher-dlq")
    assert _attributes(aws, _url(aws, arn))["SqsManagedSseEnabled"] == "true"


@pytest.mark.parametrize("title", QUEUES)
def test_each_queue_feeds_its_consumer_reporting_batch_item_failures(aws, outputs, config, title):
    queue_arn = _attributes(aws, outputs[f"{title}QueueUrl"])["QueueArn"]
    [mapping] = aws("lambda").list_event_source_mappings(EventSourceArn=queue_arn)[
        "EventSourceMappings"
    ]
    assert mapping["FunctionArn"] == _function_arn(aws, config, QUEUES[title])
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BatchSize"] == config.events.batch_size


def test_the_tables_streams_feed_the_publisher(aws, outputs, config):
    publisher = _function_arn(aws, config, manifest.PUBLISHER)
    for title in ("Orders", "Products"):
        table = aws("dynamodb").describe_table(TableName=outputs[f"{title}TableName"])["Table"]
        assert table["StreamSpecification"] == {
            "StreamEnabled": True,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
        [mapping] = aws("lambda").list_event_source_mappings(
            EventSourceArn=table["LatestStreamArn"]
        )["EventSourceMappings"]
        assert mapping["FunctionArn"] == publisher
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BisectBatchOnFunctionError"] is True
        assert (
            mapping["DestinationConfig"]["OnFailure"]["Destination"]
            == (outputs["PublisherDeadLetterQueueArn"])
        )


def test_rules_deliver_to_the_notifications_and_low_stock_queues(aws, outputs, config):
    events = aws("events")
    rules = _stack_rules(aws, outputs, config)
    targets = {
        rule["Name"]: [
            t["Arn"]
            for t in events.list_targets_by_rule(
                Rule=rule["Name"], EventBusName=outputs["EventBusName"]
            )["Targets"]
        ]
        for rule in rules
    }
    queue_arns = {
        title: _attributes(aws, outputs[f"{title}QueueUrl"])["QueueArn"] for title in QUEUES
    }
    delivered = sorted(arn for arns in targets.values() for arn in arns)
    assert delivered == sorted(
        [queue_arns["Notifications"], queue_arns["Notifications"], queue_arns["LowStock"]]
    )
    for rule in rules:
        assert json.loads(rule["EventPattern"])["source"] == ["store"]


def test_every_rule_retries_as_configured_then_dead_letters(aws, outputs, config):
    events, bus = aws("events"), outputs["EventBusName"]
    retry = {
        "MaximumRetryAttempts": config.events.delivery_retry_attempts,
        "MaximumEventAgeInSeconds": config.events.delivery_max_event_age_seconds,
    }
    rules = _stack_rules(aws, outputs, config)
    assert len(rules) == 3
    for rule in rules:
        (target,) = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus)["Targets"]
        assert target["DeadLetterConfig"] == {"Arn": outputs["EventsDeadLetterQueueArn"]}
        assert target["RetryPolicy"] == retry
    # The bus's dead-letter queue admits the rules, and nothing else.
    policy = json.loads(_attributes(aws, _url(aws, outputs["EventsDeadLetterQueueArn"]))["Policy"])
    (grant,) = policy["Statement"]
    assert grant["Principal"] == {"Service": "events.amazonaws.com"}
    assert sorted(_as_list(grant["Condition"]["ArnEquals"]["aws:SourceArn"])) == sorted(
        rule["Arn"] for rule in rules
    )


def test_the_expiry_schedule_sends_to_the_expiry_queue_and_dead_letters(aws, outputs, config):
    schedule = aws("scheduler").get_schedule(Name=f"{config.prefix}-expire-orders")
    assert schedule["ScheduleExpression"] == rate(config.events.expiry_rate_minutes)
    assert schedule["State"] == "ENABLED"
    expiry_arn = _attributes(aws, outputs["ExpiryQueueUrl"])["QueueArn"]
    assert schedule["Target"]["Arn"] == expiry_arn
    role = schedule["Target"]["RoleArn"].rsplit("/", 1)[-1]
    statements = _inline_policy(aws, f"role/{role}")
    # It dead-letters a firing as this role: it may send there too.
    dead_letter = outputs["ScheduleDeadLetterQueueArn"]
    assert [(s["Action"], s["Resource"]) for s in statements] == [
        (["sqs:SendMessage"], [expiry_arn, dead_letter])
    ]
    assert schedule["Target"]["DeadLetterConfig"] == {"Arn": dead_letter}
    assert schedule["Target"]["RetryPolicy"] == {
        "MaximumRetryAttempts": config.events.delivery_retry_attempts,
        "MaximumEventAgeInSeconds": config.events.delivery_max_event_age_seconds,
    }


@pytest.mark.parametrize("title", QUEUES)
def test_a_consumer_reads_its_own_queue_only(aws, outputs, config, title):
    spec = QUEUES[title]
    role = aws("lambda").get_function_configuration(FunctionName=f"{config.prefix}-{spec.name}")[
        "Role"
    ]
    read = {
        resource
        for statement in _inline_policy(aws, role)
        if set(_as_list(statement["Action"])) & set(QUEUE_ACTIONS)
        for resource in _as_list(statement["Resource"])
    }
    assert read == {_attributes(aws, outputs[f"{title}QueueUrl"])["QueueArn"]}


def test_the_low_stock_topic_and_the_sender_identity(aws, outputs, config):
    topic = aws("sns").get_topic_attributes(TopicArn=outputs["LowStockTopicArn"])["Attributes"]
    assert topic.get("KmsMasterKeyId"), "the low-stock topic is encrypted"
    identity = aws("sesv2").get_email_identity(EmailIdentity=config.events.sender_address)
    assert identity["IdentityType"] == "EMAIL_ADDRESS"
