"""Faults of the functions themselves, injected on purpose (``lambda:FUNCTION_NAME`` rules of
``localcloud.emulator.fault_endpoint``), as the gateway hands them to an invocation's worker,
where they strike (``worker_main.py``): ``crash`` kills the worker (API Gateway's 502), ``hang``
holds the handler past its timeout (504, the worker replaced).

The rules live in the emulator with the AWS faults, so ``faults list`` counts their hits and
``faults clear`` drops them. The gateway keeps the function rules it last fetched
(``FunctionRules``) for as long as the emulator's generation file holds the tag they were listed
with: the emulator rewrites that file before it answers any change (a rule added from another
shell, the rules cleared, a rule used up), so an invocation that starts after the change sees it.
Reading the file costs microseconds; only a function that has a rule of its own costs an HTTP
call: asking the emulator whether a rule without ``at`` fires now (the emulator counts the hit).
An ``at`` rule costs none: the worker tags the call it names, and the emulator decides on it.
"""

from __future__ import annotations

import functools
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from localcloud.emulator.fault_endpoint import INVOCATIONS, PATH
from localcloud.emulator.fault_rule import LAMBDA

ASK_TIMEOUT_S = 2.0
"""An emulator that does not answer this fast injects nothing (the invocation goes on)."""


@dataclass(frozen=True)
class InvocationFaults:
    """What an invocation's worker is handed: the fault that fires now (a rule without ``at``),
    and the ``at`` rules of the function, each of which may fire at its call."""

    fired: dict | None = None
    armed: list[dict] = field(default_factory=list)

    def described(self, rule_id: int) -> dict | None:
        """The rule with ``rule_id`` among these."""
        return next((rule for rule in self.armed if rule["id"] == rule_id), None)


@dataclass(frozen=True)
class _Fetched:
    tag: str | None
    """The generation the rules were listed with (None: not fetched, or no generation)."""
    file: Path | None
    rules: tuple[dict, ...] = ()


class FunctionRules:  # pylint: disable=too-few-public-methods
    """The emulator's function rules, as the gateway keeps them between changes."""

    def __init__(self, endpoint_url: str):
        self.endpoint_url = endpoint_url.rstrip("/")
        self._fetched = _Fetched(None, None)

    def for_invocation(self, function_name: str) -> InvocationFaults:
        """The faults of this invocation of ``function_name`` (see the module docstring)."""
        rules = [rule for rule in self._rules() if rule["operation"] == function_name]
        if not rules:
            return InvocationFaults()
        armed = [rule for rule in rules if rule.get("at")]
        fired = None
        if len(armed) < len(rules):
            fired = self._ask(function_name)
        return InvocationFaults(fired, armed)

    def _rules(self) -> tuple[dict, ...]:
        """The function rules, fetched again when the generation file no longer holds their
        tag (or cannot be read: then every time, which is slower but right)."""
        fetched = self._fetched  # one read: another thread may replace it meanwhile
        if fetched.tag is not None and _read(fetched.file) == fetched.tag:
            return fetched.rules
        try:
            listed = self._call("GET", PATH, None)
            rules = tuple(r for r in listed["rules"] if r["service"] == LAMBDA)
            where = listed.get("generationFile")
        except (urllib.error.URLError, OSError, ValueError, LookupError, TypeError):
            return ()  # an emulator that does not answer injects nothing
        self._fetched = _Fetched(listed.get("generation"), where and Path(where), rules)
        return rules

    def _ask(self, function_name: str) -> dict | None:
        """The rule (as the emulator lists it) that fires for this invocation, or None."""
        try:
            return self._call("POST", INVOCATIONS, {"function": function_name}).get("rule")
        except (urllib.error.URLError, OSError, ValueError, AttributeError):
            return None

    def _call(self, method: str, path: str, data) -> dict:
        request = urllib.request.Request(
            self.endpoint_url + path,
            data=None if data is None else json.dumps(data).encode(),
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=ASK_TIMEOUT_S) as response:
            return json.loads(response.read())


def _read(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


@functools.cache
def function_rules(endpoint_url: str) -> FunctionRules:
    """The function rules of the emulator at ``endpoint_url``, one keeper per emulator."""
    return FunctionRules(endpoint_url)
