"""The local clock: durations, the emulator's endpoint, and its client."""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from localcloud.base.errors import LocalCloudError
from localcloud.emulator.clock import ClockClient, LocalClock, duration, iso
from tests.arguments import spare_port


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90m", 5400), ("2d", 172800), ("1h30m", 5400), ("45s", 45), ("1w", 604800), ("0.5h", 1800)],
)
def test_a_duration_reads_its_units(text, seconds):
    assert duration(text) == seconds


@pytest.mark.parametrize("text", ["", "90", "m", "-5m", "5 minutes", "0m", "3651d", "1y", "1h-2m"])
def test_a_wrong_duration_is_refused_naming_it(text):
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        duration(text)
    assert repr(text) in str(refused.value)


def test_the_clock_only_moves_forward():
    clock = LocalClock()
    assert clock.offset_s == 0
    assert clock.advance(90) == 90
    for wrong in (0, -1, "5", None, float("nan")):
        with pytest.raises(ValueError):
            clock.advance(wrong)
    assert clock.reading()["offsetSeconds"] == 90


def test_the_offset_is_published_in_a_file_that_an_advance_rewrites_before_it_returns():
    clock = LocalClock()
    path = Path(clock.reading()["offsetFile"])
    assert float(path.read_text(encoding="utf-8")) == 0
    clock.advance(90)
    assert float(path.read_text(encoding="utf-8")) == 90
    assert clock.reading()["offsetFile"] == str(path)  # one file for the clock's life
    clock._remove()
    assert not path.exists()


def test_iso_is_utc_with_milliseconds():
    assert iso(0) == "1970-01-01T00:00:00.000Z"
    assert iso(1.2345) == "1970-01-01T00:00:01.234Z"


def test_the_emulator_serves_its_clock_and_moves_it_forward(emulator):
    client = ClockClient(emulator.url)
    before = client.offset_s()
    after = client.advance(5400)
    assert after["offsetSeconds"] == before + 5400
    assert after["now"].endswith("Z")
    assert client.offset_s() == before + 5400


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"{}", "advanceSeconds"),
        (b"not json", "advanceSeconds"),
        (b'{"advanceSeconds": -60}', "above 0"),
        (b'{"advanceSeconds": "60"}', "above 0"),
    ],
)
def test_a_wrong_change_is_refused_and_changes_nothing(emulator, body, says):
    client = ClockClient(emulator.url)
    before = client.offset_s()
    request = urllib.request.Request(client.url, data=body, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 400
    assert says in json.loads(refused.value.read())["error"]
    assert client.offset_s() == before


def test_an_emulator_that_does_not_answer_is_one_sentence():
    with pytest.raises(LocalCloudError, match="does not answer"):
        ClockClient(f"http://127.0.0.1:{spare_port()}", timeout=2).read()
