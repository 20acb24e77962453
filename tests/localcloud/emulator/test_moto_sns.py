"""SNS's Publish on the emulator refuses the subjects and sizes SNS's reference refuses, as SNS
answers (InvalidParameter, 400), and publishes nothing then."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from localcloud.base import aws as localcloud_aws
from tests.localcloud.conftest import REGION


@pytest.fixture(scope="module")
def topic(emulator):
    """A topic with a queue subscribed (raw delivery): what it publishes lands there."""
    session = localcloud_aws.session(REGION)
    sns = session.client("sns", endpoint_url=emulator.url)
    sqs = session.client("sqs", endpoint_url=emulator.url)
    arn = sns.create_topic(Name=f"t-{uuid.uuid4().hex[:8]}")["TopicArn"]
    url = sqs.create_queue(QueueName=f"sub-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    sns.subscribe(
        TopicArn=arn,
        Protocol="sqs",
        Endpoint=queue_arn["Attributes"]["QueueArn"],
        Attributes={"RawMessageDelivery": "true"},
    )
    return {"sns": sns, "sqs": sqs, "arn": arn, "url": url}


def _drain(topic, timeout: float = 0.5) -> list[str]:
    bodies, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = topic["sqs"].receive_message(QueueUrl=topic["url"], MaxNumberOfMessages=10)
        for message in found.get("Messages", []):
            bodies.append(message["Body"])
            topic["sqs"].delete_message(
                QueueUrl=topic["url"], ReceiptHandle=message["ReceiptHandle"]
            )
        time.sleep(0.05)
    return bodies


@pytest.mark.parametrize(
    "subject",
    [
        "x" * 100,  # "less than 100 characters"
        "Low stock: " + "A" * 200,
        "Low stock: bad\nname",
        "Low stock: tab\there",
        "Low stock: bell\x07",
        "Low stock: café",  # not ASCII
        " leading space",
        "",
    ],
)
def test_a_subject_sns_refuses_is_invalid_parameter_and_nothing_is_published(topic, subject):
    with pytest.raises(ClientError) as refused:
        topic["sns"].publish(TopicArn=topic["arn"], Subject=subject, Message="m")
    error = refused.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "InvalidParameter"
    assert error["Error"]["Message"] == "Invalid parameter: Subject"
    assert _drain(topic) == []


@pytest.mark.parametrize("subject", ["x" * 99, "Low stock: Lamp (blue), 40% off!", "[x] ok ~"])
def test_a_subject_sns_takes_is_published(topic, subject):
    topic["sns"].publish(TopicArn=topic["arn"], Subject=subject, Message=json.dumps({"s": 1}))
    deadline = time.monotonic() + 10
    bodies: list[str] = []
    while not bodies and time.monotonic() < deadline:
        bodies = _drain(topic, 0.2)
    assert bodies == ['{"s": 1}']


def test_the_size_counts_bytes_and_attributes(topic):
    euro = "€" * (262_144 // 3)  # 3 bytes each: 262,143 bytes, 87,381 characters
    topic["sns"].publish(TopicArn=topic["arn"], Message=euro)
    with pytest.raises(ClientError) as refused:
        topic["sns"].publish(
            TopicArn=topic["arn"],
            Message=euro,
            MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}},
        )
    assert refused.value.response["Error"]["Message"] == "Invalid parameter: Message too long"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert len(_drain(topic, 2.0)) == 1
