"""What the gateway serves: one consistent snapshot of what is deployed on the emulator, read back
from it, and swapped for a fresh one when a redeploy changes it.

A snapshot holds the REST API (resources, methods, integrations, validators, models, gateway
responses, stages, authorizers), a warm-worker pool per function behind it, the API keys and who
may call what (``authorizers``). Its fingerprint (deployments, stages, the functions' code and
configuration dates, the authorizers and their pools' app clients) is read again at every poll;
when it differs, the whole snapshot is read again and replaces the old one, whose workers stop.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from botocore.config import Config

from localcloud.base import aws
from localcloud.base.errors import LocalCloudError, described
from localcloud.base.polling import Poller
from localcloud.gateway.authorizers import Authorization, UserPools
from localcloud.gateway.firewall import RateWindows, WebAcl
from localcloud.gateway.log import GatewayLog
from localcloud.gateway.model import DeployedApi, Resource, load_api
from localcloud.gateway.proxy import IncomingRequest
from localcloud.gateway.validation import BodyValidator
from localcloud.lambdas.code_store import CodeMismatch, CodeStore
from localcloud.lambdas.function_pool import FunctionPool
from localcloud.lambdas.function_spec import FunctionSpec
from localcloud.lambdas.invoke_errors import InvokeFailed, InvokeTimeout
from localcloud.lambdas.role_sessions import RoleSessions
from localcloud.lambdas.worker_process import runtime_python

DEFAULT_ACCOUNT = "123456789012"
"""The account of an API with no functions to tell it (moto's default account)."""
CLIENT_CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5)


@dataclass
class Snapshot:  # pylint: disable=too-many-instance-attributes  # one field per part of the API
    """One consistent snapshot of what is deployed: the API and its functions' pools."""

    api: DeployedApi
    validator: BodyValidator
    pools: dict[str, FunctionPool]
    account_id: str
    api_keys: set[str]
    fingerprint: tuple
    problems: list[str] = field(default_factory=list)
    authorization: Authorization = field(kw_only=True)
    web_acls: dict[str, WebAcl] = field(default_factory=dict, kw_only=True)
    """The web ACL of each stage that has one."""

    def context(self, request: IncomingRequest, resource: Resource | None = None) -> dict:
        """``$context`` as API Gateway fills it for ``request`` (on ``resource``, once routed)."""
        return {
            "requestId": request.request_id,
            "extendedRequestId": request.request_id,
            "apiId": self.api.id,
            "accountId": self.account_id,
            "stage": request.stage,
            "httpMethod": request.method,
            "resourcePath": resource.path if resource else request.path,
            "resourceId": resource.id if resource else "",
            "path": f"/{request.stage}{request.path}",
            "protocol": request.protocol,
            "domainName": request.host.split(":")[0],
            "requestTimeEpoch": request.received_ms,
            "identity": {
                "sourceIp": request.source_ip,
                "userAgent": request.header("User-Agent") or "",
            },
        }

    def close(self) -> None:
        """Stop the workers of this snapshot."""
        for pool in self.pools.values():
            pool.close()


@dataclass(frozen=True)
class CodeSwap:
    """What serving new code gave (``LiveSnapshot.update_code``)."""

    failures: dict[str, Exception]
    """The functions whose new worker did not start, with why (their requests answer 502)."""
    served_at: float
    """When the new code began to serve (``time.monotonic()``)."""
    deployed_at: float
    """When the emulator had it too."""
    answered: threading.Event
    """Set once one of the new pools answered its first request."""


class SnapshotReader:
    """Reads snapshots from the emulator at ``endpoint_url``: of the REST API ``api_id`` (default:
    the only one there), its functions' code found in ``code_store``."""

    def __init__(  # pylint: disable=too-many-arguments
        self,
        endpoint_url: str,
        region: str,
        api_id: str | None,
        code_store: CodeStore,
        concurrency_cap: int,
    ):
        self.endpoint_url = endpoint_url
        self.region = region
        self.api_id = api_id
        self.code_store = code_store
        self.concurrency_cap = concurrency_cap
        session = aws.session(region)
        config = CLIENT_CONFIG
        self.apigateway = session.client("apigateway", endpoint_url=endpoint_url, config=config)
        self.lambda_ = session.client("lambda", endpoint_url=endpoint_url, config=config)
        self.wafv2 = session.client("wafv2", endpoint_url=endpoint_url, config=config)
        self.user_pools = UserPools(endpoint_url, session, config)
        self.roles = RoleSessions(endpoint_url, region)
        # The rate-based rules' counts outlive a snapshot, as WAF's outlive a redeploy.
        self.rates = RateWindows()

    def read(self) -> Snapshot:
        """A snapshot of what is deployed now; a one-sentence error when it cannot be read."""
        try:
            api_id = self.api_id = self._resolve_api_id()
            fingerprint = self.fingerprint(api_id)
            api = load_api(self.apigateway, api_id, self.region)
            pools, problems, account_id = self._pools(api)
            api_keys = self._api_keys()
            authorization = self.user_pools.authorization(api)
            web_acls = {
                stage: WebAcl(found["WebACL"], self.rates)
                for stage, found in self._web_acls(api_id).items()
            }
        except LocalCloudError:
            raise
        except Exception as exc:
            raise LocalCloudError(
                f"Could not read the deployed API from the emulator at {self.endpoint_url}: {exc}"
            ) from exc
        return Snapshot(
            api,
            BodyValidator(api),
            pools,
            account_id,
            api_keys,
            fingerprint,
            problems + authorization.problems + [p for a in web_acls.values() for p in a.problems],
            authorization=authorization,
            web_acls=web_acls,
        )

    def fingerprint(self, api_id: str) -> tuple:
        """What changes with any redeploy of the API, its functions or who may call it."""
        deployments = self.apigateway.get_deployments(restApiId=api_id, limit=500).get("items", [])
        stages = self.apigateway.get_stages(restApiId=api_id).get("item", [])
        functions = self.lambda_.list_functions(MaxItems=1000).get("Functions", [])
        return (
            _functions_part(functions),
            tuple(sorted(d["id"] for d in deployments)),
            tuple(sorted((s["stageName"], s.get("deploymentId", "")) for s in stages)),
            self.user_pools.fingerprint(self.apigateway, api_id),
            tuple(sorted((s, f["LockToken"]) for s, f in self._web_acls(api_id).items())),
        )

    def deployed_code(self, fingerprint: tuple, codes: dict[str, str], names) -> tuple:
        """``fingerprint`` once the functions ``names`` were sent their new code (``codes``:
        CodeSha256 by name): their part as the emulator lists them now (what it would read, if
        nothing else changed); a ``LocalCloudError`` if one of them holds other code."""
        listed = self.lambda_.list_functions(MaxItems=1000).get("Functions", [])
        now = {entry[0]: entry for entry in _functions_part(listed)}
        for name in names:
            found = now.get(name, (name, "none", ""))[1]
            if found != codes[name]:
                raise LocalCloudError(
                    f"the emulator holds CodeSha256 {found} for {name}, not {codes[name]}"
                )
        if not fingerprint:
            return fingerprint
        functions = tuple(now.get(e[0], e) if e[0] in names else e for e in fingerprint[0])
        return (functions, *fingerprint[1:])

    def _web_acls(self, api_id: str) -> dict[str, dict]:
        """GetWebACL's answer (``WebACL``, ``LockToken``) for each stage that has a web ACL."""
        acls = {}
        for stage in self.apigateway.get_stages(restApiId=api_id).get("item", []):
            arn = stage.get("webAclArn")
            if arn:
                # arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>
                _, _, name, acl_id = arn.split(":", 5)[5].split("/")
                acls[stage["stageName"]] = self.wafv2.get_web_acl(
                    Name=name, Scope="REGIONAL", Id=acl_id
                )
        return acls

    def _resolve_api_id(self) -> str:
        if self.api_id:
            return self.api_id
        apis = self.apigateway.get_rest_apis(limit=500).get("items", [])
        if len(apis) == 1:
            return apis[0]["id"]
        if not apis:
            raise LocalCloudError(
                "The emulator holds no REST API to serve; deploy the stack first."
            )
        names = ", ".join(f"{a['id']} ({a.get('name')})" for a in apis)
        raise LocalCloudError(
            f"The emulator holds several REST APIs ({names}); pick one with --api-id."
        )

    def _pools(self, api: DeployedApi) -> tuple[dict[str, FunctionPool], list[str], str]:
        """A pool per function of ``api``, what stops one from being served as deployed, and
        the account the functions live in."""
        pools: dict[str, FunctionPool] = {}
        problems: list[str] = []
        account_id = DEFAULT_ACCOUNT
        for name in sorted(api.function_names()):
            spec = FunctionSpec.from_emulator(self.lambda_, name, self.region)
            account_id = spec.arn.split(":")[4]
            pool = FunctionPool(
                spec, self.code_store, self.endpoint_url, self.concurrency_cap, roles=self.roles
            )
            try:
                runtime_python(spec.runtime)
            except InvokeFailed as exc:
                problems.append(f"Function {name}: {exc}")
            try:
                pool.code_dir()
            except CodeMismatch as exc:
                problems.append(str(exc))
            pools[name] = pool
        return pools, problems, account_id

    def _api_keys(self) -> set[str]:
        keys = self.apigateway.get_api_keys(includeValues=True, limit=500).get("items", [])
        return {k["value"] for k in keys if k.get("enabled", True) and k.get("value")}


class LiveSnapshot:
    """The snapshot being served (``current``), replaced when the emulator's fingerprint changes:
    at each ``refresh()``, which a background thread calls every ``poll_interval`` seconds."""

    def __init__(self, reader: SnapshotReader, log: GatewayLog, poll_interval: float = 2.0):
        self.reader = reader
        self.log = log
        self.poll_interval = poll_interval
        self.current = reader.read()
        self._swap_lock = threading.Lock()  # one reload at a time: the poller, the watch mode
        self._poller: Poller | None = None
        self._reload_error: str | None = None

    def refresh(self) -> bool:
        """Reload when the emulator's API or functions changed (a redeploy); True if reloaded."""
        with self._swap_lock:
            current = self.current
            try:
                if self.reader.fingerprint(current.api.id) == current.fingerprint:
                    return False
                fresh = self.reader.read()
            except Exception as exc:  # pylint: disable=broad-exception-caught
                if str(exc) != self._reload_error:  # say it once, not at every poll
                    self._reload_error = str(exc)
                    self.log.write({"event": "reload-failed", **described(exc)})
                return False
            self._reload_error = None
            self.current = fresh
            current.close()
            self.log.write({"event": "reloaded", "apiId": fresh.api.id, "problems": fresh.problems})
            return True

    def update_code(self, codes: dict[str, str], deploy, spares=None) -> CodeSwap:
        """Serve new code, then deploy it: ``codes`` gives the CodeSha256 of the package each
        function is to run (found by the code store). Each new pool starts a worker (in one of
        ``spares``, if given) before it replaces the old one, so the first request after the
        swap finds it warm; the old code answers until then. Nothing is read from the emulator
        on the way: the API and the functions' configuration are as they were.

        Then ``deploy(names)`` sends the code to the emulator (UpdateFunctionCode), and the
        snapshot's fingerprint takes the functions as the emulator lists them now, so that
        polling finds nothing new (polling waits meanwhile). If ``deploy`` raises
        ``LocalCloudError``, or the emulator holds other code than what serves, what is
        deployed is read again and served, and the error goes on up."""
        with self._swap_lock:
            current = self.current
            pools = {
                name: current.pools[name].with_code(sha)
                for name, sha in sorted(codes.items())
                if name in current.pools and current.pools[name].spec.code_sha256 != sha
            }
            answered = threading.Event()
            for pool in pools.values():
                pool.answered = answered
            failures = start_workers(pools, spares)
            self.current = replace(current, pools={**current.pools, **pools})
            served = time.monotonic()
            for name in pools:
                current.pools[name].close()
            self.log.write({"event": "reloaded", "apiId": current.api.id, "functions": list(pools)})
            try:
                if pools:
                    deploy(list(pools))
                    fingerprint = self.reader.deployed_code(current.fingerprint, codes, pools)
                    self.current = replace(self.current, fingerprint=fingerprint)
                return CodeSwap(failures, served, time.monotonic(), answered)
            except LocalCloudError as exc:
                error = exc
                self.current = replace(self.current, fingerprint=())  # read it all again
        self.refresh()
        raise error

    def start_polling(self) -> None:
        """Watch the emulator for redeploys in a background thread."""
        if self.poll_interval > 0 and self._poller is None:
            self._poller = Poller("gateway-poll", self.poll_interval, self._poll)
            self._poller.start()

    def _poll(self) -> None:
        self.refresh()  # whatever it found, polling goes on

    def prewarm(self) -> None:
        """Start one worker per servable function."""
        for pool in self.current.pools.values():
            try:
                pool.prewarm()
            except (CodeMismatch, InvokeFailed, InvokeTimeout) as exc:
                self.log.write(
                    {"event": "prewarm-failed", "function": pool.spec.name, "error": str(exc)}
                )

    def close(self) -> None:
        """Stop polling and every worker."""
        if self._poller is not None:
            self._poller.stop()
        self.current.close()


def start_workers(pools: dict[str, FunctionPool], spares=None) -> dict[str, Exception]:
    """A worker started in each of ``pools`` at once (in a spare where ``spares`` has one); the
    pools whose worker does not start."""
    failures: dict[str, Exception] = {}
    with ThreadPoolExecutor(max_workers=max(len(pools), 1)) as starting:
        started = {
            name: starting.submit(pool.prewarm, spares.take(pool.spec.runtime) if spares else None)
            for name, pool in pools.items()
        }
    for name, future in started.items():
        try:
            future.result()
        except (CodeMismatch, InvokeFailed, InvokeTimeout) as exc:
            failures[name] = exc
    return failures


def _functions_part(functions: list[dict]) -> tuple:
    """The functions' part of a fingerprint (the first), from ListFunctions' answer."""
    return tuple(
        sorted(
            (f["FunctionName"], f.get("CodeSha256", ""), f.get("LastModified", ""))
            for f in functions
        )
    )
