"""``StallWatch``: a batch that outlives its bound is said once, with where its thread waits,
and its end is said too; a batch within its bound, or over, is not. The clock is the test's own,
so nothing here depends on how fast the machine is."""

from __future__ import annotations

import threading

from localcloud.triggers.stalls import STALL_MARGIN_S, StallWatch


class Clock:  # pylint: disable=too-few-public-methods
    """Monotonic seconds that move only when the test says."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_batch_past_its_bound_is_said_once_with_where_it_waits_and_its_end_too():
    clock, lines = Clock(), []
    watch = StallWatch(lambda function: {"publisher": 13.0}[function], lines.append, clock)
    inside, release = threading.Event(), threading.Event()

    def stuck_in_the_invocation():
        with watch.batch("publisher", "arn:stream"):
            inside.set()
            release.wait(60)

    thread = threading.Thread(target=stuck_in_the_invocation, daemon=True)
    thread.start()
    assert inside.wait(60)
    clock.now += 13.0 + STALL_MARGIN_S
    watch.check()
    assert not lines, "at its bound, not past it"
    clock.now += 1
    watch.check()
    watch.check()
    (stalled,) = lines
    assert stalled["event"] == "trigger-stalled"
    assert (stalled["function"], stalled["source"]) == ("publisher", "arn:stream")
    assert stalled["s"] == 13.0 + STALL_MARGIN_S + 1 and stalled["boundS"] == 13.0 + STALL_MARGIN_S
    assert "stuck_in_the_invocation" in "".join(stalled["waitingIn"])
    release.set()
    thread.join(60)
    assert lines[1] == {
        "event": "trigger-resumed",
        "function": "publisher",
        "source": "arn:stream",
        "s": 13.0 + STALL_MARGIN_S + 1,
    }


def test_a_batch_that_ends_in_time_is_not_said():
    clock, lines = Clock(), []
    watch = StallWatch(lambda function: 3.0, lines.append, clock)
    with watch.batch("notifier", "arn:queue"):
        clock.now += 3.0 + STALL_MARGIN_S
        watch.check()
    clock.now += 1000
    watch.check()
    assert not lines
