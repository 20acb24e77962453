"""The contract's timestamps (handlers/store/spec/timestamps.py): ISO 8601 UTC, milliseconds, Z
(docs/api.md), from a datetime in any zone or from seconds since the epoch."""

from datetime import UTC, datetime, timedelta, timezone

from store.spec.timestamps import iso


def test_a_datetime_is_written_in_utc_to_the_millisecond():
    assert iso(datetime(2026, 1, 2, 3, 4, 5, 678_900, tzinfo=UTC)) == "2026-01-02T03:04:05.678Z"
    # 05:04 at UTC+2 is 03:04 UTC.
    plus_two = timezone(timedelta(hours=2))
    assert iso(datetime(2026, 1, 2, 5, 4, 5, tzinfo=plus_two)) == "2026-01-02T03:04:05.000Z"


def test_seconds_since_the_epoch_are_written_the_same_way():
    # 1767323045.678 s after 1970-01-01T00:00:00Z is 2026-01-02T03:04:05.678Z.
    assert iso(1_767_323_045.678) == "2026-01-02T03:04:05.678Z"
    assert iso(0) == "1970-01-01T00:00:00.000Z"
