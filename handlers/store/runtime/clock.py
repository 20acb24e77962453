"""Identifiers, and the time as the functions see it, in the contract's formats.

Every handler reads "now" here and nowhere else: locally, ``STORE_CLOCK_OFFSET_SECONDS`` (set by
the local cloud before each invocation, never on AWS) moves it, so that expiry can be tested by
advancing the clock instead of waiting.
"""

import hashlib
import os
import uuid
from datetime import UTC, datetime, timedelta

from ..spec import settings
from ..spec.timestamps import iso

__all__ = ["id_for", "iso", "new_id", "now", "now_datetime"]


def new_id() -> str:
    """A UUIDv4 string."""
    return str(uuid.uuid4())


def id_for(*parts: str) -> str:
    """A UUIDv4-shaped id that is the same whenever ``parts`` are: the order of one caller's
    ``Idempotency-Key``, whichever attempt places it. Hashed, so as unguessable as the key."""
    digest = hashlib.sha256("\n".join(("store", *parts)).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def now_datetime() -> datetime:
    """The current time (UTC), moved by the local cloud's clock offset when one is set."""
    offset = float(os.environ.get(settings.CLOCK_OFFSET_SECONDS) or 0)
    return datetime.now(UTC) + timedelta(seconds=offset)


def now() -> str:
    """The current time (``now_datetime``) in the contract's format."""
    return iso(now_datetime())
