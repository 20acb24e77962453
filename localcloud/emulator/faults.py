"""Fault injection in the emulator: AWS's ordinary failures, on purpose, for any client.

A rule names a service and one of its operations (as botocore's models name them:
``dynamodb:TransactWriteItems``), and what a matching call gets: an error of that operation
(one of its own error shapes, or ``TransactionConflict``: the ``TransactionCanceledException``
that DynamoDB sends when another transaction holds an item), added latency, or both. It applies
to a share of the matching calls (``rate``) and, with ``count``, to that many of them at most.

Rules live in the emulator's memory only, so they die with it, and are set over HTTP
(``/localcloud-api/faults``: GET lists them with their ``hits``, POST adds one, DELETE clears
them): the command line, the tests' fixture and the chaos suite all go through it. ``Faults``
wraps the emulator's application outside its one-request lock, so added latency delays only the
call it is added to, and an injected error never reaches moto (nothing is written). Every
injected fault is logged with its rule.

Operations are matched by what the request says on the wire: ``X-Amz-Target`` for the JSON
protocol (DynamoDB, Cognito, KMS, ...), ``Action`` and the signature's service for the query
protocol (STS, SNS, ...). Services of the REST protocols (Lambda, S3, API Gateway) are refused.

A rule on ``lambda:FUNCTION_NAME`` is a fault of the function itself, not of an AWS call:
``crash`` (its worker dies mid-request) or ``hang`` (its handler runs past its timeout). The
local gateway asks whether one fires for an invocation (``POST /localcloud-api/faults/invocations``
with ``{"function": name}``), so these rules are listed, counted and cleared with the others.
With ``at`` (``"dynamodb:TransactWriteItems"``) the fault strikes once that call of the handler
has been served: the worker tags the call (``TAG``), the emulator decides here whether the rule
fires (its rate, its count), runs the call, and marks the answer (``MARK``); the worker dies on
reading the mark, before the handler sees the answer.

The rules' generation changes whenever rules are added, cleared or used up; the emulator writes it
to a file (``Generation``) before it answers, and lists it with the rules, so that the gateway
keeps the function rules it fetched until the file says otherwise, whoever changed them.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import botocore.session
from botocore.exceptions import UnknownServiceError

PATH = "/localcloud-api/faults"
"""The control endpoint (moto keeps its own under ``/moto-api/``)."""
INVOCATIONS = PATH + "/invocations"
"""Where the gateway asks whether a function fault fires for an invocation."""
LAMBDA = "lambda"
TAG = "X-Localcloud-Fault-Rules"
"""A request header: the ``at`` rules (their ids, comma-separated) that this call may fire."""
MARK = "X-Localcloud-Fault"
"""A response header: the id of the ``at`` rule that fired on this call (its fault strikes)."""
FUNCTION_FAULTS = ("crash", "hang")
_FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""A function's name, as Lambda's ``FunctionName`` pattern allows it (without an ARN)."""
TRANSACTION_CONFLICT = "TransactionConflict"
JWKS = "JWKS"
"""``cognito-idp:JWKS``: a user pool's published keys (``/<pool-id>/.well-known/jwks.json``),
which no SDK operation names; they take a latency only."""
_JWKS_PATH = "/.well-known/jwks.json"
_CANCELLED = "TransactionCanceledException"
_SERVER_ERRORS = {
    "InternalServerError": 500,
    "InternalServerException": 500,
    "InternalErrorException": 500,
    "InternalFailure": 500,
    "ServiceUnavailable": 503,
    "ServiceUnavailableException": 503,
}
"""Server-side errors whose model carries no status (DynamoDB's among them); the rest are 400s."""
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/")
_PROTOCOLS = ("json", "query")
MAX_LATENCY_MS = 60_000


class RuleError(ValueError):
    """A rule the emulator refuses; the message names the bad part."""


@cache
def _models() -> botocore.session.Session:
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
    if error == TRANSACTION_CONFLICT and _CANCELLED in errors:
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


def _request_of(environ) -> dict[str, str]:
    """What rules match on: the target, or the signed service and the query action."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return {"target": target}
    if environ.get("PATH_INFO", "").endswith(_JWKS_PATH):
        return {"path": JWKS}
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return {}
    body = _body(environ)
    scope = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    action = (parse_qs(body.decode("utf-8", "replace")).get("Action") or [""])[0]
    return {"service": scope.group(1) if scope else "", "action": action}


def _body(environ) -> bytes:
    """The request body, put back for the application to read again."""
    length = environ.get("CONTENT_LENGTH")
    stream = environ["wsgi.input"]
    body = stream.read(int(length)) if length else stream.read()
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def error_answer(rule: Rule, environ) -> tuple[str, list[tuple[str, str]], bytes]:
    """(status line, headers, body) of ``rule``'s error, in the operation's own wire shape."""
    message = f"Injected by the local cloud's fault rule #{rule.id}."
    request_id = str(uuid.uuid4())
    if "target" in rule.match:
        prefix = "com.amazonaws.dynamodb.v20120810#" if rule.service == "dynamodb" else ""
        answer: dict[str, Any] = {"__type": prefix + (rule.code or ""), "message": message}
        if rule.error == TRANSACTION_CONFLICT:
            answer = _conflict(prefix, environ)
        body = json.dumps(answer).encode()
        content_type = "application/x-amz-json-1.0"
    else:
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{rule.code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        content_type = "text/xml"
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("x-amzn-RequestId", request_id),
    ]
    return f"{rule.status} Injected", headers, body


def _conflict(prefix: str, environ) -> dict[str, Any]:
    """DynamoDB's cancellation of a transaction one of whose items another one holds."""
    try:
        request = json.loads(_body(environ) or b"{}")
        size = len(request.get("TransactItems") or request.get("TransactStatements") or [])
    except (ValueError, AttributeError):
        size = 1
    size = max(size, 1)
    reasons = [{"Code": "None"} for _ in range(size)]
    reasons[random.randrange(size)] = {  # which item conflicts: not a secret
        "Code": TRANSACTION_CONFLICT,
        "Message": "Transaction is ongoing for the item",
    }
    codes = ", ".join(reason["Code"] for reason in reasons)
    return {
        "__type": prefix + _CANCELLED,
        "Message": "Transaction cancelled, please refer cancellation reasons for specific "
        f"reasons [{codes}]",
        "CancellationReasons": reasons,
    }


class Faults:  # pylint: disable=too-few-public-methods
    """WSGI middleware: the control endpoint, and the rules applied to every other request."""

    def __init__(self, app, rules: FaultRules | None = None, stream=None, functions=None):
        self.app = app
        self.functions = functions
        """The names of the emulator's Lambda functions (None: function rules go unchecked)."""
        self.rules = rules or FaultRules()
        self.stream = stream or sys.stderr

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "").rstrip("/")
        if path == PATH:
            return self._control(environ, start_response)
        if path == INVOCATIONS and environ.get("REQUEST_METHOD") == "POST":
            return self._invocation(environ, start_response)
        tagged = environ.get("HTTP_" + TAG.upper().replace("-", "_"))
        struck = self.rules.strike(tagged) if tagged else None
        if struck is not None:
            print(f"fault injected: {struck.describe()}", file=self.stream, flush=True)
            start_response = _marked(start_response, struck)
        if not self.rules.rules:
            return self.app(environ, start_response)
        rule = self.rules.hit(_request_of(environ))
        if rule is None:
            return self.app(environ, start_response)
        print(f"fault injected: {rule.describe()}", file=self.stream, flush=True)
        if rule.latency_ms:
            time.sleep(rule.latency_ms / 1000)
        if rule.error is None:
            return self.app(environ, start_response)
        status, headers, body = error_answer(rule, environ)
        start_response(status, headers)
        return [body]

    def _invocation(self, environ, start_response):
        """The function fault that fires for this invocation of ``{"function": name}``, if any."""
        try:
            name = json.loads(_body(environ) or b"{}").get("function")
        except (ValueError, AttributeError):
            name = None
        if not isinstance(name, str):
            return _json(start_response, "400 Bad Request", {"error": "no function named"})
        rule = self.rules.hit({"function": name}) if self.rules.rules else None
        if rule is None:
            return _json(start_response, "200 OK", {"rule": None})
        print(f"fault injected: {rule.describe()}", file=self.stream, flush=True)
        return _json(start_response, "200 OK", {"rule": rule.public()})

    def _control(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if method == "GET":
            return _json(start_response, "200 OK", self.rules.listed())
        if method == "DELETE":
            dropped = self.rules.clear()
            print(f"fault rules cleared: {dropped}", file=self.stream, flush=True)
            return _json(start_response, "200 OK", {"cleared": dropped})
        if method != "POST":
            return _json(start_response, "405 Method Not Allowed", {"error": "GET, POST, DELETE"})
        try:
            data = json.loads(_body(environ) or b"null")
        except ValueError:
            return _json(start_response, "400 Bad Request", {"error": "the rule is not JSON"})
        try:
            rule = self.rules.add(self._deployed(Rule.parse(data)))
        except RuleError as exc:
            return _json(start_response, "400 Bad Request", {"error": str(exc)})
        print(f"fault rule added: {rule.describe()}", file=self.stream, flush=True)
        return _json(start_response, "201 Created", rule.public())

    def _deployed(self, rule: Rule) -> Rule:
        """``rule``, if the function it names is deployed; else ``RuleError``."""
        if rule.service != LAMBDA or self.functions is None:
            return rule
        functions = self.functions()
        if rule.operation not in functions:
            known = ", ".join(sorted(functions)) or "none"
            raise RuleError(f"no function {rule.operation!r} is deployed (deployed: {known})")
        return rule


def _marked(start_response, rule: Rule):
    """``start_response`` that marks the answer with ``rule``'s id (``MARK``)."""

    def start(status, headers, exc_info=None):
        return start_response(status, [*headers, (MARK, str(rule.id))], exc_info)

    return start


def _json(start_response, status: str, data: Any) -> list[bytes]:
    body = json.dumps(data).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
