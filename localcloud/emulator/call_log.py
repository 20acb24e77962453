"""The emulator's log of the calls it authorized: one JSON line per check, when the emulator's
process has ``LOCALCLOUD_IAM_LOG`` set to a file's path (appended to, never truncated).

A line: ``{"time": <epoch seconds, float>, "principal": "<caller ARN>", "action": "svc:Action",
"resource": "<ARN or *>", "allowed": true|false}``; a call's own check and each check it implies
(tag on create, ``iam:PassRole``) are lines of their own, in the order they were made.
"""

from __future__ import annotations

import json
import os
import threading
import time

VARIABLE = "LOCALCLOUD_IAM_LOG"
_lock = threading.Lock()


def path() -> str | None:
    """The log's path in this process's environment, or None (no log)."""
    return os.environ.get(VARIABLE) or None


def record(principal: str, action: str, resource: str, allowed: bool) -> None:
    """Append one check's line, when the log is on (whole lines, from any thread)."""
    target = path()
    if target is None:
        return
    line = json.dumps(
        {
            "time": time.time(),
            "principal": principal,
            "action": action,
            "resource": resource,
            "allowed": allowed,
        }
    )
    with _lock, open(target, "a", encoding="utf-8") as log:
        log.write(line + "\n")
