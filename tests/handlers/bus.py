"""The events' plumbing in moto, for the handler tests of the publisher and the consumers.

``Bus.create()`` (inside ``mock_aws``, the tables made) turns on the orders and products tables'
streams, makes the event bus with a rule delivering every ``store`` event to a tap queue, the
sender's verified SES identity and the low-stock topic with a queue subscribed. The Lambda events
it builds are shaped as Lambda passes them (DynamoDB stream records, SQS messages).
"""

import functools
import json
import os
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import boto3
from jsonschema import Draft7Validator
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from store.spec import settings

REGION = "us-east-1"
SCHEMA = Draft7Validator(
    json.loads(
        (Path(__file__).parents[2] / "contract" / "events.schema.json").read_text(encoding="utf-8")
    )
)


@functools.cache
def client(service: str, endpoint_url: str | None = None) -> Any:
    """The tests' one boto3 client of ``service`` (at ``endpoint_url``) for the whole run.

    A client keeps nothing of moto's state (moto intercepts every client through botocore's
    built-in handlers), and making one costs milliseconds of botocore's model work each time.
    """
    return boto3.client(service, endpoint_url=endpoint_url)


class Bus:
    """The bus, its tap, the streams' positions, the mail SES kept and the topic's messages."""

    def __init__(self, tap_url: str, alerts_url: str, table_names: dict[str, str]):
        self.table_names = table_names
        self.tap_url = tap_url
        self.alerts_url = alerts_url
        self.iterators: dict[str, str] = {}
        self.sqs = client("sqs")

    @classmethod
    def create(cls, table_names: dict[str, str]) -> "Bus":
        """Streams, bus, rule, tap queue, SES identity, topic (see the module docstring)."""
        dynamodb, sqs = client("dynamodb"), client("sqs")
        for name in ("orders", "products"):
            dynamodb.update_table(
                TableName=table_names[name],
                StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            )
        events = client("events")
        events.create_event_bus(Name=os.environ[settings.EVENT_BUS_NAME])
        tap_url = sqs.create_queue(QueueName="tap")["QueueUrl"]
        events.put_rule(
            Name="tap",
            EventBusName=os.environ[settings.EVENT_BUS_NAME],
            EventPattern=json.dumps({"source": ["store"]}),
        )
        events.put_targets(
            Rule="tap",
            EventBusName=os.environ[settings.EVENT_BUS_NAME],
            Targets=[{"Id": "tap", "Arn": _arn(sqs, tap_url)}],
        )
        client("sesv2").create_email_identity(EmailIdentity=os.environ[settings.SENDER_ADDRESS])
        sns = client("sns")
        topic = sns.create_topic(Name="low-stock")["TopicArn"]
        os.environ[settings.LOW_STOCK_TOPIC_ARN] = topic
        alerts_url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=_arn(sqs, alerts_url),
            Attributes={"RawMessageDelivery": "true"},
        )
        bus = cls(tap_url, alerts_url, table_names)
        bus.stream_event("orders")  # start both streams after their (empty) beginning
        bus.stream_event("products")
        return bus

    def stream_event(self, table: str) -> dict[str, Any]:
        """The table's stream records since the last call, as Lambda's event for a mapping."""
        # botocore sends calls naming a stream to the account's endpoint
        # (<account>.streams-ddb.<region>), which moto's in-process mock does not route.
        streams = client(
            "dynamodbstreams", endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
        )
        if table not in self.iterators:
            arn = client("dynamodb").describe_table(TableName=self.table_names[table])["Table"][
                "LatestStreamArn"
            ]
            shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
            self.iterators[table] = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            self.iterators[table + ":arn"] = arn
        response = streams.get_records(ShardIterator=self.iterators[table])
        self.iterators[table] = response["NextShardIterator"]
        records = []
        for record in response["Records"]:
            data = dict(record["dynamodb"])
            # Lambda passes epoch seconds; boto3 parsed the emulator's into a datetime.
            data["ApproximateCreationDateTime"] = data["ApproximateCreationDateTime"].timestamp()
            records.append(
                {**record, "dynamodb": data, "eventSourceARN": self.iterators[table + ":arn"]}
            )
        return {"Records": records}

    def published(self) -> list[dict[str, Any]]:
        """The events the bus delivered to the tap since the last call, oldest first, each one
        checked against the contract's schema (contract/events.schema.json)."""
        events = [json.loads(body) for body in self._drain(self.tap_url)]
        for event in events:
            SCHEMA.validate(event)
        return events

    def alerts(self) -> list[dict[str, Any]]:
        """The messages published on the low-stock topic since the last call."""
        return [json.loads(body) for body in self._drain(self.alerts_url)]

    def _drain(self, url: str) -> list[str]:
        bodies = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                return bodies
            for message in messages:
                bodies.append(message["Body"])
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    @staticmethod
    def mails() -> list[Any]:
        """Every mail SES sent (moto keeps them), oldest first."""
        return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def sqs_event(bodies: Iterable[str | dict[str, Any]]) -> dict[str, Any]:
    """An SQS batch as Lambda passes it to a mapping's function (dict bodies JSON-encoded)."""
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": str(uuid.uuid4()),
                "body": body if isinstance(body, str) else json.dumps(body),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{DEFAULT_ACCOUNT_ID}:queue",
                "awsRegion": REGION,
            }
            for body in bodies
        ]
    }


def _arn(sqs: Any, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
