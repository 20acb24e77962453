"""moto's server application, as the local cloud's AWS: what
``python -m localcloud.emulator.moto_server`` serves (``serve``).

What it adds to moto's own server application (what it changes in moto's classes, the patch
book puts in place: ``localcloud.emulator.patches``):

- **One request at a time.** AWS makes every DynamoDB request atomic, transactions above all: of
  two racing ``TransactWriteItems`` with the same condition, one fails. moto checks conditions
  and writes item by item with no lock, so over its threaded server both can succeed (two
  sign-ups with one email, an oversold product). Serializing requests restores AWS's atomicity
  per request while requests still interleave between calls, which is what the store's condition
  expressions are for.
- **Idempotency tokens honoured** (``IdempotencyTokens``), and **AWS's 409 for a repeated create**
  that moto would store twice (``localcloud.emulator.moto_fixes``): an SDK that never got a response
  sends the same request again, and on AWS that never leaves two of anything behind.
- **An SDK's retry answered, not run again** (``SdkRetries``): when a client gives up on an
  attempt the emulator already ran and sends it again, the retry gets the first answer, and the
  emulator's log says so.
- **IAM enforced** (``localcloud.emulator.moto_iam``): the account's administrator and the gateway's
  Lambda identity exist from the start, and every call is judged as AWS judges it
  (``localcloud.emulator.iam_enforcement``: resources resolved to ARNs, implied checks,
  conditions, permissions boundaries), switched on by ``INITIAL_NO_AUTH_ACTION_COUNT``
  (``localcloud.emulator.process`` sets it to 0); each check goes to the call log when
  ``LOCALCLOUD_IAM_LOG`` names one (``localcloud.emulator.call_log``). GitHub's OIDC tokens are
  minted at ``/localcloud-api/oidc/token`` and traded by ``AssumeRoleWithWebIdentity``
  (``localcloud.emulator.github_oidc``).
- **Faults injected on purpose** (``localcloud.emulator.fault_endpoint``): the rules set over its
  ``/localcloud-api/faults`` endpoint; a function's fault names one of its Lambda functions.
- **Its state saved and put back** (``--state-file``, ``--restore``; ``localcloud.emulator.state``):
  ``POST /_localcloud/save-state`` writes every backend to the state file, between two requests;
  ``--restore`` puts the file's backends in place before the server answers anything (or exits
  with status 3 and says why). The local cloud's warm start is built on it
  (``localcloud.deploy.warm``).
- **SNS refuses what SNS refuses** (``localcloud.emulator.moto_sns``): a Publish whose subject
  or size SNS would refuse is its ``InvalidParameter``.
- **EventBridge delivers as AWS does** (``localcloud.emulator.event_delivery``): a rule's event
  reaches an SQS target only if the queue's policy admits it, and is retried and dead-lettered
  per the target's configuration.
- **A clock and a mailbox** (``localcloud.emulator.clock``, ``localcloud.emulator.mailbox``):
  the local time the functions and schedules see (``/localcloud-api/clock``), and the mail SES
  kept, stamped with it (``/localcloud-api/mail``).
- **Backends warmed** (``--warm``) right after it listens, before any client needs them: moto
  builds each service's backend on its first request (IAM loads ~1,000 managed policies, EC2 its
  default VPC), seconds that would otherwise hold the one-request lock at the start of a deploy.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import signal
import sys
import threading
import time
import uuid
from collections import OrderedDict
from urllib.parse import parse_qs

from moto.awslambda.models import lambda_backends
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from localcloud.base import aws
from localcloud.base.control_api import answer as _json
from localcloud.emulator import (
    event_delivery,
    fault_endpoint,
    github_oidc,
    mailbox,
    moto_iam,
    state,
)
from localcloud.emulator.clock import ClockEndpoint
from localcloud.emulator.patches import book
from localcloud.emulator.process import SAVE_STATE_PATH

CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/")
ATTEMPT = re.compile(r"attempt=(\d+)")
DYNAMODB_TOKEN_TTL_S = 600.0
"""DynamoDB honours a transaction's ClientRequestToken for 10 minutes."""
WARMED = (
    ("sts", "get_caller_identity", {}),
    ("iam", "list_roles", {}),
    ("kms", "list_keys", {}),
    ("ec2", "describe_vpcs", {}),
    ("logs", "describe_log_groups", {}),
    ("dynamodb", "list_tables", {}),
    ("lambda", "list_functions", {}),
    ("apigateway", "get_rest_apis", {}),
    ("sns", "list_topics", {}),
    ("cloudwatch", "describe_alarms", {}),
    ("wafv2", "list_web_acls", {"Scope": "REGIONAL"}),
)
"""One read per service the stack's deploy uses: what makes moto build each backend."""
RESTORE_FAILED = 3
"""The server's exit status when ``--restore`` cannot put the state back."""


def _whole_body(app):
    """``app`` with its response produced whole (a list of one bytes)."""

    def call(environ, start_response):
        result = app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            if hasattr(result, "close"):
                result.close()

    return call


class Serialized:  # pylint: disable=too-few-public-methods
    """WSGI middleware: one request inside ``app`` at a time, its body produced under the lock."""

    def __init__(self, app):
        self.app = _whole_body(app)
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            return self.app(environ, start_response)


def _read_body(environ) -> bytes:
    """The request body, put back for the application to read again."""
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    body = stream.read(int(length)) if length else stream.read()
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def _scope(environ) -> tuple[str, str]:
    """(region, service) of the request's signature."""
    found = CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return (found.group(1), found.group(2)) if found else ("", "")


class IdempotencyTokens:  # pylint: disable=too-few-public-methods
    """WSGI middleware: a request carrying the idempotency token of an earlier successful one
    gets that one's response again and changes nothing, as AWS answers; the same token with other
    parameters is AWS's ``IdempotentParameterMismatch``.

    Tokens honoured: EC2's ``ClientToken`` (CreateRouteTable, CreateVpcEndpoint, CreateFlowLogs
    and every other action that takes one) and DynamoDB's ``ClientRequestToken`` on transactions
    (for 10 minutes). Wrap it in ``Serialized`` so that the check and the write are one step.
    """

    def __init__(self, app, clock=time.monotonic):
        self.app = _whole_body(app)
        self.clock = clock
        self._done: dict[tuple, tuple[str, str, list, list[bytes], float]] = {}

    def _token(self, environ) -> tuple[tuple, str, str] | None:
        """(key, fingerprint, protocol) of a request that carries a token, else None."""
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.endswith((".TransactWriteItems", ".ExecuteTransaction")):
            body = _read_body(environ)
            try:
                token = json.loads(body or b"{}").get("ClientRequestToken")
            except (ValueError, AttributeError):
                return None
            protocol, action = "json", target
        elif environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            body = _read_body(environ)
            if b"ClientToken=" not in body:
                return None
            params = parse_qs(body.decode("utf-8", "replace"))
            token = (params.get("ClientToken") or [None])[0]
            protocol, action = "query", (params.get("Action") or [""])[0]
        else:
            return None
        if not token:
            return None
        key = (*_scope(environ), action, token)
        return key, hashlib.sha256(body).hexdigest(), protocol

    def __call__(self, environ, start_response):
        found = self._token(environ)
        if found is None:
            return self.app(environ, start_response)
        key, fingerprint, protocol = found
        now = self.clock()
        done = self._done.get(key)
        if done is not None and protocol == "json" and now - done[4] > DYNAMODB_TOKEN_TTL_S:
            done = None
        if done is not None:
            if done[0] != fingerprint:
                return _mismatch(protocol, start_response)
            start_response(done[1], done[2])
            return done[3]
        seen = {}

        def capture(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.app(environ, capture)
        if seen.get("status", "").startswith("2"):
            self._done[key] = (fingerprint, seen["status"], list(seen["headers"]), body, now)
        return body


def _mismatch(protocol: str, start_response) -> list[bytes]:
    message = "The client token was already used with different parameters."
    if protocol == "json":
        body = json.dumps(
            {
                "__type": "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
                "message": message,
            }
        ).encode()
        content_type = "application/x-amz-json-1.0"
    else:
        body = (
            "<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error>"
            f"<Code>IdempotentParameterMismatch</Code><Message>{message}</Message>"
            f"</Error></Errors><RequestID>{uuid.uuid4()}</RequestID></Response>"
        ).encode()
        content_type = "text/xml"
    start_response(
        "400 Bad Request", [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    )
    return [body]


class SdkRetries:  # pylint: disable=too-few-public-methods
    """WSGI middleware: an SDK's retry of a request this emulator already answered gets that
    answer again instead of running twice; each retry is logged.

    AWS SDKs mark every attempt (``amz-sdk-invocation-id``, the same for all attempts of one
    call, and ``amz-sdk-request: attempt=N``). The Terraform provider's client sometimes gives up
    on an attempt a few milliseconds after sending it, whole, on a fresh connection, and retries
    it: the emulator had run the first attempt, so a non-idempotent call (AddPermission,
    DetachRolePolicy) ran twice. The answer of a completed attempt is kept (the last
    ``capacity`` calls, bodies up to 1 MiB; never a 5xx, which an SDK retries on purpose) and a
    later attempt of the same call is answered with it. Wrap it in ``Serialized``, so that an
    attempt is stored before the next one is looked at.
    """

    MAX_BODY = 1024 * 1024

    def __init__(self, app, stream=None, capacity: int = 4096):
        self.app = _whole_body(app)
        self.stream = stream or sys.stderr
        self.capacity = capacity
        self._answered: OrderedDict[str, tuple[str, list, list[bytes], int]] = OrderedDict()

    def __call__(self, environ, start_response):
        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
        found = ATTEMPT.search(environ.get("HTTP_AMZ_SDK_REQUEST", ""))
        attempt = int(found.group(1)) if found else 1
        if invocation and attempt > 1:
            answered = self._answered.get(invocation)
            what = _operation(environ)
            if answered is not None:
                status, headers, body, first = answered
                self._log(f"{what} attempt {attempt}: answered with attempt {first}'s {status}")
                start_response(status, headers)
                return body
            self._log(f"{what} attempt {attempt}")
        if not invocation:
            return self.app(environ, start_response)
        seen = {}

        def capture(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.app(environ, capture)
        status = seen.get("status", "500")
        if not status.startswith("5") and sum(map(len, body)) <= self.MAX_BODY:
            self._answered[invocation] = (status, list(seen["headers"]), body, attempt)
            self._answered.move_to_end(invocation)
            while len(self._answered) > self.capacity:
                self._answered.popitem(last=False)
        return body

    def _log(self, message: str) -> None:
        print(f"retried request: {message}", file=self.stream, flush=True)


def _operation(environ) -> str:
    """``METHOD what``: the target, the query action or the path of a request."""
    operation = environ.get("HTTP_X_AMZ_TARGET") or environ.get("PATH_INFO", "")
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        action = parse_qs(_read_body(environ).decode("utf-8", "replace")).get("Action")
        operation = f"{_scope(environ)[1]}:{(action or ['?'])[0]}"
    return f"{environ.get('REQUEST_METHOD')} {operation}"


class StateEndpoint:  # pylint: disable=too-few-public-methods
    """WSGI middleware: ``POST /_localcloud/save-state`` writes the emulator's state to
    ``state_file`` (no file given: the path is moto's like any other). Wrap it in ``Serialized``,
    so that no request changes anything while it is written."""

    def __init__(self, app, state_file):
        self.app = app
        self.state_file = state_file

    def __call__(self, environ, start_response):
        if not self.state_file or environ.get("PATH_INFO") != SAVE_STATE_PATH:
            return self.app(environ, start_response)
        if environ.get("REQUEST_METHOD") != "POST":
            return _json(start_response, "405 Method Not Allowed", {"error": "POST only"})
        started = time.monotonic()
        try:
            size = state.save(self.state_file)
        except (state.StateError, OSError) as exc:
            return _json(start_response, "500 Internal Server Error", {"error": str(exc)})
        seconds = round(time.monotonic() - started, 2)
        return _json(start_response, "200 OK", {"bytes": size, "seconds": seconds})


def application(state_file=None):
    """moto's server application, wrapped as the module docstring says."""
    book.install()
    moto_iam.create_principals()
    moto = DomainDispatcherApplication(create_backend_app)
    serialized = Serialized(StateEndpoint(SdkRetries(IdempotencyTokens(moto)), state_file))
    # Faults outside the lock: added latency delays only its own call.
    answered = fault_endpoint.Faults(serialized, functions=lambda_functions)
    # EventBridge's retries run between requests, under the same lock.
    event_delivery.configure(lock=serialized.lock, faults=answered.rules)
    return github_oidc.TokenEndpoint(ClockEndpoint(mailbox.MailEndpoint(answered)))


def lambda_functions() -> set[str]:
    """The names of the emulator's Lambda functions, in every account and region."""
    return {
        function.function_name
        for regions in list(lambda_backends.values())
        for backend in list(regions.values())
        for function in backend.list_functions()
    }


def warm(endpoint_url: str, region: str) -> float:
    """Build the backends of ``WARMED`` with one read each; seconds it took."""
    started = time.monotonic()
    session = aws.session(region)
    for service, operation, kwargs in WARMED:
        client = session.client(service, endpoint_url=endpoint_url)
        getattr(client, operation)(**kwargs)
    return time.monotonic() - started


def serve(args: argparse.Namespace) -> None:
    """Serve moto on ``args.host``/``args.port`` (the command line ``moto_server`` parsed) until
    SIGTERM or SIGINT."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: sys.exit(0))
    app = application(args.state_file)
    if args.restore:
        _restore(args.state_file)
    server = make_server(
        args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler
    )
    print(f" * Running on http://{args.host}:{server.port}", flush=True)
    if args.warm:

        def warm_up():
            seconds = warm(f"http://{args.host}:{server.port}", args.warm)
            print(f" * Backends built in {seconds:.1f} s", flush=True)

        threading.Thread(target=warm_up, name="warm", daemon=True).start()
    server.serve_forever()


def _restore(state_file) -> None:
    started = time.monotonic()
    try:
        count = state.restore(state_file)
    except state.StateError as exc:
        print(f"the state cannot be restored: {exc}", flush=True)
        sys.exit(RESTORE_FAILED)
    print(f" * State restored: {count} backends in {time.monotonic() - started:.1f} s", flush=True)
