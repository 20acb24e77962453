"""The functions the triggers run: a warm-worker pool per function (the gateway's
``FunctionPool``), read back from the emulator, and a client as each function's role (what
Lambda uses to send a failed batch to its on-failure destination)."""

from __future__ import annotations

import threading

from localcloud.base import aws
from localcloud.lambdas.code_store import CodeMismatch, CodeStore
from localcloud.lambdas.function_faults import function_rules
from localcloud.lambdas.function_pool import FunctionPool
from localcloud.lambdas.function_spec import FunctionSpec
from localcloud.lambdas.invoke_errors import InvokeFailed, InvokeTimeout
from localcloud.lambdas.role_sessions import RoleSessions
from localcloud.lambdas.worker_process import INIT_TIMEOUT_S

FAILURES = (InvokeFailed, InvokeTimeout, CodeMismatch)
"""What an invocation raises when it fails, whatever the reason (the handler raised, timed out,
its worker died, its code cannot be found)."""


class Invoker:
    """Warm workers of the functions in ``names`` (``refresh``), on the emulator at
    ``endpoint_url``."""

    def __init__(self, endpoint_url: str, region: str, code_store: CodeStore, concurrency_cap: int):
        self.endpoint_url = endpoint_url
        self.region = region
        self.code_store = code_store
        self.concurrency_cap = concurrency_cap
        self.lambda_ = aws.session(region).client("lambda", endpoint_url=endpoint_url)
        self.roles = RoleSessions(endpoint_url, region)
        self.pools: dict[str, FunctionPool] = {}
        self._lock = threading.Lock()

    def refresh(self, names: set[str]) -> dict[str, FunctionPool]:
        """A pool for each function of ``names`` whose configuration or code is new (the old
        pool's workers stop); the pools of functions no longer mapped stop. The new pools."""
        fresh = {}
        with self._lock:
            for name in sorted(names):
                spec = FunctionSpec.from_emulator(self.lambda_, name, self.region)
                pool = self.pools.get(name)
                if pool is None or pool.spec != spec:
                    fresh[name] = self.pools[name] = FunctionPool(
                        spec, self.code_store, self.endpoint_url, self.concurrency_cap
                    )
                    if pool is not None:
                        pool.close()
            for name in set(self.pools) - names:
                self.pools.pop(name).close()
        return fresh

    def invoke(self, name: str, event: dict) -> object:
        """Run ``name`` on ``event`` synchronously, as Lambda's pollers do; its result, or one of
        ``FAILURES``. A function fault (``faults add lambda:NAME``) strikes here too."""
        pool = self.pools.get(name)
        if pool is None:
            raise InvokeFailed(f"function {name} is not deployed")
        faults = function_rules(self.endpoint_url).for_invocation(name)
        timeout = pool.spec.timeout_s + INIT_TIMEOUT_S
        return pool.invoke(event, timeout, faults).result

    def client(self, name: str, service: str):
        """A boto3 client of ``service`` signed as function ``name``'s role."""
        spec = self.pools[name].spec
        credentials = self.roles.credentials(spec)
        return aws.session(self.region, credentials).client(service, endpoint_url=self.endpoint_url)

    def prewarm(self) -> None:
        """One worker per function, ahead of its first batch (a failure shows at that batch)."""
        for pool in list(self.pools.values()):
            try:
                pool.prewarm()
            except FAILURES:
                continue

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            for pool in self.pools.values():
                pool.close()
            self.pools.clear()
