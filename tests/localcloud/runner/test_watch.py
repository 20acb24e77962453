"""Watch mode: the watcher (when a burst of saves counts as settled, and what it reports), and
the runner started with ``--watch`` on the stand-in project making saves live."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from localcloud.lambdas.code_store import sha256_b64
from localcloud.runner.watch import Change, Watcher
from tests.localcloud.runner.stand_in import boto3_lambda, localcloud, runner_env, start

HOUR_NS = 3600 * 10**9


def _write(path, text: str, age_ns: int = 0) -> int:
    """Write ``path``, its modification time ``age_ns`` in the past; that time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    written = time.time_ns() - age_ns
    os.utime(path, ns=(written, written))
    return written


def test_a_burst_settles_from_its_last_write(tmp_path):
    app = tmp_path / "handlers" / "app.py"
    _write(app, "v = 1\n", age_ns=2 * HOUR_NS)
    watcher = Watcher(tmp_path, on_change=None, settle=60.0)
    # Written an hour ago: long settled, no wait.
    _write(app, "v = 2\n", age_ns=HOUR_NS)
    assert watcher._unsettled(watcher._scan()) == 0.0
    # Written now: almost the whole moment to wait, never more.
    _write(tmp_path / "stacks" / "x.txt", "x")
    assert 0.0 < watcher._unsettled(watcher._scan()) <= 60.0
    # Only a removal: no write time to count from, the whole moment.
    watcher = Watcher(tmp_path, on_change=None, settle=60.0)
    app.unlink()
    assert watcher._unsettled(watcher._scan()) == 60.0


def test_a_settled_save_is_reported_at_once_with_its_write_time(tmp_path):
    app = tmp_path / "handlers" / "app.py"
    _write(app, "v = 1\n", age_ns=2 * HOUR_NS)
    (tmp_path / "handlers" / "__pycache__").mkdir()
    changes: list[Change] = []
    watcher = Watcher(tmp_path, changes.append, settle=60.0)
    written = _write(app, "v = 2\n", age_ns=HOUR_NS)
    _write(tmp_path / "handlers" / "__pycache__" / "app.cpython-312.pyc", "cache")  # ignored
    started = time.monotonic()
    watcher._look()  # one poll, in this thread: the save is an hour old, so no settling
    assert time.monotonic() - started < 60.0
    assert changes == [Change(code=("handlers/app.py",), stack=(), saved=written / 1e9)]
    watcher._look()
    assert len(changes) == 1  # nothing new


WATCHED_APP = """
import json, os

def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"v": VERSION, "g": os.environ["GREETING"]})}

VERSION = %d
"""


def _answer(url: str, wanted, timeout: float) -> float:
    """Seconds until ``url`` answers ``wanted(response)``; fails after ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            response = requests.get(url, timeout=5)
            if wanted(response):
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(0.05)
    pytest.fail(f"{url} did not answer as expected within {timeout} s")


class OutputLines:
    """A process's output, read line by line in a thread as it comes, so that a test waits for
    the line it asserts (printed by another thread of that process, at a time of its own)."""

    def __init__(self, process: subprocess.Popen):
        self.lines: list[str] = []
        self._new = threading.Condition()
        self._reader = threading.Thread(target=self._read, args=(process.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream) -> None:
        for line in stream:
            with self._new:
                self.lines.append(line)
                self._new.notify_all()

    def wait_for(self, fragment: str, timeout: float, after: int = 0) -> int:
        """The index of the first line from ``after`` on that holds ``fragment``, once printed;
        fails after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._new:
            while True:
                for index in range(after, len(self.lines)):
                    if fragment in self.lines[index]:
                        return index
                left = deadline - time.monotonic()
                if left <= 0 or not self._reader.is_alive():  # no more lines will come
                    pytest.fail(f"no line with {fragment!r} within {timeout} s:\n{self.text()}")
                self._new.wait(min(left, 1.0))

    def text(self) -> str:
        """Everything read so far."""
        return "".join(self.lines)

    def close(self, timeout: float = 30) -> str:
        """Everything, once the process closed its output."""
        self._reader.join(timeout)
        return self.text()


def save(path: Path, text: str) -> None:
    """Write ``path`` so that its modification time changes even when the file system's clock
    has not moved since the last write (the watcher compares times and sizes)."""
    before = path.stat().st_mtime_ns if path.exists() else None
    path.write_text(text)
    if path.stat().st_mtime_ns == before:
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


def test_watch_makes_saves_live(project, tmp_path):
    app = project / "handlers" / "app.py"
    app.parent.mkdir()
    app.write_text(WATCHED_APP % 1)
    (project / "stacks").mkdir()
    env = runner_env(tmp_path)
    process = start(project, env, "--watch")
    output = OutputLines(process)
    try:
        waited = localcloud("--project-dir", str(project), "--wait", "--timeout", "60", env=env)
        assert waited.returncode == 0, waited.stderr
        url = waited.stdout.strip() + "hello"
        assert requests.get(url, timeout=30).json() == {"v": 1, "g": "hello"}
        watching = output.wait_for("localcloud: watching handlers/", timeout=30)

        # A saved handler goes live (how fast: bench/watch_bench.py), the deployed CodeSha256
        # being its package.
        save(app, WATCHED_APP % 2)
        _answer(url, lambda r: r.ok and r.json()["v"] == 2, timeout=30)
        live = output.wait_for(
            "localcloud: handlers/app.py changed: ecommerce-local-app run CodeSha256",
            timeout=30,
            after=watching,
        )
        functions = boto3_lambda(project).list_functions()["Functions"]
        [deployed] = [f["CodeSha256"] for f in functions if f["FunctionName"].endswith("-app")]
        assert deployed in output.lines[live]
        packages = list((project / ".localcloud" / "packages").glob("handlers-*.zip"))
        assert deployed in {sha256_b64(p.read_bytes()) for p in packages}

        # A syntax error answers 502 and is said; the next good save recovers.
        save(app, "def handler(event, context:\n")
        _answer(url, lambda r: r.status_code == 502, timeout=30)
        broken = output.wait_for(
            "ecommerce-local-app does not start: Runtime.UserCodeSyntaxError", 30, after=live
        )
        # That save's own line comes after its failure's: the next save waits for it, or it
        # would be made while the watcher still applies this one (its deadline then also
        # counting the rest of this apply) and its line could be taken for this one's.
        applied = output.wait_for("localcloud: handlers/app.py changed: ", 30, after=broken + 1)
        save(app, WATCHED_APP % 3)
        _answer(url, lambda r: r.ok and r.json()["v"] == 3, timeout=30)
        fixed = output.wait_for("localcloud: handlers/app.py changed: ", 30, after=applied + 1)

        # A change under stacks/ is an incremental deploy that says what it changed.
        save(project / "stacks" / "greeting.txt", "hi from stacks")
        _answer(url, lambda r: r.ok and r.json()["g"] == "hi from stacks", timeout=60)
        redeployed = output.wait_for(
            "localcloud: stacks/greeting.txt changed: redeployed in ", 60, after=fixed
        )
        assert (
            "(Plan: 0 to add, 1 to change, 0 to destroy: aws_lambda_function.app updated "
            "in-place)" in output.lines[redeployed]
        )
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
    # The 502's error, in the gateway's log (written before the answer was sent).
    lines = output.close().splitlines()
    assert any("Runtime.UserCodeSyntaxError" in ln and "does not start" not in ln for ln in lines)
