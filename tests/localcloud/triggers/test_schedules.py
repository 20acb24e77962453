"""Schedules fired on the local clock: when, how often after a jump, and sent as their role."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from localcloud.triggers.schedules import ScheduleFirer, at_time, next_firing, period_s
from localcloud.triggers.sources import Schedule
from stacks.base.iam import assume_role_policy, policy_document, statement
from tests.localcloud.triggers.conftest import unique

T0 = 1_800_000_000.0


def schedule(expression: str = "rate(5 minutes)", **fields) -> Schedule:
    """A schedule created at T0 (fields: Schedule's)."""
    values = {
        "name": "expire",
        "group": "default",
        "expression": expression,
        "target_arn": "arn:aws:sqs:us-east-1:123456789012:q",
        "role_arn": "arn:aws:iam::123456789012:role/r",
        "payload": "{}",
        "created": T0,
    }
    values.update(fields)
    return Schedule(**values)


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(5 minutes)", 300),
        ("rate(1 minute)", 60),
        ("rate(2 hours)", 7200),
        ("rate(1 day)", 86400),
        ("rate(5 weeks)", None),
        ("cron(0 * * * ? *)", None),
    ],
)
def test_a_rate_has_its_period(expression, seconds):
    assert period_s(expression) == seconds


def test_at_reads_its_time_in_its_zone():
    utc = at_time("at(2027-01-01T00:00:00)")
    assert utc == 1798761600.0
    assert at_time("at(2027-01-01T00:00:00)", "Europe/Paris") == utc - 3600
    assert at_time("rate(5 minutes)") is None


def test_a_rate_fires_every_period_from_its_creation_or_start():
    assert next_firing(schedule(), T0) == T0 + 300
    assert next_firing(schedule(), T0 + 299) == T0 + 300
    assert next_firing(schedule(), T0 + 300) == T0 + 600
    assert next_firing(schedule(), T0 + 10_000) == T0 + 10_200
    assert next_firing(schedule(start=T0 + 50), T0) == T0 + 350
    assert next_firing(schedule(end=T0 + 500), T0 + 300) is None


def test_at_fires_once():
    moment = at_time("at(2027-01-01T00:00:00)")
    once = schedule("at(2027-01-01T00:00:00)")
    assert next_firing(once, moment - 1) == moment
    assert next_firing(once, moment) is None


class Clock:  # pylint: disable=too-few-public-methods
    """A clock the test moves."""

    def __init__(self):
        self.now = T0

    def __call__(self) -> float:
        return self.now


def test_an_advance_past_firing_times_fires_once_and_then_on_the_period():
    clock, sent, lines = Clock(), [], []
    firer = ScheduleFirer(clock, sent.append, lines.append)
    firer.update([schedule()])
    clock.now = T0 + 100
    assert firer.fire_due() == []
    clock.now = T0 + 86_400  # a day ahead: 288 periods skipped, one firing
    assert firer.fire_due() == ["default/expire"]
    assert firer.fire_due() == []
    clock.now += 300
    assert firer.fire_due() == ["default/expire"]
    assert len(sent) == 2 and lines[-1]["event"] == "schedule-fired"


def test_cron_is_said_once_and_a_failed_send_is_logged():
    clock, lines = Clock(), []

    def refuse(_):
        raise RuntimeError("AccessDenied")

    firer = ScheduleFirer(clock, refuse, lines.append)
    firer.update([schedule("cron(0 * * * ? *)", name="hourly"), schedule()])
    firer.update([schedule("cron(0 * * * ? *)", name="hourly"), schedule()])
    assert [line["schedule"] for line in lines] == ["default/hourly"]
    clock.now = T0 + 300
    assert firer.fire_due() == []
    assert lines[-1] == {
        "event": "schedule-failed",
        "schedule": "default/expire",
        "errorType": "RuntimeError",
        "error": "AccessDenied",
    }


def test_a_changed_schedule_counts_from_now():
    clock = Clock()
    firer = ScheduleFirer(clock, lambda _: None, lambda _: None)
    firer.update([schedule()])
    clock.now = T0 + 250
    firer.update([schedule("rate(1 minute)")])
    assert firer.due["default/expire"][1] == T0 + 300  # the next minute from its creation


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
    triggers.send(schedule(target_arn=queue["arn"], role_arn=role, payload='{"run": 1}'))
    got = clients.sqs.receive_message(QueueUrl=queue["url"])["Messages"]
    assert json.loads(got[0]["Body"]) == {"run": 1}


def test_a_role_the_scheduler_may_not_assume_sends_nothing(clients, triggers):
    queue = clients.queue(visibility_s=30)
    role = _role(clients, "lambda.amazonaws.com", queue["arn"])
    with pytest.raises(ClientError, match="AccessDenied"):
        triggers.send(schedule(target_arn=queue["arn"], role_arn=role))
    assert clients.visible(queue["url"]) == 0
