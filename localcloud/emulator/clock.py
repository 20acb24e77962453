"""The local cloud's clock: the time that the functions and the schedules see, which a developer
moves forward (``python -m localcloud clock advance 90m``) to test what waits on time (an order
left ``PENDING`` past the limit) without waiting.

The emulator holds the offset (``CLOCK``, in its process's memory only, so a restart of the local
cloud resets it to 0, warm start included: it is not part of moto's state) and serves it at
``/localcloud-api/clock`` (GET: the clock; POST ``{"advanceSeconds": N}``: move it forward). The
Lambda worker reads it before each invocation into ``STORE_CLOCK_OFFSET_SECONDS``, which the
handlers' ``store.runtime.clock`` adds to "now"; the triggers fire the schedules on it; the mail
the emulator's SES keeps is stamped with it. The clock only moves forward, as time does.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import re
import tempfile
import threading
import time
from pathlib import Path

from handlers.store.spec.timestamps import iso
from localcloud.base import control_api
from localcloud.base.control_api import answer as _json
from localcloud.base.errors import LocalCloudError

PATH = "/localcloud-api/clock"
MAX_ADVANCE_S = 10 * 365 * 86400
"""The most one ``advance`` moves the clock (ten years: more is a typo)."""
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?[smhdw])+")
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def duration(text: str) -> float:
    """``90m``, ``2d``, ``1h30m``, ``45s`` (units s, m, h, d, w) as seconds above 0."""
    spoken = text.strip().lower()
    if not _DURATION.fullmatch(spoken):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration such as 90m, 2d or 1h30m (units s, m, h, d, w)"
        )
    seconds = sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(spoken))
    if not 0 < seconds <= MAX_ADVANCE_S:
        raise argparse.ArgumentTypeError(f"{text!r} must be above 0 and at most 3650d")
    return seconds


class LocalClock:
    """An offset added to the real time; it only grows. Once read (``reading``), the offset is
    also published in a file of its own (``offsetFile`` of the reading), rewritten before an
    ``advance`` returns: a worker reads that file before each invocation, a few microseconds,
    where asking the endpoint costs a round trip. The file goes when the emulator exits."""

    def __init__(self):
        self._offset_s = 0.0
        self._lock = threading.Lock()
        self._file: Path | None = None

    @property
    def offset_s(self) -> float:
        """Seconds ahead of the real time."""
        return self._offset_s

    def now(self) -> float:
        """The local time, in seconds since the epoch."""
        return time.time() + self._offset_s

    def advance(self, seconds: float) -> float:
        """Move forward by ``seconds`` (above 0); the new offset."""
        number = isinstance(seconds, (int, float)) and not isinstance(seconds, bool)
        if not number or not 0 < seconds <= MAX_ADVANCE_S:
            raise ValueError(f"advanceSeconds must be a number above 0 and at most {MAX_ADVANCE_S}")
        with self._lock:
            self._offset_s += float(seconds)
            self._publish()
            return self._offset_s

    def reading(self) -> dict:
        """What the endpoint answers: the offset, the local time and the offset's file."""
        with self._lock:
            if self._file is None:
                handle, name = tempfile.mkstemp(prefix="localcloud-clock-", suffix=".offset")
                os.close(handle)
                self._file = Path(name)
                atexit.register(self._remove)
                self._publish()
            offset = self._offset_s
        return {
            "offsetSeconds": offset,
            "now": iso(time.time() + offset),
            "offsetFile": str(self._file),
        }

    def _publish(self) -> None:
        """The offset in its file, whole: a reader sees the old file or the new one (the caller
        holds the lock)."""
        if self._file is not None:
            partial = self._file.with_name(f"{self._file.name}.{os.getpid()}")
            partial.write_text(repr(self._offset_s), encoding="utf-8")
            os.replace(partial, self._file)

    def _remove(self) -> None:
        with contextlib.suppress(OSError):
            if self._file is not None:
                self._file.unlink()


CLOCK = LocalClock()
"""The emulator's clock (one per emulator process)."""


class ClockEndpoint:  # pylint: disable=too-few-public-methods
    """WSGI middleware: ``/localcloud-api/clock`` (GET reads, POST advances); the rest passes."""

    def __init__(self, app, clock: LocalClock = CLOCK):
        self.app = app
        self.clock = clock

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").rstrip("/") != PATH:
            return self.app(environ, start_response)
        method = environ.get("REQUEST_METHOD")
        if method == "GET":
            return _json(start_response, "200 OK", self.clock.reading())
        if method != "POST":
            return _json(start_response, "405 Method Not Allowed", {"error": "GET, POST"})
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            data = json.loads(environ["wsgi.input"].read(length) or b"null")
            self.clock.advance(data["advanceSeconds"])
        except (ValueError, TypeError, KeyError) as exc:
            reason = str(exc) if isinstance(exc, ValueError) and "advance" in str(exc) else ""
            message = reason or 'the body must be {"advanceSeconds": N}'
            return _json(start_response, "400 Bad Request", {"error": message})
        return _json(start_response, "200 OK", self.clock.reading())


class ClockClient:
    """The clock of the emulator at ``endpoint_url``."""

    def __init__(self, endpoint_url: str, timeout: float = 5.0):
        self.url = endpoint_url.rstrip("/") + PATH
        self.timeout = timeout

    def read(self) -> dict:
        """``{"offsetSeconds", "now"}``."""
        return self._call(None)

    def offset_s(self) -> float:
        """Seconds the local clock is ahead of the real time."""
        return float(self.read()["offsetSeconds"])

    def advance(self, seconds: float) -> dict:
        """Move the clock forward by ``seconds``; the clock after."""
        return self._call({"advanceSeconds": seconds})

    def _call(self, data: dict | None) -> dict:
        try:
            return control_api.call(self.url, "GET" if data is None else "POST", data, self.timeout)
        except control_api.Refused as refused:
            raise LocalCloudError(
                f"The emulator refused the clock change ({refused.reason})."
            ) from None
