"""Schedules fired on the local clock: when, how often after a jump, retried per their retry
policy and dead-lettered (``schedule_sender``'s tests send them to the emulator)."""

from __future__ import annotations

import pytest

from localcloud.triggers.schedules import ScheduleFirer, at_time, next_firing, period_s
from localcloud.triggers.sources import Schedule

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


def test_cron_is_said_once_and_a_failed_send_is_logged_with_its_retry():
    clock, lines = Clock(), []

    def refuse(_):
        raise RuntimeError("AccessDenied")

    firer = ScheduleFirer(clock, refuse, lines.append, base_s=2.0)
    firer.update([schedule("cron(0 * * * ? *)", name="hourly"), schedule()])
    firer.update([schedule("cron(0 * * * ? *)", name="hourly"), schedule()])
    assert [line["schedule"] for line in lines] == ["default/hourly"]
    clock.now = T0 + 300
    assert firer.fire_due() == []
    assert lines[-1] == {
        "event": "schedule-failed",
        "schedule": "default/expire",
        "attempt": 1,
        "retryInS": 2.0,
        "errorType": "RuntimeError",
        "error": "AccessDenied",
    }


class Flaky:
    """A send that fails its first ``failures`` calls, then delivers."""

    def __init__(self, failures: int):
        self.failures = failures
        self.calls: list[Schedule] = []

    def __call__(self, firing_of: Schedule) -> None:
        self.calls.append(firing_of)
        if len(self.calls) <= self.failures:
            raise RuntimeError("ThrottlingException")


class Ticks:  # pylint: disable=too-few-public-methods
    """A monotonic clock the test moves."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_firing_that_failed_once_is_delivered_at_its_retry():
    clock, ticks, send, lines = Clock(), Ticks(), Flaky(1), []
    firer = ScheduleFirer(clock, send, lines.append, base_s=1.0, monotonic=ticks)
    firer.update([schedule()])
    clock.now = T0 + 300
    assert firer.fire_due() == []  # failed: kept for its retry, 1 s later
    ticks.now = 0.5
    assert firer.fire_due() == [] and len(send.calls) == 1
    ticks.now = 1.0
    assert firer.fire_due() == ["default/expire"]
    assert lines[-1] == {
        "event": "schedule-fired",
        "schedule": "default/expire",
        "target": schedule().target_arn,
        "attempt": 2,
    }
    assert firer.pending == []
    clock.now = T0 + 600  # the next period fires on its own, once
    assert firer.fire_due() == ["default/expire"] and len(send.calls) == 3


def test_retries_back_off_and_exhausted_go_to_the_dead_letter_queue():
    clock, ticks, send, lines, dead = Clock(), Ticks(), Flaky(10), [], []
    firer = ScheduleFirer(
        clock,
        send,
        lines.append,
        lambda firing, exhausted: dead.append((firing.attempts, exhausted, firing.error)),
        base_s=1.0,
        monotonic=ticks,
    )
    firer.update([schedule(retry_attempts=2, dead_letter_arn="arn:aws:sqs:us-east-1:1:dlq")])
    clock.now = T0 + 300
    firer.fire_due()
    waits = [line["retryInS"] for line in lines if line["event"] == "schedule-failed"]
    for ticks.now in (1.0, 3.0):  # 1 s, then 2 s: the wait doubles
        firer.fire_due()
        waits = [line["retryInS"] for line in lines if line["event"] == "schedule-failed"]
    assert waits == [1.0, 2.0]
    assert dead == [(3, "MaximumRetryAttempts", "ThrottlingException")]
    assert lines[-1]["event"] == "schedule-given-up" and firer.pending == []


def test_a_firing_after_a_jump_of_the_clock_ages_from_its_first_try():
    clock, ticks, send, lines = Clock(), Ticks(), Flaky(1), []
    firer = ScheduleFirer(clock, send, lines.append, base_s=1.0, monotonic=ticks)
    firer.update([schedule(max_age_s=60.0)])
    clock.now = T0 + 86_400  # a day ahead: the firing's time is long past, its first try is now
    assert firer.fire_due() == []
    ticks.now = 1.0
    assert firer.fire_due() == ["default/expire"]


def test_a_firing_older_than_its_maximum_age_is_given_up_without_a_dead_letter_queue():
    clock, ticks, send, lines = Clock(), Ticks(), Flaky(10), []
    firer = ScheduleFirer(clock, send, lines.append, base_s=1.0, monotonic=ticks)
    firer.update([schedule(max_age_s=60.0)])
    clock.now = T0 + 300
    firer.fire_due()
    clock.now += 60  # python -m localcloud clock advance 1m
    ticks.now = 1.0
    firer.fire_due()
    assert len(send.calls) == 1
    assert lines[-1] == {
        "event": "schedule-given-up",
        "schedule": "default/expire",
        "attempts": 1,
        "exhausted": "MaximumEventAgeInSeconds",
        "error": "ThrottlingException",
        "deadLetter": None,
    }


def test_a_changed_schedule_counts_from_now():
    clock = Clock()
    firer = ScheduleFirer(clock, lambda _: None, lambda _: None)
    firer.update([schedule()])
    clock.now = T0 + 250
    firer.update([schedule("rate(1 minute)")])
    assert firer.due["default/expire"][1] == T0 + 300  # the next minute from its creation
