"""Spare worker processes for watch mode, started before a save needs them."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from pathlib import Path

from localcloud.lambdas.worker_process import spawn


class Spares:
    """Spare workers for watch mode: processes that have imported the handlers' libraries and
    wait to be told which function they run, so the new workers of a save skip those imports
    (most of a worker's start). ``env``: the environment they import in (a function's: what the
    libraries read of it at import is what the Lambda service sets alike for every function,
    such as ``LAMBDA_TASK_ROOT`` and ``AWS_XRAY_CONTEXT_MISSING``)."""

    def __init__(self, count: int, runtime: str, env: dict[str, str], cwd: Path):
        self.count = count
        self.runtime = runtime
        """The runtime whose Python the spares run on: they serve its functions only."""
        self.env = env
        self.cwd = Path(cwd)
        self._ready: list[subprocess.Popen] = []
        self._lock = threading.Lock()
        self._closed = False

    def fill(self) -> None:
        """Start spares until there are ``count``."""
        with self._lock:
            self._ready = [p for p in self._ready if p.poll() is None]
            while not self._closed and len(self._ready) < self.count:
                self.cwd.mkdir(parents=True, exist_ok=True)
                self._ready.append(spawn(self.runtime, ["--spare"], self.env, self.cwd))

    def fill_after(self, event: threading.Event, timeout: float) -> None:
        """``fill()`` in the background once ``event`` is set or ``timeout`` seconds passed: a
        save's first request does not share the processor with the spares' imports."""

        def fill() -> None:
            event.wait(timeout)
            self.fill()

        threading.Thread(target=fill, name="localcloud-spares", daemon=True).start()

    def take(self, runtime: str) -> subprocess.Popen | None:
        """A spare's process for a function of ``runtime`` (None: none left, or another
        runtime's)."""
        if runtime != self.runtime:
            return None
        with self._lock:
            while self._ready:
                process = self._ready.pop(0)
                if process.poll() is None:
                    return process
        return None

    def close(self) -> None:
        """Stop the spares (for good)."""
        with self._lock:
            self._closed = True
            ready, self._ready = self._ready, []
        for process in ready:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            for stream in (process.stdin, process.stdout):
                with contextlib.suppress(OSError):
                    stream.close()
