"""EventBridge Scheduler's schedules, fired on the local clock (``localcloud.emulator.clock``).

A ``rate(N unit)`` schedule fires every period counted from its start date (or its creation),
an ``at(...)`` one once at its time (in its time zone), both within their start and end dates.
The time is the local clock's, so ``clock advance`` past a firing time fires the schedule at the
next tick, once, however many periods it skipped (as a scheduler that was down would: AWS never
skips time, the local clock does). ``cron(...)`` schedules are not fired locally; the log says
so once. The target (an SQS queue) gets the schedule's input, sent as the schedule's role, which
the emulator checks as AWS does (the role must trust ``scheduler.amazonaws.com``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from localcloud.base.errors import described
from localcloud.triggers.sources import Schedule

_RATE = re.compile(r"rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)")
_AT = re.compile(r"at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)")
_PERIOD_S = {"minute": 60, "hour": 3600, "day": 86400}


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


class ScheduleFirer:
    """Fires ``schedules`` at their times on the local clock (``now()``); ``send(schedule)``
    delivers one firing; ``log``: a JSON-line writer."""

    def __init__(self, now: Callable[[], float], send: Callable[[Schedule], None], log):
        self.now = now
        self.send = send
        self.log = log
        self.due: dict[str, tuple[Schedule, float | None]] = {}
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
        """Fire each schedule whose time has come (once); the keys fired."""
        now = self.now()
        fired = []
        for key, (schedule, moment) in list(self.due.items()):
            if moment is None or moment > now:
                continue
            self.due[key] = (schedule, next_firing(schedule, now))
            try:
                self.send(schedule)
            except Exception as exc:  # pylint: disable=broad-exception-caught  # said, then next
                self.log({"event": "schedule-failed", "schedule": key, **described(exc)})
                continue
            self.log({"event": "schedule-fired", "schedule": key, "target": schedule.target_arn})
            fired.append(key)
        return fired
