"""The emulator's own control endpoints (``/localcloud-api/...``: faults, the clock, mail), asked
over HTTP by the tools, the workers and the tests: one JSON request, one JSON answer."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from localcloud.base.errors import LocalCloudError


def answer(start_response, status: str, data: Any) -> list[bytes]:
    """The endpoints' side: ``data`` as the JSON answer of a WSGI app, with ``status``."""
    body = json.dumps(data).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


class Refused(Exception):
    """The endpoint answered with an error; ``reason``: its ``error`` field, or the status."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def call(url: str, method: str, data: Any = None, timeout: float = 5.0) -> dict[str, Any]:
    """``method`` on ``url`` with ``data`` as its JSON body; the JSON answer. ``Refused`` for an
    error answer; a one-sentence ``LocalCloudError`` when nothing (or no JSON) answers."""
    body = None if data is None else json.dumps(data).encode()
    request = urllib.request.Request(url, data=body, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            reason = json.loads(exc.read())["error"]
        except (ValueError, KeyError, TypeError):
            reason = f"HTTP {exc.code}"
        raise Refused(reason) from None
    except (urllib.error.URLError, OSError, ValueError):
        raise LocalCloudError(f"The local cloud's emulator does not answer at {url}.") from None
