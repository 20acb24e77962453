"""Identifiers and timestamps in the contract's formats."""

import hashlib
import uuid
from datetime import UTC, datetime


def new_id() -> str:
    """A UUIDv4 string."""
    return str(uuid.uuid4())


def id_for(*parts: str) -> str:
    """A UUIDv4-shaped id that is the same whenever ``parts`` are: the order of one caller's
    ``Idempotency-Key``, whichever attempt places it. Hashed, so as unguessable as the key."""
    digest = hashlib.sha256("\n".join(("store", *parts)).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def now() -> str:
    """The current time, ISO 8601 UTC with millisecond precision and a Z suffix."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
