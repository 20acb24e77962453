"""Looking at something again and again in the background: the emulator's log (a deploy stuck on
an action it lacks), the project's files (watch mode), what is deployed (the gateway's reload)."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Poller(threading.Thread):
    """Calls ``tick()`` every ``interval`` seconds in a daemon thread, until ``stop()`` or until
    ``tick()`` returns True."""

    def __init__(self, name: str, interval: float, tick: Callable[[], bool | None]):
        super().__init__(name=name, daemon=True)
        self.interval = interval
        self._tick = tick
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            if self._tick():
                return

    def pause(self, seconds: float) -> bool:
        """Wait ``seconds`` within a tick; False if stopped meanwhile."""
        return not self._halt.wait(seconds)

    @property
    def stopped(self) -> bool:
        """Whether ``stop()`` was called."""
        return self._halt.is_set()

    def stop(self) -> None:
        """Stop after the tick under way, if any."""
        self._halt.set()
