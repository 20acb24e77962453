"""Fault injection in the emulator: AWS's ordinary failures, on purpose, for any client.

Rules (``fault_rule``) live in the emulator's memory only (``fault_rules``), so they die with it,
and are set over HTTP (``/localcloud-api/faults``: GET lists them with their ``hits``, POST adds
one, DELETE clears them): the command line, the tests' fixture and the chaos suite all go through
it. ``Faults`` wraps the emulator's application outside its one-request lock, so added latency
delays only the call it is added to, and an injected error (``fault_answers``) never reaches moto
(nothing is written). Every injected fault is logged with its rule.

Operations are matched by what the request says on the wire: ``X-Amz-Target`` for the JSON
protocol (DynamoDB, Cognito, KMS, ...), ``Action`` and the signature's service for the query
protocol (STS, SNS, ...). Services of the REST protocols (Lambda, S3, API Gateway) are refused.

The local gateway asks whether a function's fault (a ``lambda:FUNCTION_NAME`` rule) fires for an
invocation (``POST /localcloud-api/faults/invocations`` with ``{"function": name}``), so these
rules are listed, counted and cleared with the others. With ``at`` the fault strikes once that
call of the handler has been served: the worker tags the call (``TAG``), the emulator decides here
whether the rule fires (its rate, its count), runs the call, and marks the answer (``MARK``); the
worker dies on reading the mark, before the handler sees the answer.
"""

from __future__ import annotations

import json
import re
import sys
import time
from urllib.parse import parse_qs

from localcloud.base.control_api import answer as _json
from localcloud.emulator.fault_answers import error_answer, request_body
from localcloud.emulator.fault_rule import JWKS, LAMBDA, Rule, RuleError
from localcloud.emulator.fault_rules import FaultRules

PATH = "/localcloud-api/faults"
"""The control endpoint (moto keeps its own under ``/moto-api/``)."""
INVOCATIONS = PATH + "/invocations"
"""Where the gateway asks whether a function fault fires for an invocation."""
TAG = "X-Localcloud-Fault-Rules"
"""A request header: the ``at`` rules (their ids, comma-separated) that this call may fire."""
MARK = "X-Localcloud-Fault"
"""A response header: the id of the ``at`` rule that fired on this call (its fault strikes)."""
_JWKS_PATH = "/.well-known/jwks.json"
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/")


def _request_of(environ) -> dict[str, str]:
    """What rules match on: the target, or the signed service and the query action."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return {"target": target}
    if environ.get("PATH_INFO", "").endswith(_JWKS_PATH):
        return {"path": JWKS}
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return {}
    body = request_body(environ)
    scope = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    action = (parse_qs(body.decode("utf-8", "replace")).get("Action") or [""])[0]
    return {"service": scope.group(1) if scope else "", "action": action}


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
            name = json.loads(request_body(environ) or b"{}").get("function")
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
            data = json.loads(request_body(environ) or b"null")
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
