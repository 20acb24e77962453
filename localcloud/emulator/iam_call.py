"""One call as the emulator authorizes it: the request's service, action and parameters, and
the partition, region and account its ARNs are in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

Pairs = Iterator[tuple[str, str]]
"""(action, resource ARN) pairs one call needs, every one allowed (an action without a service
prefix is the call's service's)."""


@dataclass(frozen=True)
class ArnScope:
    """ARNs in the partition, region and account of one request."""

    partition: str
    region: str
    account_id: str

    def arn(self, service: str, resource: str, region: bool = True) -> str:
        """``resource`` of ``service`` in this region (unless ``region`` is False) and account."""
        where = self.region if region else ""
        return f"arn:{self.partition}:{service}:{where}:{self.account_id}:{resource}"


@dataclass
class Call:
    """One call as the emulator authorizes it."""

    service: str
    """The IAM prefix of its actions (``lambda``, ``cloudwatch``)."""
    action: str
    """The API operation (``CreateFunction``)."""
    params: dict[str, Any]
    scope: ArnScope
    resource: str = "*"
    """What moto determined (``*`` unless the service resolves its own)."""
    method: str = "GET"
    path: str = "/"
    extra: dict[str, Any] = field(default_factory=dict)
    """What the emulator's state adds (a new mapping's uuid, a role's boundary)."""
