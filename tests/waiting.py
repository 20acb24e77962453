"""Waiting for a condition with a deadline, for tests that watch another process or thread: the
condition is polled until it holds, never a fixed sleep standing in for it."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for(
    condition: Callable[[], object],
    timeout: float = 30.0,
    step: Callable[[], object] = lambda: None,
):
    """``condition()``'s first truthy value, calling ``step()`` between tries; fails after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        step()
        time.sleep(0.05)
    raise AssertionError(f"not true within {timeout} s: {condition}")
