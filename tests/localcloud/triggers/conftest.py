"""Fixtures for the triggers' tests: the session's emulator, queues with a dead-letter queue, a
function to map them to, and a fake invoker that answers as the test scripts it."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Callable

import pytest

from localcloud.base import aws
from localcloud.lambdas.code_store import CodeStore
from localcloud.lambdas.invoke_errors import FunctionError
from localcloud.triggers.service import Triggers
from stacks.base.iam import assume_role_policy, policy_document, statement

REGION = aws.DEFAULT_REGION


def unique(prefix: str) -> str:
    """A name no other test of the session uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def package(code: str) -> bytes:
    """A deployment package whose ``app.py`` is ``code``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", code)
    return buffer.getvalue()


class AwsClients:  # pylint: disable=too-few-public-methods
    """The administrator's clients on the emulator."""

    def __init__(self, endpoint: str):
        session = aws.session(REGION)
        for name in ("sqs", "lambda", "iam", "dynamodb", "dynamodbstreams", "scheduler", "sts"):
            setattr(
                self, name.replace("lambda", "lambda_"), session.client(name, endpoint_url=endpoint)
            )
        self.endpoint = endpoint

    def queue(self, *, visibility_s: int = 1, max_receive: int = 2) -> dict:
        """A queue with a dead-letter queue: their URLs and ARNs."""
        name = unique("q")
        dlq_url = self.sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dlq_arn = self.arn(dlq_url)
        url = self.sqs.create_queue(
            QueueName=name,
            Attributes={
                "VisibilityTimeout": str(visibility_s),
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive)}
                ),
            },
        )["QueueUrl"]
        return {"url": url, "arn": self.arn(url), "dlq_url": dlq_url, "dlq_arn": dlq_arn}

    def arn(self, url: str) -> str:
        """The ARN of the queue at ``url``."""
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return attributes["Attributes"]["QueueArn"]

    def function(self, code: str = "def handler(event, context):\n    return None\n") -> dict:
        """A function (its role may write logs only): its name and ARN."""
        name = unique("fn")
        role = self.iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=assume_role_policy("lambda.amazonaws.com")
        )["Role"]["Arn"]
        self.iam.put_role_policy(
            RoleName=name,
            PolicyName="logs",
            PolicyDocument=policy_document(statement("logs:PutLogEvents", "*")),
        )
        code_zip = package(code)
        found = self.lambda_.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": code_zip},
            Timeout=5,
        )
        return {"name": name, "arn": found["FunctionArn"], "code": code_zip}

    def table(self) -> dict:
        """A table with a NEW_AND_OLD_IMAGES stream: its name and stream ARN."""
        name = unique("t")
        found = self.dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        return {"name": name, "stream_arn": found["TableDescription"]["LatestStreamArn"]}

    def visible(self, url: str) -> int:
        """ApproximateNumberOfMessages of the queue at ``url``."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


class FakeInvoker:
    """The functions, as the test scripts them: ``answer(event)`` returns the result or raises
    ``FunctionError``; every event is kept in ``events``."""

    def __init__(self, clients: AwsClients, answer: Callable[[dict], object] = lambda e: None):
        self.clients = clients
        self.answer = answer
        self.events: list[dict] = []

    def invoke(self, name: str, event: dict) -> object:
        """Keep ``event``, then answer it."""
        self.events.append(json.loads(json.dumps(event)))  # as it travels: JSON only
        return self.answer(event)

    def client(self, name: str, service: str):
        """The administrator's client (the fake function has no session of its own)."""
        return getattr(self.clients, service)


def failing(event: dict) -> object:
    """A handler that raises."""
    raise FunctionError("ValueError: poison")


@pytest.fixture(scope="session")
def clients(emulator) -> AwsClients:
    """The administrator's clients on the session's emulator."""
    return AwsClients(emulator.url)


@pytest.fixture
def triggers(emulator, tmp_path):
    """``Triggers`` on the session's emulator, not started (code looked up in ``tmp_path``)."""
    made = Triggers(emulator.url, REGION, CodeStore([tmp_path], tmp_path / "functions"))
    yield made
    made.close()
