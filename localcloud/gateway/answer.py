"""What the gateway answers a request with, before it becomes an HTTP response (``wsgi``)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Answer:
    """A response, and what the request log says about it."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    log: dict = field(default_factory=dict)
