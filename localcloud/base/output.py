"""The local cloud's own lines for its user: ``localcloud: ...`` on stdout, one sentence on stderr
for an expected failure. A closed output (a supervisor gone, a pipe closed) never stops a
teardown, so neither ever raises."""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from pathlib import Path

from localcloud.base.errors import LocalCloudError

_LINES = threading.Lock()
"""One lock for every line the process writes: the gateway's, the triggers' and the runner's
share stdout, and a line written by two threads at once would come out glued to another."""


def _write(text: str, stream=None) -> None:
    stream = stream or sys.stdout
    with _LINES, contextlib.suppress(OSError, ValueError):
        # One write with its newline: print() writes the newline apart, another thread between.
        stream.write(text + "\n")
        stream.flush()


class JsonLines:  # pylint: disable=too-few-public-methods  # one verb: write a line
    """JSON lines on ``stream`` (default: stdout), whole lines from any thread: the gateway's
    request log, the triggers' batches."""

    def __init__(self, stream=None):
        self.stream = stream

    def write(self, record: dict) -> None:
        """One line: the time, then ``record``."""
        line = json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **record})
        _write(line, self.stream or sys.stdout)


def say(message: str) -> None:
    """One line of the runner's own output."""
    _write(f"localcloud: {message}")


def say_error(error: LocalCloudError) -> int:
    """The one sentence of an expected failure, on stderr; its exit status."""
    _write(f"localcloud: {error}", sys.stderr)
    return error.exit_code


def shown(path: Path) -> str:
    """``path`` as a person reads it: relative to the current folder when under it, else from
    ``~`` when under the home folder, else as it is."""
    path = Path(path)
    for base, prefix in ((Path.cwd(), ""), (Path.home(), "~/")):
        with contextlib.suppress(ValueError):
            return prefix + str(path.relative_to(base))
    return str(path)
