"""Deployed Lambda functions, run locally in warm worker processes.

A function is read back from the emulator (configuration, reserved concurrency, CodeSha256). Its
code is the deployment package whose SHA-256 equals the deployed CodeSha256: moto keeps the zip
but does not serve it (``Code.Location`` is not fetchable), so the package is looked up by hash
among the archives that were deployed (by default the assets under ``cdktf.out``). A function
whose deployed code matches no archive is refused: its requests fail and the log says why.

Each worker signs its AWS calls with a session of the function's own role, as Lambda hands one to
each execution environment: the gateway, as the Lambda service, assumes the role the function
names (``AssumeRole`` on the emulator, which checks the role's trust policy), so the emulator
checks every call of the handler against that role's policies.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import selectors
import signal
import subprocess
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from localcloud.base import aws
from localcloud.lambdas import runtimes

WORKER_SCRIPT = Path(__file__).with_name("worker_main.py")
INIT_TIMEOUT_S = 10.0
"""Lambda's limit on a function's init phase (importing the handler module)."""
DEFAULT_CONCURRENCY_CAP = 10
"""Workers per function without reserved concurrency; more requests wait for a free one.

With reserved concurrency, that many workers at most, and more requests wait too, where Lambda
would throttle them (429): an invocation lasts several times longer here than on AWS (every
AWS call goes to one emulator, one request at a time), so counting concurrent executions locally
would refuse load that AWS serves. A request waits at most its integration's timeout (then 504,
as API Gateway answers); the request log's ``queuedMs`` says how long it waited."""


class InvokeTimeout(Exception):
    """The function did not answer in time; its worker was stopped."""

    cold: bool | None = None
    """Whether the invocation had to start a worker (None: it never got one)."""
    struck: int | None = None
    """The ``at`` rule whose fault the worker struck with (see ``function_faults``), if any."""


class InvokeFailed(Exception):
    """The function raised, failed to start, or its worker died."""

    cold: bool | None = None
    """Whether the invocation had to start a worker (None: it never got one)."""
    struck: int | None = None
    """The ``at`` rule whose fault the worker struck with (see ``function_faults``), if any."""


class FunctionError(InvokeFailed):
    """The handler raised (its worker stays warm, as in Lambda)."""


class CodeMismatch(Exception):
    """No deployment package matches the function's deployed CodeSha256."""


@dataclass
class FunctionSpec:
    """What the emulator says about a deployed function."""

    name: str
    arn: str
    role: str
    handler: str
    runtime: str
    timeout_s: int
    memory_mb: int
    environment: dict[str, str]
    code_sha256: str
    reserved_concurrency: int | None
    region: str

    @classmethod
    def from_emulator(cls, lambda_client, name: str, region: str) -> FunctionSpec:
        """Read the function's configuration and reserved concurrency from the emulator."""
        config = lambda_client.get_function(FunctionName=name)["Configuration"]
        reserved = lambda_client.get_function_concurrency(FunctionName=name).get(
            "ReservedConcurrentExecutions"
        )
        return cls(
            name=config["FunctionName"],
            arn=config["FunctionArn"],
            role=config.get("Role") or "",
            handler=config.get("Handler") or "",
            runtime=config.get("Runtime") or "",
            timeout_s=int(config.get("Timeout", 3)),
            memory_mb=int(config.get("MemorySize", 128)),
            environment=dict((config.get("Environment") or {}).get("Variables") or {}),
            code_sha256=config.get("CodeSha256") or "",
            reserved_concurrency=reserved,
            region=region,
        )


def sha256_b64(data: bytes) -> str:
    """CodeSha256 as Lambda reports it: base64 of the SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


class CodeStore:
    """Finds deployment packages by their CodeSha256 and extracts them once."""

    def __init__(self, search_dirs: list[Path], extract_root: Path):
        self.search_dirs = [Path(d) for d in search_dirs]
        self.extract_root = Path(extract_root)
        self._hashes: dict[tuple[str, int, int], str] = {}
        self._lock = threading.Lock()

    def _candidates(self):
        for directory in self.search_dirs:
            if directory.is_file():
                yield directory
            elif directory.is_dir():
                yield from sorted(directory.rglob("*.zip"))

    def find(self, code_sha256: str) -> Path | None:
        """The archive whose SHA-256 equals ``code_sha256``, if any."""
        with self._lock:
            for path in self._candidates():
                stat = path.stat()
                key = (str(path), stat.st_size, stat.st_mtime_ns)
                if key not in self._hashes:
                    self._hashes[key] = sha256_b64(path.read_bytes())
                if self._hashes[key] == code_sha256:
                    return path
        return None

    def extract(self, spec: FunctionSpec) -> Path:
        """The function's code, extracted from the matching archive (checked again on read)."""
        archive = self.find(spec.code_sha256)
        where = ", ".join(str(d) for d in self.search_dirs) or "nowhere"
        if archive is None:
            raise CodeMismatch(
                f"The deployed code of function {spec.name} (CodeSha256 {spec.code_sha256}) "
                f"matches no deployment package under {where}; redeploy the stack."
            )
        data = archive.read_bytes()
        if sha256_b64(data) != spec.code_sha256:
            raise CodeMismatch(
                f"The package {archive} changed while being read for function {spec.name}; "
                "redeploy the stack."
            )
        digest = hashlib.sha256(data).hexdigest()[:16]
        target = self.extract_root / f"{spec.name}-{digest}"
        if not target.is_dir():
            partial = target.with_name(target.name + f".partial-{uuid.uuid4().hex[:8]}")
            with zipfile.ZipFile(archive) as package:
                package.extractall(partial)
            with contextlib.suppress(OSError):  # another thread extracted it first
                partial.rename(target)
        return target


class RoleSessions:  # pylint: disable=too-few-public-methods
    """Sessions of functions' roles, assumed on the emulator at ``endpoint_url`` by the gateway
    as the Lambda service."""

    def __init__(self, endpoint_url: str, region: str):
        session = aws.session(region, aws.LAMBDA_SERVICE_CREDENTIALS)
        self.sts = session.client("sts", endpoint_url=endpoint_url)

    def credentials(self, spec: FunctionSpec) -> dict[str, str]:
        """A fresh session of ``spec``'s role, as the variables Lambda sets; InvokeFailed (with
        what Lambda says) when the role cannot be assumed."""
        try:
            found = self.sts.assume_role(RoleArn=spec.role, RoleSessionName=spec.name)
        except (BotoCoreError, ClientError) as exc:
            raise InvokeFailed(
                f"The role defined for the function cannot be assumed by Lambda "
                f"({spec.role or 'no role'}: {exc})"
            ) from exc
        session = found["Credentials"]
        return {
            "AWS_ACCESS_KEY_ID": session["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": session["SecretAccessKey"],
            "AWS_SESSION_TOKEN": session["SessionToken"],
        }


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


def _spawn(runtime: str, arguments: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
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
            self.process = _spawn(spec.runtime, [str(code_dir), spec.handler], env, code_dir)
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


@dataclass
class InvokeOutcome:
    """What one invocation gave, for the response and the request log."""

    result: object = None
    cold: bool = False
    init_ms: float | None = None
    duration_ms: float = 0.0
    queued_ms: float = 0.0


class FunctionPool:
    """The warm workers of one function, at most its reserved concurrency at once."""

    def __init__(
        self,
        spec: FunctionSpec,
        code_store: CodeStore,
        endpoint_url: str,
        concurrency_cap: int = DEFAULT_CONCURRENCY_CAP,
    ):
        self.spec = spec
        self.code_store = code_store
        self.endpoint_url = endpoint_url
        self.concurrency_cap = concurrency_cap
        self.roles = RoleSessions(endpoint_url, spec.region)
        self._idle: list[Worker] = []
        self._busy = 0
        self._cond = threading.Condition()
        self._code_dir: Path | None = None
        self._closed = False

    @property
    def limit(self) -> int:
        """How many invocations may run at once."""
        if self.spec.reserved_concurrency is not None:
            return self.spec.reserved_concurrency
        return self.concurrency_cap

    def code_dir(self) -> Path:
        """The function's extracted code (raises CodeMismatch when it cannot be served)."""
        if self._code_dir is None:
            self._code_dir = self.code_store.extract(self.spec)
        return self._code_dir

    def _acquire(self, deadline: float) -> Worker | None:
        with self._cond:
            if self._closed:
                raise InvokeFailed("the gateway is stopping")
            while self._busy >= self.limit:  # see DEFAULT_CONCURRENCY_CAP
                if not self._cond.wait(max(deadline - time.monotonic(), 0)):
                    raise InvokeTimeout()
            self._busy += 1
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    return worker
                worker.stop()
            return None

    def _release(self, worker: Worker | None, reusable: bool) -> None:
        with self._cond:
            self._busy -= 1
            if worker is not None:
                if reusable and not self._closed and worker.alive():
                    self._idle.append(worker)
                else:
                    worker.stop()
            self._cond.notify()

    def invoke(self, event: dict, integration_timeout_s: float, faults=None) -> InvokeOutcome:
        """Run one invocation in a warm worker (a new one when none is idle), with ``faults``
        (``function_faults.InvocationFaults``) if rules inject any."""
        started = time.monotonic()
        deadline = started + integration_timeout_s
        code_dir = self.code_dir()
        waiting = time.monotonic()
        worker = self._acquire(deadline)
        outcome = InvokeOutcome(cold=worker is None)
        outcome.queued_ms = (time.monotonic() - waiting) * 1000
        reusable = False
        try:
            if worker is None:
                worker = self._start_worker(code_dir)
                init_deadline = min(deadline, time.monotonic() + INIT_TIMEOUT_S)
                outcome.init_ms = worker.wait_ready(init_deadline)
            invoked = time.monotonic()
            function_deadline = min(deadline, invoked + self.spec.timeout_s)
            request_id = str(uuid.uuid4())
            outcome.result = worker.invoke(
                event, request_id, function_deadline, self.spec.timeout_s, faults
            )
            outcome.duration_ms = (time.monotonic() - invoked) * 1000
            reusable = True
            return outcome
        except FunctionError as exc:
            reusable = True
            exc.cold = outcome.cold
            raise
        except (InvokeFailed, InvokeTimeout) as exc:
            exc.cold = outcome.cold
            exc.struck = worker.struck if worker is not None else None
            raise
        finally:
            self._release(worker, reusable)

    def _start_worker(self, code_dir: Path, spare=None) -> Worker:
        """A new worker, with a fresh session of the function's role (in ``spare``, a
        ``Spares`` process, if given)."""
        credentials = self.roles.credentials(self.spec)
        env = worker_environment(self.spec, self.endpoint_url, code_dir, credentials)
        return Worker(self.spec, code_dir, env, spare)

    def prewarm(self, spare=None) -> None:
        """Start one worker ahead of the first request (in ``spare``, a ``Spares`` process,
        if given)."""
        worker = self._start_worker(self.code_dir(), spare)
        try:
            worker.wait_ready(time.monotonic() + INIT_TIMEOUT_S)
        except (InvokeFailed, InvokeTimeout):
            worker.stop()
            raise
        with self._cond:
            self._idle.append(worker)

    def close(self) -> None:
        """Stop every idle worker; busy ones are stopped when they finish."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()


class Spares:
    """Spare workers for watch mode: processes that have imported the handlers' libraries and
    wait to be told which function they run, so the new workers of a save skip those imports
    (most of a worker's start). ``env``: the environment they import in (a function's: the
    libraries read nothing of it at import that the function's own does not replace)."""

    def __init__(self, count: int, runtime: str, env: dict[str, str], cwd: Path):
        self.count = count
        self.runtime = runtime
        """The runtime whose Python the spares run on: they serve its functions only."""
        self.env = env
        self.cwd = Path(cwd)
        self._ready: list[subprocess.Popen] = []
        self._lock = threading.Lock()
        self._closed = False

    def fill(self) -> None:
        """Start spares until there are ``count``."""
        with self._lock:
            self._ready = [p for p in self._ready if p.poll() is None]
            while not self._closed and len(self._ready) < self.count:
                self.cwd.mkdir(parents=True, exist_ok=True)
                self._ready.append(_spawn(self.runtime, ["--spare"], self.env, self.cwd))

    def take(self, runtime: str) -> subprocess.Popen | None:
        """A spare's process for a function of ``runtime`` (None: none left, or another
        runtime's)."""
        if runtime != self.runtime:
            return None
        with self._lock:
            while self._ready:
                process = self._ready.pop(0)
                if process.poll() is None:
                    return process
        return None

    def close(self) -> None:
        """Stop the spares (for good)."""
        with self._lock:
            self._closed = True
            ready, self._ready = self._ready, []
        for process in ready:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            for stream in (process.stdin, process.stdout):
                with contextlib.suppress(OSError):
                    stream.close()
