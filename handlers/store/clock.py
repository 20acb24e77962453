"""Identifiers and timestamps in the contract's formats."""

import uuid
from datetime import UTC, datetime


def new_id() -> str:
    """A UUIDv4 string."""
    return str(uuid.uuid4())


def now() -> str:
    """The current time, ISO 8601 UTC with millisecond precision and a Z suffix."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
