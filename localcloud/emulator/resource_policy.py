"""A resource policy (a queue's, a key's) judged for one request, as IAM judges it: an explicit
``Deny`` that matches wins, else an ``Allow`` that matches allows, else the policy says nothing.

The local cloud asks it where a service acts on a resource whose policy decides (EventBridge
sending to a queue, the scheduler's role sending where the queue's policy denies); moto checks
identity policies only. It reads what the project's policies use: ``Principal`` (``*``, a
service, an account, a role or its sessions), ``Action``/``NotAction``, ``Resource``/
``NotResource`` with ``*`` and ``?`` wildcards, and the string and ARN condition operators (with
``IfExists``), ``Null`` and ``Bool``. A condition it does not know is not met, so an ``Allow``
resting on it allows nothing (never more than AWS would); that is said in the answer's reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

ALLOW, DENY, NEUTRAL = "ALLOW", "DENY", "NEUTRAL"
_READ = {
    "StringEquals",
    "StringEqualsIgnoreCase",
    "StringLike",
    "ArnEquals",
    "ArnLike",
    "Bool",
    "Null",
}
"""The condition operators read here (each with ``Not`` where IAM has one, and ``IfExists``)."""
_ASSUMED_ROLE = re.compile(r"arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/.+")


@dataclass(frozen=True)
class Verdict:
    """What a policy says of a request: ``ALLOW``, ``DENY`` or ``NEUTRAL``, and why."""

    decision: str
    reason: str


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _wildcard(pattern: str, text: str, ignore_case: bool = False) -> bool:
    expression = "".join(
        ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in str(pattern)
    )
    return (
        re.fullmatch(expression, text, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)
        is not None
    )


def _principal_matches(principal_block: Any, principal: str) -> bool:
    """Whether ``principal`` (a service name such as ``events.amazonaws.com``, or an ARN) is
    one the statement's ``Principal`` names."""
    if principal_block == "*":
        return True
    if not isinstance(principal_block, dict):
        return False
    if principal.endswith(".amazonaws.com"):
        return principal in _listed(principal_block.get("Service", []))
    names = set(_listed(principal_block.get("AWS", [])))
    if "*" in names or principal in names:
        return True
    session = _ASSUMED_ROLE.fullmatch(principal)
    account = session.group(2) if session else principal.split(":")[4]
    if session and f"arn:{session.group(1)}:iam::{account}:role/{session.group(3)}" in names:
        return True
    return account in names or any(n.endswith(f"::{account}:root") for n in names)


def _condition_met(operator: str, wanted: dict, context: dict[str, str]) -> bool | None:
    """Whether one operator's block holds (None: an operator this module does not read)."""
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if base.replace("Not", "") not in _READ:
        return None
    lowered = {k.lower(): v for k, v in context.items()}
    for key, values in wanted.items():
        present = key.lower() in lowered
        actual = lowered.get(key.lower())
        if base == "Null":
            if any(str(v).lower() == "true" for v in _listed(values)) == present:
                return False
            continue
        if not present:
            if if_exists or "Not" in base:
                continue
            return False
        holds = _compare(base, _listed(values), str(actual))
        if holds is None:
            return None
        if not holds:
            return False
    return True


def _compare(base: str, values: list, actual: str) -> bool | None:
    negated = "Not" in base
    kind = base.replace("Not", "")
    if kind in ("StringEquals", "ArnEquals", "ArnLike", "StringLike", "StringEqualsIgnoreCase"):
        like = kind in ("ArnEquals", "ArnLike", "StringLike")
        ignore_case = kind == "StringEqualsIgnoreCase"
        any_match = any(
            _wildcard(v, actual)
            if like
            else (str(v).lower() == actual.lower() if ignore_case else str(v) == actual)
            for v in values
        )
    elif kind == "Bool":
        any_match = any(str(v).lower() == actual.lower() for v in values)
    else:
        return None
    return not any_match if negated else any_match


def _names(statement: dict, key: str, value: str, ignore_case: bool = False) -> bool:
    """Whether ``value`` is among ``key`` (``Action``, ``Resource``) of ``statement``, or not
    among its ``Not`` form."""
    if key in statement:
        return any(_wildcard(p, value, ignore_case) for p in _listed(statement[key]))
    return not any(
        _wildcard(p, value, ignore_case) for p in _listed(statement.get("Not" + key, []))
    )


def _statement_applies(
    statement: dict, action: str, resource: str, context, principal
) -> tuple[bool, str]:
    applies = (
        "NotPrincipal" not in statement
        and _principal_matches(statement.get("Principal"), principal)
        and _names(statement, "Action", action, ignore_case=True)
        and _names(statement, "Resource", resource)
    )
    if not applies:
        return False, ""
    for operator, wanted in (statement.get("Condition") or {}).items():
        met = _condition_met(operator, wanted, context)
        if met is None:
            return False, f"condition operator {operator} is not read locally"
        if not met:
            return False, ""
    return True, ""


def evaluate(
    documents: list[str | dict], action: str, resource: str, context: dict[str, str], principal: str
) -> Verdict:
    """The verdict of ``documents`` (policies, as JSON or parsed) on ``principal`` doing ``action``
    on ``resource`` with the request's condition keys ``context``."""
    allowed_by = None
    unread = ""
    for document in documents:
        policy = json.loads(document) if isinstance(document, str) else document
        for index, statement in enumerate(_listed((policy or {}).get("Statement", []))):
            applies, why = _statement_applies(statement, action, resource, context, principal)
            unread = unread or why
            if not applies:
                continue
            name = statement.get("Sid") or f"statement {index}"
            if statement.get("Effect") == "Deny":
                return Verdict(DENY, f"denied explicitly by {name}")
            if statement.get("Effect") == "Allow" and allowed_by is None:
                allowed_by = name
    if allowed_by is not None:
        return Verdict(ALLOW, f"allowed by {allowed_by}")
    return Verdict(NEUTRAL, unread or "no statement allows it")
