"""The gateway's log: one JSON line per request (``requestId``, ``method``, ``path``, ``status``,
``latencyMs`` and what the answer says: ``resource``, ``integration``, ``function``, ``start``,
``initMs``, ``durationMs``, ``queuedMs``, ``error``, ``authError``, ``waf``, ``fault``: the
rule that injected a function fault) and per event of
what it serves (``reloaded``, ``reload-failed``, ``prewarm-failed``)."""

from __future__ import annotations

import json
import sys
import threading
import time


class GatewayLog:  # pylint: disable=too-few-public-methods  # one verb: write a line
    """JSON lines on ``stream`` (default: stdout), whole lines from any thread."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def write(self, record: dict) -> None:
        """One line: the time, then ``record``."""
        line = json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **record})
        with self._lock:
            print(line, file=self.stream, flush=True)
