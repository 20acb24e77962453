"""IAM policy evaluation as AWS documents it, for the emulator to judge calls with.

Pure: documents (JSON text or parsed) in, a decision out; no moto. One call is judged as AWS's
"policy evaluation logic" says: an applicable ``Deny`` statement wins, else an applicable
``Allow`` allows, else the documents are silent (``NEUTRAL``: an implicit deny for identity
policies). A statement applies when its Action (or NotAction), Resource (or NotResource), Principal
(or NotPrincipal, resource policies only) and every condition match. Wildcards are ``*`` and ``?``
(actions case-insensitively, resources case-sensitively). Condition operators: the String, Arn,
Numeric, Date, Bool, Null, IpAddress and BinaryEquals families, the ``ForAnyValue:`` and
``ForAllValues:`` set prefixes and the ``...IfExists`` suffix. A key absent from the context makes
a condition false, except for negated operators (true), ``...IfExists`` (true), ``Null``, and
``ForAllValues:`` (true), as the IAM User Guide's "Condition operators" page says.

Parsed documents are cached by their text: the emulator evaluates on every call.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache
from typing import Any


class Decision(Enum):
    """What a set of documents says about one request."""

    ALLOW = "allow"
    DENY = "deny"
    NEUTRAL = "neutral"


Context = Mapping[str, Any]
"""Condition keys of a request: a value (str, bool, number) or a list for a multivalued key."""


@lru_cache(maxsize=4096)
def _pattern(text: str, ignore_case: bool) -> re.Pattern:
    """``*`` and ``?`` wildcards as a regular expression over the whole value."""
    body = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in text
    )
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def like(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """Whether ``value`` matches ``pattern`` with IAM's wildcards."""
    if pattern == "*":
        return True
    return bool(_pattern(pattern, ignore_case).match(value))


def _listed(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _arn_like(pattern: str, value: str) -> bool:
    """ARN operators: each of the six colon-separated parts matched on its own."""
    wanted, found = pattern.split(":", 5), value.split(":", 5)
    if len(found) != 6 or len(wanted) != 6:
        return False
    return all(like(w, f) for w, f in zip(wanted, found, strict=True))


def _number(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _date(text: Any) -> float | None:
    number = _number(text)
    if number is not None:
        return number
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _compare(convert, test):
    def compare(wanted: Any, found: Any) -> bool:
        left, right = convert(found), convert(wanted)
        return left is not None and right is not None and test(left, right)

    return compare


def _ip(wanted: Any, found: Any) -> bool:
    try:
        return ipaddress.ip_address(str(found)) in ipaddress.ip_network(str(wanted), strict=False)
    except ValueError:
        return False


def _binary(wanted: Any, found: Any) -> bool:
    try:
        return base64.b64decode(str(wanted)) == base64.b64decode(str(found))
    except (binascii.Error, ValueError):
        return False


_MATCHERS = {
    "StringEquals": lambda w, f: _as_text(w) == _as_text(f),
    "StringEqualsIgnoreCase": lambda w, f: _as_text(w).lower() == _as_text(f).lower(),
    "StringLike": lambda w, f: like(_as_text(w), _as_text(f)),
    "ArnEquals": lambda w, f: _arn_like(_as_text(w), _as_text(f)),
    "ArnLike": lambda w, f: _arn_like(_as_text(w), _as_text(f)),
    "NumericEquals": _compare(_number, lambda a, b: a == b),
    "NumericLessThan": _compare(_number, lambda a, b: a < b),
    "NumericLessThanEquals": _compare(_number, lambda a, b: a <= b),
    "NumericGreaterThan": _compare(_number, lambda a, b: a > b),
    "NumericGreaterThanEquals": _compare(_number, lambda a, b: a >= b),
    "DateEquals": _compare(_date, lambda a, b: a == b),
    "DateLessThan": _compare(_date, lambda a, b: a < b),
    "DateLessThanEquals": _compare(_date, lambda a, b: a <= b),
    "DateGreaterThan": _compare(_date, lambda a, b: a > b),
    "DateGreaterThanEquals": _compare(_date, lambda a, b: a >= b),
    "Bool": lambda w, f: _as_text(w).lower() == _as_text(f).lower(),
    "BinaryEquals": _binary,
    "IpAddress": _ip,
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
}


class UnknownOperator(ValueError):
    """A condition operator IAM does not define: AWS refuses such a policy when it is put."""


@lru_cache(maxsize=256)
def _split_operator(operator: str) -> tuple[str, str, bool]:
    """(set prefix or "", base operator, whether ...IfExists)."""
    prefix, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists") and base != "IfExists"
    if if_exists:
        base = base[: -len("IfExists")]
    if base != "Null" and base not in _MATCHERS and base not in _NEGATED:
        raise UnknownOperator(f"unknown condition operator {operator}")
    if prefix not in ("", "ForAnyValue", "ForAllValues"):
        raise UnknownOperator(f"unknown condition operator {operator}")
    return prefix, base, if_exists


def _key_matches(operator: str, wanted: list, found: Any, present: bool) -> bool:
    """One key of one operator: ``wanted`` the policy's values, ``found`` the context's."""
    prefix, base, if_exists = _split_operator(operator)
    if base == "Null":
        return any(_as_text(w).lower() == ("false" if present else "true") for w in wanted)
    negated = base in _NEGATED
    test = _MATCHERS[_NEGATED.get(base, base)]
    values = _listed(found) if present else []
    if prefix == "ForAllValues":
        if negated:
            return all(not any(test(w, v) for w in wanted) for v in values)
        return all(any(test(w, v) for w in wanted) for v in values)
    if not values:
        if prefix == "ForAnyValue":
            return False
        return if_exists or negated
    if negated:
        hits = [not any(test(w, v) for w in wanted) for v in values]
    else:
        hits = [any(test(w, v) for w in wanted) for v in values]
    return any(hits) if prefix == "ForAnyValue" or not negated else all(hits)


def conditions_match(condition: Mapping[str, Mapping[str, Any]] | None, context: Context) -> bool:
    """Whether every operator and key of a Condition element holds in ``context`` (condition key
    names compared case-insensitively, as AWS compares them)."""
    lowered = {key.lower(): value for key, value in context.items()}
    return _holds(
        {
            op: {key.lower(): _listed(v) for key, v in keys.items()}
            for op, keys in (condition or {}).items()
        },
        lowered,
    )


def _holds(condition: Mapping[str, Mapping[str, list]], lowered: Mapping[str, Any]) -> bool:
    """``conditions_match`` over lower-cased key names on both sides."""
    for operator, keys in condition.items():
        for key, wanted in keys.items():
            found = lowered.get(key)
            present = found is not None and found not in ([], ())
            if not _key_matches(operator, wanted, found, present):
                return False
    return True


def _principal_names(element: Any) -> dict[str, list[str]]:
    """A Principal element as {kind: names}; ``"*"`` is everyone."""
    if element == "*":
        return {"*": ["*"]}
    return {kind: _listed(names) for kind, names in (element or {}).items()}


def principal_matches(element: Any, principal: str) -> bool:
    """Whether a Principal element names ``principal``: an ARN (a user, a role's session, a
    federated provider), an account, or a service principal (``events.amazonaws.com``).

    A role's ARN names its sessions; an account (its id, or its ``root`` ARN) names every
    principal in it, as a resource policy's Principal does on AWS."""
    names = _principal_names(element)
    if "*" in names:
        return True
    if not principal.startswith("arn:"):
        return principal in names.get("Service", [])
    if principal in names.get("Federated", []):
        return True
    account = principal.split(":")[4] if principal.count(":") >= 5 else ""
    role = role_of_session(principal)
    for name in names.get("AWS", []):
        if name in ("*", principal, account, role) or name == _root(principal, account):
            return True
    return False


def _root(principal: str, account: str) -> str:
    return f"arn:{principal.split(':')[1]}:iam::{account}:root"


def role_of_session(principal: str) -> str | None:
    """``arn:aws:sts::A:assumed-role/NAME/session`` -> ``arn:aws:iam::A:role/NAME``."""
    parts = principal.split(":", 5)
    if len(parts) != 6 or not parts[5].startswith("assumed-role/"):
        return None
    name = parts[5].split("/")[1]
    return f"arn:{parts[1]}:iam::{parts[4]}:role/{name}"


class Statement:  # pylint: disable=too-few-public-methods
    """One statement, parsed once."""

    def __init__(self, raw: Mapping[str, Any]):
        self.deny = raw.get("Effect") == "Deny"
        self.actions, self.not_actions = _listed(raw.get("Action")), _listed(raw.get("NotAction"))
        self.resources = _listed(raw.get("Resource"))
        self.not_resources = _listed(raw.get("NotResource"))
        self.principal, self.not_principal = raw.get("Principal"), raw.get("NotPrincipal")
        self.condition = {
            operator: {key.lower(): _listed(values) for key, values in keys.items()}
            for operator, keys in (raw.get("Condition") or {}).items()
        }
        for operator in self.condition:
            _split_operator(operator)

    def _names(self, action: str, resource: str) -> bool:
        """Whether the Action/NotAction and Resource/NotResource elements take the request in."""
        if self.actions and not any(like(a, action, ignore_case=True) for a in self.actions):
            return False
        if self.not_actions and any(like(a, action, ignore_case=True) for a in self.not_actions):
            return False
        if self.resources and not any(like(r, resource) for r in self.resources):
            return False
        return not (self.not_resources and any(like(r, resource) for r in self.not_resources))

    def _admits(self, principal: str | None) -> bool:
        """Whether the Principal/NotPrincipal elements take ``principal`` in (None: not asked)."""
        if principal is None:
            return True
        if self.principal is not None and not principal_matches(self.principal, principal):
            return False
        return self.not_principal is None or not principal_matches(self.not_principal, principal)

    def applies(self, action: str, resource: str, lowered: Context, principal: str | None) -> bool:
        """Whether this statement speaks about the request (``lowered``: the context with its
        key names in lower case)."""
        return (
            self._names(action, resource)
            and self._admits(principal)
            and _holds(self.condition, lowered)
        )


@lru_cache(maxsize=1024)
def _parse(text: str) -> tuple[Statement, ...]:
    document = json.loads(text)
    return tuple(Statement(raw) for raw in _listed(document.get("Statement")))


def statements(document: str | Mapping[str, Any]) -> tuple[Statement, ...]:
    """A document's statements, parsed once per distinct text."""
    if isinstance(document, str):
        return _parse(document)
    return _parse(json.dumps(document, sort_keys=True))


def evaluate(
    documents: Iterable[str | Mapping[str, Any]],
    action: str,
    resource: str,
    context: Context | None = None,
    principal: str | None = None,
) -> Decision:
    """What ``documents`` together say about ``action`` on ``resource``: an applicable Deny
    wins, then an applicable Allow; ``NEUTRAL`` when no statement applies. ``principal`` (the
    caller's ARN, or a service principal) is matched against Principal/NotPrincipal, as in a
    resource or trust policy; leave it None for identity policies and boundaries."""
    lowered = {key.lower(): value for key, value in (context or {}).items()}
    decision = Decision.NEUTRAL
    for document in documents:
        for statement in statements(document):
            if statement.applies(action, resource, lowered, principal):
                if statement.deny:
                    return Decision.DENY
                decision = Decision.ALLOW
    return decision


def allowed(
    identity_documents: Iterable[str | Mapping[str, Any]],
    boundary_documents: Iterable[str | Mapping[str, Any]] | None,
    action: str,
    resource: str,
    context: Context | None = None,
) -> bool:
    """Whether a principal's identity policies allow the request within its permissions
    boundary (None: it has none): both must allow, and neither deny."""
    if evaluate(identity_documents, action, resource, context) is not Decision.ALLOW:
        return False
    if boundary_documents is None:
        return True
    return evaluate(boundary_documents, action, resource, context) is Decision.ALLOW
