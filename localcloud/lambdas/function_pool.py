"""The warm workers of one deployed function, at most its concurrency at once."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from localcloud.lambdas.code_store import CodeStore
from localcloud.lambdas.function_spec import FunctionSpec
from localcloud.lambdas.invoke_errors import FunctionError, InvokeFailed, InvokeTimeout
from localcloud.lambdas.role_sessions import RoleSessions
from localcloud.lambdas.worker_process import INIT_TIMEOUT_S, Worker, worker_environment

DEFAULT_CONCURRENCY_CAP = 10
"""Workers per function without reserved concurrency; more requests wait for a free one.

With reserved concurrency, that many workers at most, and more requests wait too, where Lambda
would throttle them (429): an invocation lasts several times longer here than on AWS (every
AWS call goes to one emulator, one request at a time), so counting concurrent executions locally
would refuse load that AWS serves. A request waits at most its integration's timeout (then 504,
as API Gateway answers); the request log's ``queuedMs`` says how long it waited."""


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

    def __init__(  # pylint: disable=too-many-arguments
        self,
        spec: FunctionSpec,
        code_store: CodeStore,
        endpoint_url: str,
        concurrency_cap: int = DEFAULT_CONCURRENCY_CAP,
        *,
        roles: RoleSessions | None = None,
    ):
        self.spec = spec
        self.code_store = code_store
        self.endpoint_url = endpoint_url
        self.concurrency_cap = concurrency_cap
        # An STS client takes a quarter of a second to make: the pools of a snapshot share one.
        self.roles = roles or RoleSessions(endpoint_url, spec.region)
        self._idle: list[Worker] = []
        self._busy = 0
        self._cond = threading.Condition()
        self._code_dir: Path | None = None
        self._closed = False
        self.answered = threading.Event()
        """Set once an invocation finishes (watch mode shares one among a save's new pools)."""

    def with_code(self, code_sha256: str) -> FunctionPool:
        """A new pool of the same function running the package ``code_sha256`` (no worker yet)."""
        spec = replace(self.spec, code_sha256=code_sha256)
        return FunctionPool(
            spec, self.code_store, self.endpoint_url, self.concurrency_cap, roles=self.roles
        )

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
            self.answered.set()

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
