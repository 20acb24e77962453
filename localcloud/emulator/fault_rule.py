"""A fault rule, and its validation against botocore's models of the services.

A rule names a service and one of its operations (as botocore's models name them:
``dynamodb:TransactWriteItems``), and what a matching call gets: an error of that operation
(one of its own error shapes, or ``TransactionConflict``: the ``TransactionCanceledException``
that DynamoDB sends when another transaction holds an item), added latency, or both. It applies
to a share of the matching calls (``rate``) and, with ``count``, to that many of them at most.

A rule on ``lambda:FUNCTION_NAME`` is a fault of the function itself, not of an AWS call:
``crash`` (its worker dies mid-request) or ``hang`` (its handler runs past its timeout); with
``at`` (``"dynamodb:TransactWriteItems"``) the fault strikes once that call of the handler has
been served (see ``fault_endpoint``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from botocore.exceptions import UnknownServiceError

if TYPE_CHECKING:
    import botocore.session

LAMBDA = "lambda"
FUNCTION_FAULTS = ("crash", "hang")
_FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""A function's name, as Lambda's ``FunctionName`` pattern allows it (without an ARN)."""
TRANSACTION_CONFLICT = "TransactionConflict"
JWKS = "JWKS"
"""``cognito-idp:JWKS``: a user pool's published keys (``/<pool-id>/.well-known/jwks.json``),
which no SDK operation names; they take a latency only."""
CANCELLED = "TransactionCanceledException"
_SERVER_ERRORS = {
    "InternalServerError": 500,
    "InternalServerException": 500,
    "InternalErrorException": 500,
    "InternalFailure": 500,
    "ServiceUnavailable": 503,
    "ServiceUnavailableException": 503,
}
"""Server-side errors whose model carries no status (DynamoDB's among them); the rest are 400s."""
_PROTOCOLS = ("json", "query")
MAX_LATENCY_MS = 60_000


class RuleError(ValueError):
    """A rule the emulator refuses; the message names the bad part."""


@cache
def _models() -> botocore.session.Session:
    # botocore's session here, not at the top: ``python -m localcloud`` reads this module to
    # dispatch its commands, and refuses a wrong command line before the session's imports
    # (a rule's check needs them, when one is given).
    # pylint: disable-next=import-outside-toplevel
    import botocore.session  # noqa: PLC0415

    return botocore.session.get_session()


@dataclass
class Rule:  # pylint: disable=too-many-instance-attributes  # the wire format's fields
    """One fault rule, validated against botocore's model of the service (``parse``)."""

    service: str
    operation: str
    error: str | None = None
    rate: float = 1.0
    count: int | None = None
    latency_ms: float = 0.0
    fault: str | None = None
    """A function's fault (``lambda:`` rules only): ``crash`` or ``hang``."""
    at: str | None = None
    """The call of the handler (``SERVICE:OPERATION``) at which the function's fault strikes,
    once the emulator has served it (None: the handler's first AWS call, before it leaves)."""
    id: int = 0
    hits: int = 0
    status: int = 0
    """The HTTP status the error is sent with (0: no error)."""
    code: str | None = None
    """The error's code on the wire."""
    match: dict[str, str] = field(default_factory=dict)
    """What a matching request carries: ``target``, or ``service`` and ``action``."""

    @classmethod
    def parse(cls, data: Any) -> Rule:
        """A rule from its JSON form; ``RuleError`` naming what is wrong."""
        if not isinstance(data, dict):
            raise RuleError("a fault rule is a JSON object")
        unknown = sorted(
            set(data)
            - {"service", "operation", "error", "rate", "count", "latency_ms", "fault", "at"}
        )
        if unknown:
            raise RuleError(f"unknown field {unknown[0]!r} in the fault rule")
        rule = cls(
            service=_text(data, "service"),
            operation=_text(data, "operation"),
            error=data.get("error"),
            rate=_number(data, "rate", 1.0, 0.0, 1.0),
            count=_count(data.get("count")),
            latency_ms=_number(data, "latency_ms", 0.0, 0.0, MAX_LATENCY_MS),
            fault=data.get("fault"),
            at=data.get("at"),
        )
        if rule.service == LAMBDA:
            rule.match = function_checked(
                rule.operation, rule.error, rule.latency_ms, rule.fault, rule.at
            )
            return rule
        for name in ("fault", "at"):
            if getattr(rule, name) is not None:
                raise RuleError(
                    f"{name} {getattr(rule, name)!r} is a function's: its target is "
                    f"lambda:FUNCTION_NAME, not {rule.service}:{rule.operation}"
                )
        if rule.error is None and not rule.latency_ms:
            raise RuleError("a fault rule needs an error, a latency, or both")
        rule.status, rule.code, rule.match = checked(rule.service, rule.operation, rule.error)
        return rule

    def describe(self) -> str:
        """One line: ``#1 dynamodb:TransactWriteItems error TransactionConflict (400) rate 0.2``."""
        return describe(self.public())

    def public(self) -> dict[str, Any]:
        """The rule as the control endpoint lists it."""
        return {k: v for k, v in asdict(self).items() if k not in ("match", "code")}


def describe(rule: dict[str, Any]) -> str:
    """One line for a rule in its listed form."""
    parts = [f"#{rule['id']} {rule['service']}:{rule['operation']}"]
    if rule.get("fault"):
        parts.append(f"fault {rule['fault']}")
    if rule.get("at"):
        parts.append(f"at {rule['at']}")
    if rule.get("error"):
        parts.append(f"error {rule['error']} ({rule['status']})")
    if rule.get("latency_ms"):
        parts.append(f"latency {rule['latency_ms']:g} ms")
    parts.append(f"rate {rule['rate']:g}")
    if rule.get("count") is not None:
        parts.append(f"count {rule['count']}")
    return " ".join(parts)


def _text(data: dict, name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise RuleError(f"the fault rule's {name} must be a non-empty string")
    return value


def _number(data: dict, name: str, default: float, low: float, high: float) -> float:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise RuleError(f"the fault rule's {name} must be a number from {low:g} to {high:g}")
    return float(value)


def _count(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RuleError("the fault rule's count must be a whole number of at least 1")
    return value


def function_checked(  # pylint: disable=too-many-arguments,too-many-positional-arguments
    name: str,
    error: str | None,
    latency_ms: float | None,
    fault: str | None,
    at: str | None = None,
) -> dict[str, str]:
    """What an invocation (or, with ``at``, a call) of a ``lambda:`` rule's function carries,
    or ``RuleError``."""
    if not _FUNCTION_NAME.fullmatch(name):
        raise RuleError(
            f"{name!r} is not a function name (letters, digits, - and _, at most 64 characters)"
        )
    if error is not None or latency_ms:
        raise RuleError(
            "lambda:FUNCTION_NAME takes a function fault (crash or hang), not an AWS error or "
            "a latency: Lambda's API speaks rest-json, which the emulator does not inject into"
        )
    if fault is None:
        raise RuleError(f"lambda:{name} needs a fault: {' or '.join(FUNCTION_FAULTS)}")
    if fault not in FUNCTION_FAULTS:
        raise RuleError(
            f"a function has no fault {fault!r} (its faults: {', '.join(FUNCTION_FAULTS)})"
        )
    if at is None:
        return {"function": name}
    return {"function": name, "at": call_checked(at)}


def call_checked(text: Any) -> str:
    """``SERVICE:OPERATION``, an AWS call a handler can make (any protocol: the worker matches
    it by botocore's model), or ``RuleError`` naming the unknown part."""
    service, colon, operation = text.partition(":") if isinstance(text, str) else ("", "", "")
    if not (service and colon and operation):
        raise RuleError(f"at {text!r} is not SERVICE:OPERATION (e.g. dynamodb:TransactWriteItems)")
    _operation_model(service, operation)
    return text


def _operation_model(service: str, operation: str):
    """botocore's model of ``service``'s ``operation``, or ``RuleError`` naming what is unknown."""
    try:
        model = _models().get_service_model(service)
    except UnknownServiceError:
        raise RuleError(f"unknown service {service!r}") from None
    # botocore's models are instance-cached properties, which pylint cannot see through.
    if operation not in model.operation_names:  # pylint: disable=unsupported-membership-test
        raise RuleError(f"service {service!r} has no operation {operation!r}")
    return model.operation_model(operation)


def checked(
    service: str, operation: str, error: str | None
) -> tuple[int, str | None, dict[str, str]]:
    """(HTTP status of ``error``, its code on the wire, what a matching request carries), or
    ``RuleError``."""
    if (service, operation) == ("cognito-idp", JWKS):
        if error is not None:
            raise RuleError(f"cognito-idp:{JWKS} takes a latency, not an error")
        return 0, None, {"path": JWKS}
    operation_model = _operation_model(service, operation)
    model = operation_model.service_model
    if model.protocol not in _PROTOCOLS:
        raise RuleError(
            f"service {service!r} speaks the {model.protocol} protocol; faults are injected "
            f"into services of the {' and '.join(_PROTOCOLS)} protocols only"
        )
    errors = {}
    for shape in operation_model.error_shapes:  # pylint: disable=E1133
        # An error is named by its shape, or by its code on the wire where that differs.
        errors[shape.name] = errors[shape.metadata.get("error", {}).get("code", shape.name)] = shape
    status = 0
    if error == TRANSACTION_CONFLICT and CANCELLED in errors:
        status = 400
    elif error is not None:
        if error not in errors:
            known = ", ".join(sorted(errors)) or "none"
            raise RuleError(f"{service}:{operation} has no error {error!r} (its errors: {known})")
        metadata = errors[error].metadata.get("error", {})
        status = metadata.get("httpStatusCode") or _SERVER_ERRORS.get(error, 400)
        error = metadata.get("code", error)
    if model.protocol == "json":  # pylint: disable=comparison-with-callable  # a property
        return status, error, {"target": f"{model.metadata['targetPrefix']}.{operation}"}
    return status, error, {"service": model.signing_name, "action": operation}
