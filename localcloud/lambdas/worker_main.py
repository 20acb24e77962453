"""A warm Lambda worker: runs one deployed function's handler, one invocation at a time.

The gateway starts this file as a script (``python -I worker_main.py CODE_DIR HANDLER``) on the
interpreter of the function's runtime (``localcloud.lambdas.runtimes``: ``.venv-lambda-3.12`` for
python3.12), with the function's environment, so it imports nothing from the project and must run
on every runtime's Python: ``sys.path`` is the extracted deployment package first, then that
environment's site-packages (the runtime's boto3 and the layer's Powertools, as on AWS).

A spare worker (``worker_main.py --spare``, watch mode's) imports the libraries the handlers use
first (``PRELOADED``), then waits for one line naming the code, the handler and the environment,
and goes on as a worker started for them: a save's new workers skip those imports.

Protocol: JSON lines. The worker writes ``{"type": "ready"}`` (or ``init_error``) once its handler
is imported, then for each ``{"type": "invoke", ...}`` line read from stdin it writes one
``result`` or ``error`` line. An ``invoke`` line may carry a ``fault`` injected by a rule
(``localcloud.emulator.fault_endpoint``): it strikes at the handler's first AWS call, before the
call leaves, or as the handler returns if it makes none: ``crash`` kills the worker (SIGKILL, as
when Lambda's execution environment dies), ``hang`` holds it until the gateway stops it at the
function's timeout. It may carry ``armed`` rules too
(``{"id", "fault", "at": "SERVICE:OPERATION"}``): the handler's calls of that operation go out
tagged with the rules' ids (``TAG``); when the emulator's answer is marked with one (``MARK``: it
fired, the call was served), the worker writes a ``fault`` line naming the rule and strikes before
the handler sees the answer. Its own stdout and stderr both go to the gateway's stderr, like a
function's logs; the protocol uses a private copy of the original stdout.

Before each invocation the worker reads the local cloud's clock into ``STORE_CLOCK_OFFSET_SECONDS``,
the offset that the handlers' "now" adds: from the file the emulator publishes it in
(``localcloud.emulator.clock``), which an ``advance`` rewrites before it answers, so it holds
from the next invocation on, in every worker; the file's path comes from the first answer of
``/localcloud-api/clock``. An emulator that does not answer leaves the offset at 0.
"""

import contextlib
import decimal
import functools
import importlib
import importlib.util
import json
import os
import signal
import sys
import time
import traceback
import urllib.request
from pathlib import Path

PRELOADED = (
    "boto3",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.tracing",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.utilities.idempotency",
    # What Powertools' Tracer imports when a handler makes one: X-Ray's recorder (built at
    # import, in Lambda mode since LAMBDA_TASK_ROOT is set, as for the function) and its
    # botocore patch (imported, not applied: the Tracer applies it).
    "aws_xray_sdk.core",
    "aws_xray_sdk.ext.botocore.patch",
    "fastjsonschema",
)
"""What a spare worker imports ahead: the handlers' libraries (whatever is installed of them)."""
TAG = "X-Localcloud-Fault-Rules"
MARK = "X-Localcloud-Fault"
"""``localcloud.emulator.fault_endpoint``' headers (this file imports nothing of the project)."""
CLOCK_PATH = "/localcloud-api/clock"
CLOCK_OFFSET = "STORE_CLOCK_OFFSET_SECONDS"


class LambdaContext:  # pylint: disable=too-few-public-methods,too-many-instance-attributes
    """The context object of the Python Lambda runtime (the attributes handlers use)."""

    def __init__(self, info):
        self.aws_request_id = info["awsRequestId"]
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = info["invokedFunctionArn"]
        # The real runtime takes this from the environment too, so it is a string.
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline_ms = info["deadlineMs"]

    def get_remaining_time_in_millis(self):
        """Milliseconds left before the function's timeout."""
        return max(int(self._deadline_ms - time.time() * 1000), 0)


def _decimal_default(value):
    # The Lambda runtime's marshaller turns Decimal into a number as well.
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _load_handler(handler):
    module_name, _, function_name = handler.rpartition(".")
    if not module_name:
        raise ValueError(f"Bad handler '{handler}': expected module.function")
    module = importlib.import_module(module_name.replace("/", "."))
    function = getattr(module, function_name, None)
    if function is None:
        raise AttributeError(f"Handler '{function_name}' missing on module '{module_name}'")
    return function


def _spare():
    """Import ``PRELOADED``, then wait for the function to run: (code dir, handler), or None
    when stdin closes first. Its environment replaces the process's."""
    for name in PRELOADED:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    line = sys.stdin.readline()
    if not line:
        return None
    setup = json.loads(line)
    os.environ.clear()
    os.environ.update(setup["env"])
    time.tzset()
    return setup["codeDir"], setup["handler"]


_clock_file: list[str] = []
"""The emulator's file of the clock's offset, once an answer of its endpoint named it."""


def _read_clock():
    """The local clock's offset into ``STORE_CLOCK_OFFSET_SECONDS`` (0 when it cannot be read):
    from the emulator's offset file once known (microseconds), else from its endpoint."""
    offset = None
    if _clock_file:
        try:
            offset = float(Path(_clock_file[0]).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            _clock_file.clear()  # the emulator is gone or another one runs: ask it again
    if offset is None:
        offset = 0.0
        endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
        try:
            with urllib.request.urlopen(endpoint.rstrip("/") + CLOCK_PATH, timeout=2) as answer:
                reading = json.loads(answer.read())
            offset = float(reading["offsetSeconds"])
            if reading.get("offsetFile"):
                _clock_file[:] = [reading["offsetFile"]]
        except (OSError, ValueError, KeyError, TypeError):
            pass
    os.environ[CLOCK_OFFSET] = repr(offset)


def _strike(fault):
    """The injected fault, now: never returns."""
    print(f"[FAULT] injected: {fault}", file=sys.stderr, flush=True)
    if fault == "crash":
        os.kill(os.getpid(), signal.SIGKILL)
    while True:  # hang: the gateway kills the worker at the function's timeout
        time.sleep(3600)


def _armed(fault, armed, announce):
    """While the handler runs, its first AWS call strikes with ``fault`` (if any), and its calls
    that ``armed`` rules name are tagged, to strike when the emulator marks their answer (after
    ``announce``-ing the rule to the gateway)."""
    if fault is None and not armed:
        return contextlib.nullcontext(False)
    rules = {str(rule["id"]): rule for rule in armed}

    def sent(send, session, prepared):
        if fault is not None:
            _strike(fault)
        response = send(session, prepared)
        rule = rules.get(response.headers.get(MARK, ""))
        if rule is not None:
            announce({"type": "fault", "rule": rule["id"]})
            _strike(rule["fault"])
        return response

    def made(request, endpoint, operation_model, request_dict):
        call = f"{operation_model.service_model.service_name}:{operation_model.name}"
        ids = ",".join(key for key, rule in rules.items() if rule["at"] == call)
        if ids:  # before signing, as any header of the call
            headers = {**request_dict.get("headers", {}), TAG: ids}
            request_dict = {**request_dict, "headers": headers}
        return request(endpoint, operation_model, request_dict)

    # no botocore (no AWS call possible): the fault strikes as the handler returns
    return _patch_book().calls_watched(sent, made)


@functools.cache
def _patch_book():
    """The patch book's page for botocore (``localcloud/emulator/patches/botocore_calls.py``),
    loaded by its path: this file imports nothing of the project."""
    path = Path(__file__).resolve().parents[1] / "emulator" / "patches" / "botocore_calls.py"
    spec = importlib.util.spec_from_file_location("localcloud_botocore_calls", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    """Import the handler, then serve invocations until stdin closes."""
    if sys.argv[1] == "--spare":
        function = _spare()
        if function is None:
            return 0
        code_dir, handler_name = function
    else:
        code_dir, handler_name = sys.argv[1], sys.argv[2]
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # the handler's prints go to the log stream, not the protocol

    def send(message):
        proto.write(json.dumps(message, default=_decimal_default) + "\n")
        proto.flush()

    sys.path[:] = [code_dir] + [p for p in sys.path if p not in ("", code_dir)]
    os.chdir(code_dir)
    started = time.monotonic()
    try:
        handler = _load_handler(handler_name)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        traceback.print_exc()
        kind = "Runtime.HandlerNotFound"
        if isinstance(exc, SyntaxError):
            kind = "Runtime.UserCodeSyntaxError"  # what Lambda's Python runtime reports
        elif isinstance(exc, ImportError):
            kind = "Runtime.ImportModuleError"
        send({"type": "init_error", "errorType": kind, "errorMessage": str(exc)})
        return 1
    send({"type": "ready", "initMs": round((time.monotonic() - started) * 1000, 1)})

    for line in sys.stdin:
        message = json.loads(line)
        os.environ["_X_AMZN_TRACE_ID"] = message["traceId"]
        context = LambdaContext(message["context"])
        fault = message.get("fault")
        _read_clock()
        try:
            with _armed(fault, message.get("armed") or [], send):
                result = handler(message["event"], context)
            if fault is not None:
                _strike(fault)
        except SystemExit as exc:
            send({"type": "error", "errorType": "Runtime.ExitError", "errorMessage": str(exc)})
            return 1
        except Exception as exc:  # pylint: disable=broad-exception-caught
            print(f"[ERROR] {type(exc).__name__}: {exc}", file=sys.stderr)
            traceback.print_exc()
            send({"type": "error", "errorType": type(exc).__name__, "errorMessage": str(exc)})
            continue
        try:
            send({"type": "result", "result": result})
        except (TypeError, ValueError) as exc:
            send({"type": "error", "errorType": "Runtime.MarshalError", "errorMessage": str(exc)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
