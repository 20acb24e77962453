"""Watch mode's watcher: when a burst of saves counts as settled, and what it reports."""

from __future__ import annotations

import os
import time

from localcloud.runner.watch import Change, Watcher

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
