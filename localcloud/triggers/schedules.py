"""EventBridge Scheduler's schedules, fired on the local clock (``localcloud.emulator.clock``).

A ``rate(N unit)`` schedule fires every period counted from its start date (or its creation),
an ``at(...)`` one once at its time (in its time zone), both within their start and end dates.
The time is the local clock's, so ``clock advance`` past a firing time fires the schedule at the
next tick, once, however many periods it skipped (as a scheduler that was down would: AWS never
skips time, the local clock does). ``cron(...)`` schedules are not fired locally; the log says
so once. The target (an SQS queue) gets the schedule's input, sent as the schedule's role
(``schedule_sender``), which the emulator checks as AWS does (the role must trust
``scheduler.amazonaws.com``).

A firing that fails is kept and retried as EventBridge Scheduler retries it, per the target's
retry policy (``MaximumRetryAttempts`` retries, while the firing is younger than
``MaximumEventAgeInSeconds`` on the local clock). The scheduler backs off exponentially; here the
n-th retry comes ``LOCALCLOUD_EVENTS_RETRY_BASE_S`` (default 1 s) times 2^(n-1) later, at most
60 s, without jitter. Exhausted, it goes to the schedule's dead-letter queue (``dead_letter``),
or is dropped with a log line when the schedule has none. Retries live in the triggers' memory:
a restart of the local cloud drops them.
"""

from __future__ import annotations

import math
import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from localcloud.base.errors import described
from localcloud.triggers.sources import Schedule

_RATE = re.compile(r"rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)")
_AT = re.compile(r"at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)")
_PERIOD_S = {"minute": 60, "hour": 3600, "day": 86400}
BASE_ENV = "LOCALCLOUD_EVENTS_RETRY_BASE_S"
"""The first retry's wait in seconds (the emulator's EventBridge retries read it too)."""
MAX_BACKOFF_S = 60.0


def period_s(expression: str) -> float | None:
    """The period of a ``rate(...)`` expression in seconds (None: not a rate)."""
    found = _RATE.fullmatch(expression.strip())
    if not found:
        return None
    return int(found.group(1)) * _PERIOD_S[found.group(2).rstrip("s")]


def at_time(expression: str, zone: str = "UTC") -> float | None:
    """The time of an ``at(...)`` expression in seconds since the epoch (None: not one)."""
    found = _AT.fullmatch(expression.strip())
    if not found:
        return None
    moment = datetime.fromisoformat(found.group(1)).replace(tzinfo=ZoneInfo(zone or "UTC"))
    return moment.timestamp()


def _fired_locally(expression: str) -> bool:
    return period_s(expression) is not None or at_time(expression) is not None


def next_firing(schedule: Schedule, after: float) -> float | None:
    """The first firing time of ``schedule`` strictly after ``after`` (None: never again)."""
    anchor = schedule.start if schedule.start is not None else schedule.created
    period = period_s(schedule.expression)
    if period is not None:
        count = max(math.floor((after - anchor) / period) + 1, 1)
        moment = anchor + count * period
    else:
        moment = at_time(schedule.expression, schedule.zone)
        if moment is None or moment <= after:
            return None
    if schedule.end is not None and moment > schedule.end:
        return None
    return moment


@dataclass
class Firing:  # pylint: disable=too-many-instance-attributes
    """One firing of a schedule, until it is delivered or given up."""

    key: str
    schedule: Schedule
    at: float
    """When it was first tried, on the local clock (its age counts from there)."""
    attempts: int = 0
    retry_at: float = 0.0
    """When to try again (``time.monotonic``)."""
    error: str = ""
    code: str = ""
    execution_id: str = field(default_factory=lambda: str(uuid.uuid4()))


def backoff_s(attempts: int, base_s: float) -> float:
    """How long after its ``attempts``-th failed try a firing is tried again."""
    return min(base_s * 2 ** (attempts - 1), MAX_BACKOFF_S)


class ScheduleFirer:  # pylint: disable=too-many-instance-attributes
    """Fires ``schedules`` at their times on the local clock (``now()``); ``send(schedule)``
    delivers one firing (raising when it fails); ``dead_letter(firing, exhausted)`` sends a
    given-up firing to its schedule's dead-letter queue; ``log``: a JSON-line writer."""

    def __init__(  # pylint: disable=too-many-arguments
        self,
        now: Callable[[], float],
        send: Callable[[Schedule], None],
        log,
        dead_letter: Callable[[Firing, str], None] | None = None,
        *,
        base_s: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.now = now
        self.send = send
        self.log = log
        self.dead_letter = dead_letter
        self.base_s = base_s if base_s is not None else float(os.environ.get(BASE_ENV) or 1.0)
        self.monotonic = monotonic
        self.due: dict[str, tuple[Schedule, float | None]] = {}
        self.pending: list[Firing] = []
        """Firings that failed and wait for a retry."""
        self._said: set[str] = set()

    def update(self, schedules: list[Schedule]) -> None:
        """Take the deployed ``schedules`` (a changed one is counted again from now)."""
        now = self.now()
        kept = {}
        for schedule in schedules:
            key = f"{schedule.group}/{schedule.name}"
            known = self.due.get(key)
            if known is not None and known[0] == schedule:
                kept[key] = known
                continue
            if not _fired_locally(schedule.expression):
                self._say_once(key, f"{schedule.expression} is not fired locally (rate, at only)")
                continue
            kept[key] = (schedule, next_firing(schedule, now))
        self.due = kept

    def _say_once(self, key: str, reason: str) -> None:
        if key not in self._said:
            self._said.add(key)
            self.log({"event": "schedule-not-fired", "schedule": key, "reason": reason})

    def fire_due(self) -> list[str]:
        """Fire each schedule whose time has come (once), and retry each failed firing whose
        wait is over; the keys delivered."""
        now = self.now()
        for key, (schedule, moment) in list(self.due.items()):
            if moment is None or moment > now:
                continue
            # The next firing is counted at once: this one is kept in ``pending`` until it is
            # delivered or given up, so a failure loses nothing. Its age counts from now, when it
            # is first tried: after a jump of the clock its time may be long past, and a
            # scheduler that never skips time would have tried it then.
            self.due[key] = (schedule, next_firing(schedule, now))
            self.pending.append(Firing(key, schedule, now))
        delivered = []
        for firing in list(self.pending):
            if firing.retry_at <= self.monotonic() and self._try(firing):
                delivered.append(firing.key)
        return delivered

    def _try(self, firing: Firing) -> bool:
        """One try of ``firing``: whether it was delivered (a failure is retried or given up)."""
        schedule = firing.schedule
        if firing.attempts and self.now() - firing.at >= schedule.max_age_s:
            self._give_up(firing, "MaximumEventAgeInSeconds")
            return False
        firing.attempts += 1
        try:
            self.send(schedule)
        except Exception as exc:  # pylint: disable=broad-exception-caught  # retried, then DLQ
            firing.error = str(exc)
            firing.code = (
                getattr(exc, "response", {}).get("Error", {}).get("Code", "") or type(exc).__name__
            )
            if firing.attempts - 1 >= schedule.retry_attempts:
                self._give_up(firing, "MaximumRetryAttempts")
                return False
            wait = backoff_s(firing.attempts, self.base_s)
            firing.retry_at = self.monotonic() + wait
            self.log(
                {
                    "event": "schedule-failed",
                    "schedule": firing.key,
                    "attempt": firing.attempts,
                    "retryInS": wait,
                    **described(exc),
                }
            )
            return False
        self.pending.remove(firing)
        self.log(
            {
                "event": "schedule-fired",
                "schedule": firing.key,
                "target": schedule.target_arn,
                "attempt": firing.attempts,
            }
        )
        return True

    def _give_up(self, firing: Firing, exhausted: str) -> None:
        self.pending.remove(firing)
        line = {
            "event": "schedule-given-up",
            "schedule": firing.key,
            "attempts": firing.attempts,
            "exhausted": exhausted,
            "error": firing.error,
        }
        if not firing.schedule.dead_letter_arn or self.dead_letter is None:
            self.log(line | {"deadLetter": None})
            return
        try:
            self.dead_letter(firing, exhausted)
        except Exception as exc:  # pylint: disable=broad-exception-caught  # said: it is lost
            self.log(line | {"deadLetter": firing.schedule.dead_letter_arn, "lost": str(exc)})
            return
        self.log(line | {"deadLetter": firing.schedule.dead_letter_arn})
