"""What a rehearsal says: one line per step (name, identity, result, seconds, each denied call),
or one JSON object, and the calls of every step, in full, in a log file.

A step's calls are the lines of the emulator's IAM log (``LOCALCLOUD_IAM_LOG``: one JSON object
per checked call, ``{time, principal, action, resource, allowed}``) made by the step's identity
while it ran.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

DETAIL_CHARS = 400
"""How much of a failure's message the step's line shows (the step's log has it all)."""


@dataclass
class Step:
    """One step of the pipeline, once run."""

    name: str
    role: str
    """Who it ran as: a role's name, or the emulator's administrator."""
    ok: bool = False
    seconds: float = 0.0
    calls: list[dict] = field(default_factory=list)
    detail: str = ""
    """Why it failed, when it did (one line)."""

    @property
    def denied(self) -> list[dict]:
        """Each refused call once, in the order of the first refusal."""
        seen = {(c["action"], c["resource"]): None for c in self.calls if not c["allowed"]}
        return [{"action": action, "resource": resource} for action, resource in seen]

    @property
    def passed(self) -> bool:
        """Ok, and nothing refused."""
        return self.ok and not self.denied

    def as_json(self) -> dict:
        """The step as ``--json`` shows it."""
        return {
            "name": self.name,
            "role": self.role,
            "ok": self.passed,
            "seconds": round(self.seconds, 1),
            "denied": self.denied,
        }

    def line(self) -> str:
        """The step as one line of text (and its refusals, one per line under it)."""
        result = "ok" if self.passed else "FAILED"
        text = f"{result:<6} {self.name} as {self.role} ({self.seconds:.1f} s)"
        if self.detail and not self.passed:
            text += f": {' '.join(self.detail.split())[:DETAIL_CHARS]}"
        return "\n".join(
            [text, *(f"         denied {d['action']} on {d['resource']}" for d in self.denied)]
        )


def verdict(steps: list[Step], calls_log: Path) -> str:
    """The run's last line: passed, or the step it failed at; and where every call is."""
    failed = [s for s in steps if not s.passed]
    said = f"FAILED at {failed[0].name}" if failed else f"passed: {len(steps)} steps"
    total = sum(s.seconds for s in steps)
    return f"rehearsal {said} in {total:.0f} s; every call: {calls_log}"


def as_json(steps: list[Step]) -> str:
    """The ``--json`` object."""
    return json.dumps({"steps": [s.as_json() for s in steps]}, indent=2)


def read_calls(path: Path, offset: int) -> tuple[list[dict], int]:
    """The call log's complete lines from ``offset`` on, and the offset after them."""
    try:
        with open(path, "rb") as log:
            log.seek(offset)
            chunk = log.read()
    except OSError:
        return [], offset
    complete = chunk[: chunk.rfind(b"\n") + 1]
    calls = []
    for line in complete.splitlines():
        try:
            calls.append(json.loads(line))
        except ValueError:
            continue
    return calls, offset + len(complete)


def made_by(calls: list[dict], principals: tuple[str, ...]) -> list[dict]:
    """The calls whose principal is one of ``principals`` (a user's or a role's ARN; a role's
    sessions count as the role)."""
    return [c for c in calls if _principal(str(c.get("principal", ""))) in principals]


def _principal(arn: str) -> str:
    """A session's role (``arn:aws:sts::1:assumed-role/R/s`` -> ``arn:aws:iam::1:role/R``)."""
    head, _, rest = arn.partition(":assumed-role/")
    if not rest:
        return arn
    return f"{head.replace(':sts:', ':iam:')}:role/{rest.split('/')[0]}"


def write_calls(path: Path, steps: list[Step]) -> None:
    """Every call of every step: ``step | allowed/DENIED | action | resource``, one a line."""
    lines = []
    for step in steps:
        lines.append(f"# {step.name} as {step.role}: {len(step.calls)} calls")
        lines += [
            f"{'allowed' if c['allowed'] else 'DENIED '} {c['action']} {c['resource']}"
            for c in step.calls
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
