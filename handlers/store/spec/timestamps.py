"""The contract's timestamps (docs/api.md: ISO 8601, UTC, with a ``Z`` suffix), to the
millisecond. Here, in the spec, because the local cloud writes the same format (its clock, its
mailbox, the stream records it delivers) and may read the spec, never the functions' runtime."""

from datetime import UTC, datetime


def iso(moment: datetime | float) -> str:
    """``moment`` (a datetime, or seconds since the epoch) as ``2026-01-31T12:00:00.000Z``."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
