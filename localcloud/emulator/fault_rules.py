"""The emulator's fault rules, in its memory only, and their generation.

The rules' generation changes whenever rules are added, cleared or used up; the emulator writes it
to a file (``Generation``) before it answers, and lists it with the rules, so that the gateway
keeps the function rules it fetched until the file says otherwise, whoever changed them.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import random
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from localcloud.emulator.fault_rule import Rule


class Generation:
    """The rules' generation, published in a file of its own (``path``) that a reader on this
    machine compares with the ``tag`` it last fetched the rules with: a few microseconds, where
    asking the emulator over HTTP costs a round trip. The tag holds a token of this emulator, so
    a file of another one never passes for it. The file goes when the emulator exits."""

    def __init__(self, path: Path | None = None):
        if path is None:
            handle, name = tempfile.mkstemp(prefix="localcloud-faults-", suffix=".generation")
            os.close(handle)
            path = Path(name)
            atexit.register(self.remove)
        self.path = path
        self.token = uuid.uuid4().hex
        self.number = 0
        self.publish()

    @property
    def tag(self) -> str:
        """What the file holds for the current generation."""
        return f"{self.token} {self.number}"

    def advance(self) -> None:
        """A new generation, in the file before this returns (the caller holds the rules' lock)."""
        self.number += 1
        self.publish()

    def publish(self) -> None:
        """Write the tag whole: a reader sees the old file or the new one, never half of one."""
        partial = self.path.with_name(f"{self.path.name}.{uuid.uuid4().hex[:8]}")
        partial.write_text(self.tag, encoding="utf-8")
        os.replace(partial, self.path)

    def remove(self) -> None:
        """Delete the file (the emulator exits)."""
        with contextlib.suppress(OSError):
            self.path.unlink()


class FaultRules:
    """The emulator's rules, and the choice of which calls they hit (thread-safe)."""

    def __init__(self, rng: random.Random | None = None, generation: Generation | None = None):
        self.rng = rng or random.Random()
        self.lock = threading.Lock()
        self.rules: list[Rule] = []
        self.next_id = 1
        self.generation = generation or Generation()

    def add(self, rule: Rule) -> Rule:
        """Add ``rule`` with the next id."""
        with self.lock:
            rule.id, self.next_id = self.next_id, self.next_id + 1
            self.rules.append(rule)
            self.generation.advance()
        return rule

    def clear(self) -> int:
        """Drop every rule; how many there were."""
        with self.lock:
            dropped, self.rules = len(self.rules), []
            self.generation.advance()
        return dropped

    def listed(self) -> dict[str, Any]:
        """Every rule with its hits, the generation's tag and the file that publishes it."""
        with self.lock:
            return {
                "rules": [rule.public() for rule in self.rules],
                "generation": self.generation.tag,
                "generationFile": str(self.generation.path),
            }

    def hit(self, request: dict[str, str]) -> Rule | None:
        """The first rule that matches ``request`` and fires this time (its hits counted)."""
        with self.lock:
            for rule in self.rules:
                if any(request.get(k) != v for k, v in rule.match.items()):
                    continue
                if self._fires(rule):
                    return rule
        return None

    def strike(self, tagged: str) -> Rule | None:
        """The first of the ``at`` rules a call is tagged with (``TAG``: their ids) that fires
        this time (its hits counted)."""
        ids = {part.strip() for part in tagged.split(",")}
        with self.lock:
            for rule in self.rules:
                if rule.at is not None and str(rule.id) in ids and self._fires(rule):
                    return rule
        return None

    def _fires(self, rule: Rule) -> bool:
        """Whether ``rule`` fires this time (its hits counted; used up: a new generation)."""
        if rule.count is not None and rule.hits >= rule.count:
            return False
        if self.rng.random() >= rule.rate:
            return False
        rule.hits += 1
        if rule.hits == rule.count:
            self.generation.advance()
        return True
