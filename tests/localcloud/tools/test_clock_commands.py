"""``python -m localcloud clock [advance DURATION]`` on a running local cloud's emulator."""

from __future__ import annotations

import json

import pytest

from localcloud.emulator.clock import ClockClient
from localcloud.tools import cli
from localcloud.tools.clock_commands import ahead


@pytest.fixture
def ready(emulator, tmp_path):
    """A ready.json naming the session's emulator."""
    path = tmp_path / "ready.json"
    path.write_text(json.dumps({"emulatorUrl": emulator.url}), encoding="utf-8")
    return path


def test_clock_prints_the_local_time_and_advance_moves_it(emulator, ready, capsys):
    before = ClockClient(emulator.url).offset_s()
    assert cli.main(["clock", "--ready-file", str(ready)]) == 0
    shown = capsys.readouterr().out
    assert shown.endswith(f"(local clock, {ahead(before)} ahead)\n")
    assert cli.main(["clock", "advance", "1h30m", "--ready-file", str(ready)]) == 0
    assert ClockClient(emulator.url).offset_s() == before + 5400
    assert f"{ahead(before + 5400)} ahead" in capsys.readouterr().out


def test_without_a_running_local_cloud_it_says_so(tmp_path, capsys):
    assert cli.main(["clock", "advance", "5m", "--project-dir", str(tmp_path)]) == 1
    assert "not running here" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0, "0s"), (59.6, "1m"), (5400, "1h 30m"), (93784, "1d 2h 3m 4s")]
)
def test_ahead_reads_as_days_hours_minutes_seconds(seconds, shown):
    assert ahead(seconds) == shown
