"""The emulator's SQS on the local clock (``localcloud.emulator.clock``): a received message
that no one deletes comes back once its visibility timeout has passed on that clock, so
``python -m localcloud clock advance`` by the timeout brings it back, as AWS would that much
later, and a poison message reaches its dead-letter queue after ``maxReceiveCount`` advances
instead of ``maxReceiveCount`` timeouts of real time.

moto 5.2.5's SQS reads "now" through two names only, ``unix_time`` and ``unix_time_millis``,
which ``moto.sqs.models`` imports from ``moto.core.utils``: a message's ``SentTimestamp``,
``ApproximateFirstReceiveTimestamp``, the end of its invisibility (``visible_at``) and of its
delay (``delayed_until``), the retention check, the deduplication window of a FIFO queue, a
long poll's deadline, a queue's ``CreatedTimestamp`` and ``LastModifiedTimestamp`` and the
purge interval. The patch book wraps those two names in that module only (moto's other services
keep the real time): each reads upstream's time plus the clock's offset, so every one of those
times moves together. The offset only grows and is read whole (one float), so a request served
while another thread advances the clock sees the old time or the new one, never a mix; a long
poll that is waiting (its loop wakes each second) sees the new time at its next look.
"""

from __future__ import annotations

from collections.abc import Callable

from localcloud.emulator.clock import CLOCK, LocalClock


def seconds(original: Callable, clock: LocalClock = CLOCK) -> Callable:
    """moto's ``unix_time`` (``original``) with "now" on ``clock``; a time given is converted
    as upstream does."""

    def unix_time(dt=None):
        return original(dt) if dt is not None else original() + clock.offset_s

    return unix_time


def millis(original: Callable, clock: LocalClock = CLOCK) -> Callable:
    """moto's ``unix_time_millis`` (``original``) with "now" on ``clock``; a time given is
    converted as upstream does."""

    def unix_time_millis(dt=None):
        return original(dt) if dt is not None else original() + clock.offset_s * 1000.0

    return unix_time_millis
