"""A warm worker: one process running one function's handler on its runtime's Python, and the
line-delimited JSON it speaks with the gateway (``worker_main.py`` is its other end). Each worker
signs its AWS calls with a session of the function's own role (``role_sessions``)."""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import time
import uuid
from pathlib import Path

from localcloud.base import aws
from localcloud.lambdas import runtimes
from localcloud.lambdas.function_spec import FunctionSpec
from localcloud.lambdas.invoke_errors import FunctionError, InvokeFailed, InvokeTimeout

WORKER_SCRIPT = Path(__file__).with_name("worker_main.py")
INIT_TIMEOUT_S = 10.0
"""Lambda's limit on a function's init phase (importing the handler module)."""


def worker_environment(
    spec: FunctionSpec, endpoint_url: str, code_dir: Path, credentials: dict[str, str]
) -> dict[str, str]:
    """The process environment of a worker: what Lambda sets (``credentials``: a session of the
    function's role), then the function's variables."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "HOME": os.environ.get("HOME", "/tmp"),
        **aws.region_env(spec.region),
        **credentials,
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"local/[$LATEST]{uuid.uuid4().hex}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "LAMBDA_TASK_ROOT": str(code_dir),
        "_HANDLER": spec.handler,
        "PYTHONUNBUFFERED": "1",
    }
    env.update(spec.environment)
    # Whatever the function's variables say, its AWS calls go to the emulator, as its role.
    env["AWS_ENDPOINT_URL"] = endpoint_url
    env.update(credentials)
    return env


def _trace_id() -> str:
    # Sampled=0: the X-Ray SDK builds its facade segment and sends nothing, as in Lambda.
    return (
        f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};"
        f"Parent={uuid.uuid4().hex[:16]};Sampled=0"
    )


def runtime_python(runtime: str) -> Path:
    """The interpreter a ``runtime`` function runs on (``localcloud.lambdas.runtimes``);
    InvokeFailed saying what to install when it is not there."""
    try:
        python = runtimes.interpreter(runtime)
    except runtimes.RuntimeUnavailable as exc:
        raise InvokeFailed(str(exc)) from exc
    if not python.exists():
        raise InvokeFailed(
            f"The functions' {runtime} environment ({python.parent.parent.name}) is not "
            "installed: run scripts/bootstrap.sh."
        )
    return python


def spawn(runtime: str, arguments: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
    """A worker process on ``runtime``'s Python."""
    python = runtime_python(runtime)
    try:
        return subprocess.Popen(  # pylint: disable=consider-using-with
            [str(python), "-I", str(WORKER_SCRIPT), *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
    except OSError as exc:
        raise InvokeFailed(f"{python} did not start ({exc.strerror})") from exc


class Worker:
    """One warm process running one function's handler on its runtime's Python (``spare``: a
    spare worker's process, told which function it runs, see ``Spares``)."""

    def __init__(self, spec: FunctionSpec, code_dir: Path, env: dict[str, str], spare=None):
        self.spec = spec
        self._buffer = b""
        self.invocations = 0
        self.struck: int | None = None
        """The ``at`` rule the worker said it strikes with during its last invocation."""
        if spare is None:
            self.process = spawn(spec.runtime, [str(code_dir), spec.handler], env, code_dir)
            return
        self.process = spare
        setup = {"codeDir": str(code_dir), "handler": spec.handler, "env": env}
        try:
            spare.stdin.write(json.dumps(setup).encode() + b"\n")
            spare.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # it died: wait_ready says so

    def _read_message(self, deadline: float) -> dict:
        out = self.process.stdout
        fd = out.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    raise InvokeTimeout()
                chunk = os.read(fd, 65536)
                if not chunk:
                    code = self.process.wait()
                    raise InvokeFailed(f"the worker exited with status {code}")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def wait_ready(self, deadline: float) -> float:
        """Wait for the handler import; return the init time in ms."""
        message = self._read_message(deadline)
        if message["type"] != "ready":
            raise InvokeFailed(f"{message.get('errorType')}: {message.get('errorMessage')}")
        return message.get("initMs", 0.0)

    def invoke(  # pylint: disable=too-many-arguments,too-many-positional-arguments
        self, event: dict, request_id: str, deadline: float, timeout_s: float, faults=None
    ) -> object:
        """Run the handler on ``event`` (``faults``: the function faults the worker strikes
        with, see ``function_faults``); its result, or an exception on failure."""
        context = {
            "awsRequestId": request_id,
            "invokedFunctionArn": self.spec.arn,
            "deadlineMs": time.time() * 1000 + timeout_s * 1000,
        }
        message = {"type": "invoke", "event": event, "context": context, "traceId": _trace_id()}
        if faults is not None and faults.fired is not None:
            message["fault"] = faults.fired["fault"]
        if faults is not None and faults.armed:
            message["armed"] = [
                {"id": rule["id"], "fault": rule["fault"], "at": rule["at"]}
                for rule in faults.armed
            ]
        self.struck = None
        line = json.dumps(message)
        try:
            self.process.stdin.write(line.encode() + b"\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise InvokeFailed(f"the worker is gone ({exc})") from exc
        self.invocations += 1
        message = self._read_message(deadline)
        while message["type"] == "fault":  # an ``at`` rule fired: the worker strikes next
            self.struck = message.get("rule")
            message = self._read_message(deadline)
        if message["type"] == "result":
            return message["result"]
        if message["type"] == "error" and message.get("errorType") != "Runtime.ExitError":
            raise FunctionError(f"{message.get('errorType')}: {message.get('errorMessage')}")
        raise InvokeFailed(f"{message.get('errorType')}: {message.get('errorMessage')}")

    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.process.poll() is None

    def stop(self) -> None:
        """Stop the process (and anything it started) and reap it."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                stream.close()
