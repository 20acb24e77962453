"""A schedule's firing sent as the schedule's role (which the queue's policy may deny), retried
through a refusal, and dead-lettered with the scheduler's attributes, on the session's emulator."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from localcloud.triggers.schedules import ScheduleFirer
from stacks.base.iam import assume_role_policy, policy_document, statement
from tests.localcloud.triggers.conftest import unique
from tests.localcloud.triggers.test_schedules import T0, Clock, schedule


def _role(clients, service: str, queue_arn: str) -> str:
    name = unique("sched")
    arn = clients.iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=assume_role_policy(service)
    )["Role"]["Arn"]
    clients.iam.put_role_policy(
        RoleName=name,
        PolicyName="send",
        PolicyDocument=policy_document(statement("sqs:SendMessage", queue_arn)),
    )
    return arn


def test_a_firing_sends_the_input_to_the_queue_as_the_schedules_role(clients, triggers):
    queue = clients.queue(visibility_s=30)
    role = _role(clients, "scheduler.amazonaws.com", queue["arn"])
    triggers.sender.send(schedule(target_arn=queue["arn"], role_arn=role, payload='{"run": 1}'))
    got = clients.sqs.receive_message(QueueUrl=queue["url"])["Messages"]
    assert json.loads(got[0]["Body"]) == {"run": 1}


def test_a_role_the_scheduler_may_not_assume_sends_nothing(clients, triggers):
    queue = clients.queue(visibility_s=30)
    role = _role(clients, "lambda.amazonaws.com", queue["arn"])
    with pytest.raises(ClientError, match="AccessDenied"):
        triggers.sender.send(schedule(target_arn=queue["arn"], role_arn=role))
    assert clients.visible(queue["url"]) == 0


def test_a_queue_policy_that_denies_the_role_refuses_the_firing(clients, triggers):
    queue = clients.queue(visibility_s=30)
    role = _role(clients, "scheduler.amazonaws.com", queue["arn"])
    deny = {"Effect": "Deny", "Principal": {"AWS": role}, "Action": "sqs:*", "Resource": "*"}
    clients.sqs.set_queue_attributes(
        QueueUrl=queue["url"],
        Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [deny]})},
    )
    with pytest.raises(ClientError, match="explicit deny"):
        triggers.sender.send(schedule(target_arn=queue["arn"], role_arn=role))
    assert clients.visible(queue["url"]) == 0


def test_a_throttled_firing_is_retried_and_delivered_on_the_emulator(clients, triggers, faults):
    queue = clients.queue(visibility_s=30)
    role = _role(clients, "scheduler.amazonaws.com", queue["arn"])
    clock, lines = Clock(), []
    firer = ScheduleFirer(clock, triggers.sender.send, lines.append, base_s=0.0)
    firer.update([schedule(target_arn=queue["arn"], role_arn=role, payload='{"run": 2}')])
    # KmsThrottled: an error of SendMessage the SDK does not retry by itself.
    faults.add("sqs", "SendMessage", error="KmsThrottled", count=1)
    clock.now = T0 + 300
    assert firer.fire_due() == []
    assert "KmsThrottled" in lines[-1]["error"]
    assert firer.fire_due() == ["default/expire"]
    got = clients.sqs.receive_message(QueueUrl=queue["url"])["Messages"]
    assert json.loads(got[0]["Body"]) == {"run": 2}


def test_a_given_up_firing_reaches_the_dead_letter_queue_with_the_schedulers_attributes(
    clients, triggers
):
    queue = clients.queue(visibility_s=30)
    role = _role(clients, "scheduler.amazonaws.com", queue["dlq_arn"])  # not the target
    dead = schedule(
        target_arn=queue["arn"],
        role_arn=role,
        payload='{"run": 3}',
        arn="arn:aws:scheduler:us-east-1:123456789012:schedule/default/expire",
        retry_attempts=0,
        dead_letter_arn=queue["dlq_arn"],
    )
    clock, lines = Clock(), []
    firer = ScheduleFirer(clock, triggers.sender.send, lines.append, triggers.sender.dead_letter)
    firer.update([dead])
    clock.now = T0 + 300
    assert firer.fire_due() == []
    assert lines[-1]["deadLetter"] == queue["dlq_arn"] and "lost" not in lines[-1]
    [got] = clients.sqs.receive_message(QueueUrl=queue["dlq_url"], MessageAttributeNames=["All"])[
        "Messages"
    ]
    attributes = {k: v["StringValue"] for k, v in got["MessageAttributes"].items()}
    assert json.loads(got["Body"]) == {"run": 3}
    assert attributes["ERROR_CODE"].startswith("AccessDenied")  # the code SQS's refusal had
    assert "is not authorized to perform: sqs:SendMessage" in attributes["ERROR_MESSAGE"]
    assert attributes["SCHEDULE_ARN"] == dead.arn
    assert attributes["TARGET_ARN"] == queue["arn"]
    assert attributes["RETRY_ATTEMPTS"] == "0"
    assert attributes["EXECUTION_ID"]
