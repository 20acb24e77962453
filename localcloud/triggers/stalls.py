"""``StallWatch``: which poller is inside a batch and since when, so that one that never comes
back is said in a line (``trigger-stalled``, naming its function, its source and where its thread
waits) instead of going quiet.

A batch is bounded: the invocation waits at most the function's timeout plus a worker's start
(``localcloud.lambdas.function_pool``), and each call to the emulator has a read timeout
(``service.CLIENT_CONFIG``). A batch that outlives its bound plus a margin is stuck somewhere
that no timeout covers: that is what the line is for. It is said once per batch; the batch's end,
if it comes, is said too (``trigger-resumed``).
"""

from __future__ import annotations

import itertools
import sys
import threading
import time
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

STALL_MARGIN_S = 30.0
"""Beyond a batch's own bound: the emulator's calls around the invocation (reading the stream,
deleting messages, the on-failure destination), each within its read timeout."""
STACK_FRAMES = 8
"""How many of the stalled thread's innermost frames the line shows."""


@dataclass
class _Batch:
    function: str
    source: str
    since: float
    thread_id: int
    said: bool = field(default=False)


class StallWatch:
    """Batches under way (``batch``), checked by ``check`` against ``bound_s(function)``;
    ``log``: a JSON-line writer; ``clock``: monotonic seconds (a test passes its own)."""

    def __init__(
        self,
        bound_s: Callable[[str], float],
        log: Callable[[dict], None],
        clock: Callable[[], float] = time.monotonic,
    ):
        self.bound_s = bound_s
        self.log = log
        self.clock = clock
        self._running: dict[int, _Batch] = {}
        self._lock = threading.Lock()
        self._numbers = itertools.count()

    @contextmanager
    def batch(self, function: str, source: str):
        """One batch of ``function``'s mapping on ``source``, from enter to exit."""
        key = next(self._numbers)
        entry = _Batch(function, source, self.clock(), threading.get_ident())
        with self._lock:
            self._running[key] = entry
        try:
            yield
        finally:
            with self._lock:
                del self._running[key]
            if entry.said:
                self.log(
                    {
                        "event": "trigger-resumed",
                        "function": function,
                        "source": source,
                        "s": round(self.clock() - entry.since, 1),
                    }
                )

    def check(self) -> None:
        """A ``trigger-stalled`` line for each batch past its bound, not said yet."""
        now = self.clock()
        with self._lock:
            late = [
                entry
                for entry in self._running.values()
                if not entry.said and now - entry.since > self._limit(entry.function)
            ]
            for entry in late:
                entry.said = True
        frames = sys._current_frames()  # pylint: disable=protected-access  # faulthandler's view
        for entry in late:
            frame = frames.get(entry.thread_id)
            line = {
                "event": "trigger-stalled",
                "function": entry.function,
                "source": entry.source,
                "s": round(now - entry.since, 1),
                "boundS": self._limit(entry.function),
                "waitingIn": traceback.format_stack(frame)[-STACK_FRAMES:] if frame else [],
            }
            self.log(line)

    def _limit(self, function: str) -> float:
        return self.bound_s(function) + STALL_MARGIN_S
