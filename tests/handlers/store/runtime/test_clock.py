"""store.runtime.clock: the one place the functions read the time, moved by the local offset."""

import re
from datetime import UTC, datetime

import conftest
from store.runtime import clock
from store.spec import settings

# Reading the wall clock: only store/runtime/clock.py may (a duration, perf_counter, is not).
WALL_CLOCK = re.compile(r"datetime\.(now|utcnow|today)\(|time\.time\(|date\.today\(")


def test_the_offset_moves_now(monkeypatch):
    before = datetime.now(UTC)
    monkeypatch.setenv(settings.CLOCK_OFFSET_SECONDS, "86400.5")
    moved = clock.now_datetime()
    assert 86400 < (moved - before).total_seconds() < 86400 + 60
    monkeypatch.setenv(settings.CLOCK_OFFSET_SECONDS, "")
    assert abs((clock.now_datetime() - datetime.now(UTC)).total_seconds()) < 60


def test_now_is_iso_utc_with_milliseconds_and_z():
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", clock.now())
    assert clock.iso(datetime(2026, 1, 2, 3, 4, 5, 678_900, tzinfo=UTC)) == (
        "2026-01-02T03:04:05.678Z"
    )


def test_no_other_module_reads_the_wall_clock():
    readers = [
        str(path.relative_to(conftest.HANDLERS))
        for path in conftest.HANDLERS.rglob("*.py")
        if path.name != "clock.py" and WALL_CLOCK.search(path.read_text(encoding="utf-8"))
    ]
    assert readers == []
    assert WALL_CLOCK.search((conftest.HANDLERS / "store" / "runtime" / "clock.py").read_text())
