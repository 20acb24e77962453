"""What feeds the event functions: every mapping reports batch item failures; the streams; each
consumer reads its own queue only."""

import json

from handlers.store.spec import manifest
from stacks.store.events import QUEUE_OF, STREAMED_TABLES
from stacks.store.functions import STREAM_LISTING
from tests.stacks.store.test_events import reference

QUEUE_ACTIONS = sorted(manifest.CONSUME_OWN_QUEUE.actions)
STREAM_ACTIONS = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]


def mappings(env) -> list[dict]:
    return list(env.resources("aws_lambda_event_source_mapping").values())


def test_every_mapping_reports_batch_item_failures_with_the_configured_batch(env):
    events = env.config.events
    # The orders and products streams, and the three queues.
    assert len(mappings(env)) == 5
    for mapping in mappings(env):
        assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
        assert mapping["batch_size"] == events.batch_size
        assert mapping["maximum_batching_window_in_seconds"] == events.batch_window_seconds


def test_each_queue_feeds_its_own_function(env):
    prefix = env.config.prefix
    by_source = {m["event_source_arn"]: m["function_name"] for m in mappings(env)}
    for spec in manifest.EVENTS:
        if spec.name in QUEUE_OF:
            queue = reference(env, "aws_sqs_queue", f"{prefix}-{QUEUE_OF[spec.name]}")
            function = [
                k
                for k, f in env.resources("aws_lambda_function").items()
                if f["function_name"] == f"{prefix}-{spec.name}"
            ]
            assert by_source[queue] == f"${{aws_lambda_function.{function[0]}.arn}}"


def test_streams_feed_the_publisher_with_bisect_retries_and_a_dead_letter_queue(env):
    prefix = env.config.prefix
    streams = [m for m in mappings(env) if "stream_arn" in m["event_source_arn"]]
    tables = {k: t for k, t in env.resources("aws_dynamodb_table").items()}
    streamed = {k for k, t in tables.items() if t.get("stream_enabled")}
    assert {tables[k]["name"] for k in streamed} == {f"{prefix}-orders", f"{prefix}-products"}
    for key in streamed:
        assert tables[key]["stream_view_type"] == "NEW_AND_OLD_IMAGES"
    assert sorted(m["event_source_arn"] for m in streams) == sorted(
        f"${{aws_dynamodb_table.{k}.stream_arn}}" for k in streamed
    )
    dlq = reference(env, "aws_sqs_queue", f"{prefix}-publisher-dlq")
    [publisher] = [
        f"${{aws_lambda_function.{k}.arn}}"
        for k, f in env.resources("aws_lambda_function").items()
        if f["function_name"] == f"{prefix}-publisher"
    ]
    for mapping in streams:
        assert mapping["function_name"] == publisher
        assert mapping["starting_position"] == "LATEST"
        assert mapping["bisect_batch_on_function_error"] is True
        assert mapping["maximum_retry_attempts"] == env.config.events.max_receive_count
        assert mapping["destination_config"] == {"on_failure": {"destination_arn": dlq}}


def policy(env, name: str) -> list[dict]:
    return json.loads(env.one("aws_iam_role_policy", f"functions_{name}-policy")["policy"])[
        "Statement"
    ]


def test_a_consumer_reads_its_own_queue_only(env):
    prefix = env.config.prefix
    for spec in manifest.ALL:
        sqs = [s for s in policy(env, spec.name) if any(a.startswith("sqs:") for a in s["Action"])]
        reads = [s for s in sqs if s["Action"] == QUEUE_ACTIONS]
        if spec.name in QUEUE_OF:
            [read] = reads
            assert read["Resource"] == [
                reference(env, "aws_sqs_queue", f"{prefix}-{QUEUE_OF[spec.name]}")
            ]
        else:
            assert reads == []
        sends = [s["Resource"] for s in sqs if s not in reads]
        # Only the publisher sends, to its streams' dead-letter queue (Lambda does, as its role).
        expected = [reference(env, "aws_sqs_queue", f"{prefix}-publisher-dlq")]
        assert sends == ([expected] if spec is manifest.PUBLISHER else [])


def test_only_the_publisher_reads_streams_and_only_its_tables(env):
    for spec in manifest.ALL:
        statements = policy(env, spec.name)
        stream_reads = [s for s in statements if s["Action"] == STREAM_ACTIONS]
        listing = [s for s in statements if s["Action"] == STREAM_LISTING]
        if spec is manifest.PUBLISHER:
            [read] = stream_reads
            assert read["Resource"] == [
                reference(env, "aws_dynamodb_table", f"{env.config.prefix}-{t.name}", "stream_arn")
                for t in STREAMED_TABLES
            ]
            assert [s["Resource"] for s in listing] == ["*"]
        else:
            assert stream_reads == listing == []


def test_event_functions_act_on_their_own_resources_only(env):
    prefix = env.config.prefix
    [identity] = env.resources("aws_sesv2_email_identity")
    expected = {
        "publisher": {
            "events:PutEvents": reference(env, "aws_cloudwatch_event_bus", f"{prefix}-events")
        },
        "notifier": {"ses:SendEmail": f"${{aws_sesv2_email_identity.{identity}.arn}}"},
        "stock-alerts": {"sns:Publish": reference(env, "aws_sns_topic", f"{prefix}-low-stock")},
    }
    for spec in manifest.ALL:
        actions = {
            a: s["Resource"]
            for s in policy(env, spec.name)
            for a in s["Action"]
            if a.split(":")[0] in ("events", "ses", "sns")
        }
        wanted = expected.get(spec.name, {})
        assert set(actions) == set(wanted)
        for action, resource in wanted.items():
            assert actions[action] == [resource]
