"""The local gateway: an HTTP server (werkzeug) that serves a REST API deployed on the emulator.

It reads the API (resources, methods, integrations, validators, models, gateway responses,
stages, authorizers) and the functions behind it from the emulator, answers ``/<stage>/<path>`` as
API Gateway would (Cognito user pool tokens checked first, see ``authorizers``), and runs
AWS_PROXY functions in warm worker processes. It polls the emulator and picks up
a redeploy by itself. One JSON line per request goes to its log stream.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote

import boto3
from botocore.config import Config
from werkzeug.serving import WSGIRequestHandler, make_server

from localcloud.errors import LocalCloudError
from localcloud.gateway import docs, vtl
from localcloud.gateway.authorizers import Authorization, UserPools
from localcloud.gateway.functions import (
    DEFAULT_CONCURRENCY_CAP,
    CodeMismatch,
    CodeStore,
    FunctionPool,
    FunctionSpec,
    InvokeFailed,
    InvokeTimeout,
)
from localcloud.gateway.model import DeployedApi, load_api
from localcloud.gateway.proxy import IncomingRequest, build_event, map_response
from localcloud.gateway.responses import GatewayError, gateway_response
from localcloud.gateway.routing import find_route
from localcloud.gateway.validation import BodyValidator, check_parameters
from localcloud.ports import listen

MAX_BODY = 10 * 1024 * 1024
DEFAULT_ACCOUNT = "123456789012"


@dataclass
class Served:
    """One consistent snapshot of what is deployed: the API and its functions' pools."""

    api: DeployedApi
    validator: BodyValidator
    pools: dict[str, FunctionPool]
    account_id: str
    api_keys: set[str]
    fingerprint: tuple
    problems: list[str] = field(default_factory=list)
    authorization: Authorization = field(kw_only=True)

    def close(self) -> None:
        """Stop the workers of this snapshot."""
        for pool in self.pools.values():
            pool.close()


@dataclass
class Answer:
    """A response, and what the request log says about it."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    log: dict = field(default_factory=dict)


class Gateway:  # pylint: disable=too-many-instance-attributes
    """Serves one deployed REST API (see the module docstring)."""

    def __init__(
        self,
        endpoint_url: str,
        *,
        region: str = "us-east-1",
        api_id: str | None = None,
        code_dirs: list[Path] | None = None,
        work_dir: Path | None = None,
        concurrency_cap: int = DEFAULT_CONCURRENCY_CAP,
        log_stream=None,
        poll_interval: float = 2.0,
        openapi_document: Path | None = None,
    ):
        self.endpoint_url = endpoint_url
        self.openapi_document = openapi_document
        self.region = region
        self.api_id = api_id
        self.concurrency_cap = concurrency_cap
        self.log_stream = log_stream or sys.stdout
        self.poll_interval = poll_interval
        work_dir = Path(work_dir or Path.cwd() / ".localcloud")
        self.code_store = CodeStore(code_dirs or [], work_dir / "functions")
        session = boto3.session.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name=region,
        )
        config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5)
        self.apigateway = session.client("apigateway", endpoint_url=endpoint_url, config=config)
        self.lambda_ = session.client("lambda", endpoint_url=endpoint_url, config=config)
        self.user_pools = UserPools(endpoint_url, session, config)
        self._log_lock = threading.Lock()
        self._swap_lock = threading.Lock()  # one reload at a time: the poller, the watch mode
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        self._reload_error: str | None = None
        self.served = self._load()

    # -- reading what is deployed -------------------------------------------------------

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

    def _fingerprint(self, api_id: str) -> tuple:
        deployments = self.apigateway.get_deployments(restApiId=api_id, limit=500).get("items", [])
        stages = self.apigateway.get_stages(restApiId=api_id).get("item", [])
        functions = self.lambda_.list_functions(MaxItems=1000).get("Functions", [])
        return (
            tuple(sorted(d["id"] for d in deployments)),
            tuple(sorted((s["stageName"], s.get("deploymentId", "")) for s in stages)),
            tuple(
                sorted(
                    (f["FunctionName"], f.get("CodeSha256", ""), f.get("LastModified", ""))
                    for f in functions
                )
            ),
            self.user_pools.fingerprint(self.apigateway, api_id),
        )

    def _load(self) -> Served:
        try:
            api_id = self.api_id = self._resolve_api_id()
            fingerprint = self._fingerprint(api_id)
            api = load_api(self.apigateway, api_id, self.region)
            pools: dict[str, FunctionPool] = {}
            problems: list[str] = []
            account_id = DEFAULT_ACCOUNT
            for name in sorted(api.function_names()):
                spec = FunctionSpec.from_emulator(self.lambda_, name, self.region)
                account_id = spec.arn.split(":")[4]
                pool = FunctionPool(spec, self.code_store, self.endpoint_url, self.concurrency_cap)
                local = f"python{sys.version_info.major}.{sys.version_info.minor}"
                if spec.runtime != local:
                    problems.append(
                        f"Function {name} is deployed for {spec.runtime or 'no runtime'}; "
                        f"it runs here on the project's {local}."
                    )
                try:
                    pool.code_dir()
                except CodeMismatch as exc:
                    problems.append(str(exc))
                pools[name] = pool
            keys = self.apigateway.get_api_keys(includeValues=True, limit=500).get("items", [])
            api_keys = {k["value"] for k in keys if k.get("enabled", True) and k.get("value")}
            authorization = self.user_pools.authorization(api)
        except LocalCloudError:
            raise
        except Exception as exc:
            raise LocalCloudError(
                f"Could not read the deployed API from the emulator at {self.endpoint_url}: {exc}"
            ) from None
        problems.extend(authorization.problems)
        return Served(
            api,
            BodyValidator(api),
            pools,
            account_id,
            api_keys,
            fingerprint,
            problems,
            authorization=authorization,
        )

    def refresh(self) -> bool:
        """Reload when the emulator's API or functions changed (a redeploy); True if reloaded."""
        with self._swap_lock:
            return self._refresh()

    def _refresh(self) -> bool:
        current = self.served
        try:
            if self._fingerprint(current.api.id) == current.fingerprint:
                return False
            fresh = self._load()
        except Exception as exc:  # pylint: disable=broad-exception-caught
            if str(exc) != self._reload_error:  # say it once, not at every poll
                self._reload_error = str(exc)
                self.log({"event": "reload-failed", "error": str(exc)})
            return False
        self._reload_error = None
        self.served = fresh
        current.close()
        self.log({"event": "reloaded", "apiId": fresh.api.id, "problems": fresh.problems})
        return True

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_interval):
            self.refresh()

    def start_polling(self) -> None:
        """Watch the emulator for redeploys in a background thread."""
        if self.poll_interval > 0 and self._poller is None:
            self._poller = threading.Thread(target=self._poll, name="gateway-poll", daemon=True)
            self._poller.start()

    def prewarm(self) -> None:
        """Start one worker per servable function."""
        for pool in self.served.pools.values():
            try:
                pool.prewarm()
            except (CodeMismatch, InvokeFailed, InvokeTimeout) as exc:
                self.log({"event": "prewarm-failed", "function": pool.spec.name, "error": str(exc)})

    def close(self) -> None:
        """Stop polling and every worker."""
        self._stop.set()
        self.served.close()

    # -- serving --------------------------------------------------------------------------

    def log(self, record: dict) -> None:
        """Write one JSON line to the log stream."""
        line = json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **record})
        with self._log_lock:
            print(line, file=self.log_stream, flush=True)

    def _error(
        self,
        served: Served,
        request: IncomingRequest,
        error: GatewayError,
        path_parameters: dict | None = None,
    ) -> Answer:
        status, headers, body = gateway_response(
            served.api.gateway_responses,
            error,
            request.request_id,
            request_headers=request.single_headers(),
            query=request.single_query(),
            path_parameters=path_parameters,
            context={
                k: str(v)
                for k, v in self._context(served, request).items()
                if not isinstance(v, dict)
            },
        )
        log = {"error": error.validation_error or error.message or error.response_type}
        return Answer(status, list(headers.items()), body, log)

    def _context(self, served: Served, request: IncomingRequest, resource=None) -> dict:
        """``$context`` as API Gateway fills it for this request."""
        return {
            "requestId": request.request_id,
            "extendedRequestId": request.request_id,
            "apiId": served.api.id,
            "accountId": served.account_id,
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

    def _mock(self, served: Served, route, request: IncomingRequest) -> Answer:
        """A MOCK integration: the request template (VTL) picks the status code, the chosen
        integration response maps headers and renders its template (VTL, with overrides)."""
        integration = route.method.integration
        media = (request.header("Content-Type") or "application/json").split(";")[0].strip()
        template = integration.request_templates.get(
            media, integration.request_templates.get("application/json", "")
        )
        context = self._context(served, request, route.resource)
        variables = served.api.stages.get(request.stage) or {}
        params = vtl.Input(
            route.path_parameters,
            request.single_query(),
            request.single_headers(),
            request.body.decode("utf-8", "replace"),
        )
        try:
            mapped = vtl.render(template or "", context=context, request=params,
                                stage_variables=variables)  # fmt: skip
            selector = str(json.loads(mapped.body or "{}").get("statusCode", 200))
        except (vtl.TemplateError, ValueError, AttributeError) as exc:
            raise GatewayError(
                "API_CONFIGURATION_ERROR", "Internal server error", status=500,
                validation_error=f"MOCK request template: {exc}",
            ) from None  # fmt: skip
        chosen = _select_response(integration.responses, selector)
        headers = _mapped_headers(chosen.get("responseParameters") or {}, request)
        templates = chosen.get("responseTemplates") or {}
        try:
            rendered = vtl.render(templates.get("application/json") or "", context=context,
                                  request=params, stage_variables=variables)  # fmt: skip
        except vtl.TemplateError as exc:
            raise GatewayError(
                "API_CONFIGURATION_ERROR", "Internal server error", status=500,
                validation_error=f"MOCK response template: {exc}",
            ) from None  # fmt: skip
        # Overrides are applied after the standard mappings (AWS: "Overrides are final").
        headers |= rendered.headers
        headers.setdefault("Content-Type", "application/json")
        status = rendered.status or int(chosen.get("statusCode", 200))
        return Answer(status, list(headers.items()), rendered.body.encode())

    def handle(self, request: IncomingRequest) -> Answer:
        """Answer one request (API Gateway's behaviour, see the module docstring)."""
        served = self.served
        api = served.api
        if request.stage not in api.stages:
            return self._error(served, request, GatewayError("ACCESS_DENIED", "Forbidden"))
        if self.openapi_document and (request.method, request.path) == ("GET", "/openapi.json"):
            return self._openapi(request)
        if self.openapi_document and docs.serves(request.method, request.path):
            return self._docs(served, request)
        route = find_route(api.root, request.path, request.method)
        if route is None or route.method is None or route.method.integration is None:
            return self._error(served, request, GatewayError("MISSING_AUTHENTICATION_TOKEN"))
        method, params = route.method, route.path_parameters
        log = {"resource": route.resource.path}
        try:
            if len(request.body) > MAX_BODY:
                raise GatewayError("REQUEST_TOO_LARGE")
            # API Gateway authorizes before it checks the API key or validates the request.
            claims = served.authorization.check(method, request, log)
            if method.api_key_required and request.header("x-api-key") not in served.api_keys:
                raise GatewayError("INVALID_API_KEY", "Forbidden")
            check_parameters(method, request.single_headers(), request.single_query(), params)
            served.validator.check(method, request.header("Content-Type"), request.body)
            integration = method.integration
            log["integration"] = integration.type
            if integration.type == "MOCK":
                answer = self._mock(served, route, request)
            elif integration.type == "AWS_PROXY" and integration.function_name in served.pools:
                answer = self._proxy(served, route, request, log, claims)
            else:
                raise GatewayError(
                    "API_CONFIGURATION_ERROR",
                    "Internal server error",
                    status=500,
                    validation_error=f"{integration.type} integrations are not served locally",
                )
        except GatewayError as error:
            answer = self._error(served, request, error, params)
        answer.log = {**log, **answer.log}
        return answer

    def _openapi(self, request: IncomingRequest) -> Answer:
        """The project's OpenAPI document, its server pointed at this stage (a local extra: a
        deployed API Gateway stage does not serve it)."""
        document = docs.document_for(
            self.openapi_document, f"http://{request.host}/{request.stage}"
        )
        headers = [("Content-Type", "application/json"), ("Access-Control-Allow-Origin", "*")]
        return Answer(200, headers, document, {"integration": "OPENAPI"})

    def _docs(self, served: Served, request: IncomingRequest) -> Answer:
        """The API reference page and its assets (a local extra too, see ``docs``)."""
        try:
            status, headers, body = docs.answer(request.path, f"/{request.stage}")
        except docs.UnknownAsset:
            return self._error(served, request, GatewayError("RESOURCE_NOT_FOUND"))
        return Answer(status, headers, body, {"integration": "DOCS"})

    def _proxy(  # pylint: disable=too-many-arguments,too-many-positional-arguments
        self, served: Served, route, request: IncomingRequest, log: dict, claims=None
    ) -> Answer:
        integration = route.method.integration
        pool = served.pools[integration.function_name]
        log["function"] = pool.spec.name
        event = build_event(
            request,
            api_id=served.api.id,
            account_id=served.account_id,
            resource_id=route.resource.id,
            resource_path=route.resource.path,
            path_parameters=route.path_parameters,
            stage_variables=served.api.stages.get(request.stage) or {},
            binary_media_types=served.api.binary_media_types,
        )
        if claims is not None:
            event["requestContext"]["authorizer"] = {"claims": claims}
        try:
            outcome = pool.invoke(event, integration.timeout_ms / 1000)
        except CodeMismatch as exc:
            raise GatewayError(
                "DEFAULT_5XX", "Internal server error", status=502, validation_error=str(exc)
            ) from None
        except (InvokeFailed, InvokeTimeout) as exc:
            if exc.cold is not None:
                log["start"] = "cold" if exc.cold else "warm"
            if isinstance(exc, InvokeTimeout):
                raise GatewayError(
                    "INTEGRATION_TIMEOUT", validation_error="function timed out"
                ) from None
            raise GatewayError(
                "DEFAULT_5XX",
                "Internal server error",
                status=502,
                validation_error=f"function error: {exc}",
            ) from None
        log["start"] = "cold" if outcome.cold else "warm"
        if outcome.init_ms is not None:
            log["initMs"] = outcome.init_ms
        log["durationMs"] = round(outcome.duration_ms, 1)
        if outcome.queued_ms >= 1:  # waited for a worker: the function was at its concurrency
            log["queuedMs"] = round(outcome.queued_ms, 1)
        status, headers, body = map_response(outcome.result)
        return Answer(status, headers, body)

    # -- WSGI -----------------------------------------------------------------------------

    def wsgi_app(self, environ, start_response):
        """The WSGI application."""
        started = time.monotonic()
        raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ["PATH_INFO"]
        raw_path = raw_uri.split("?", 1)[0]
        path = unquote(raw_path)
        _, _, rest = path.partition("/")
        stage, _, sub = rest.partition("/")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        raw_headers = environ.get("localcloud.raw_headers")
        if raw_headers is None:
            raw_headers = [
                (k[5:].replace("_", "-").title(), v)
                for k, v in environ.items()
                if k.startswith("HTTP_")
            ]
            if environ.get("CONTENT_TYPE"):
                raw_headers.append(("Content-Type", environ["CONTENT_TYPE"]))
        request = IncomingRequest(
            method=environ["REQUEST_METHOD"],
            path="/" + sub if sub else "/",
            stage=stage,
            raw_headers=list(raw_headers),
            query_pairs=parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True),
            body=body,
            source_ip=environ.get("REMOTE_ADDR", "127.0.0.1"),
            host=environ.get("HTTP_HOST", ""),
            protocol=environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        )
        try:
            answer = self.handle(request)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            served = self.served
            answer = self._error(
                served,
                request,
                GatewayError(
                    "DEFAULT_5XX",
                    "Internal server error",
                    status=500,
                    validation_error=f"local gateway error: {exc!r}",
                ),
            )
        headers = [
            (name, value.encode("latin-1", "replace").decode("latin-1"))
            for name, value in answer.headers
            if name.lower() not in ("content-length", "connection", "transfer-encoding")
        ]
        headers += [
            ("x-amzn-RequestId", request.request_id),
            ("x-amz-apigw-id", uuid.uuid4().hex[:16]),
            ("Content-Length", str(len(answer.body))),
        ]
        reason = _REASONS.get(answer.status, "")
        start_response(f"{answer.status} {reason}".strip(), headers)
        self.log(
            {
                "requestId": request.request_id,
                "method": request.method,
                "path": raw_path,
                "status": answer.status,
                "latencyMs": round((time.monotonic() - started) * 1000, 1),
                **answer.log,
            }
        )
        return [answer.body] if request.method != "HEAD" else [b""]


def _select_response(responses: dict[str, dict], selector: str) -> dict:
    """The integration response whose selection pattern matches, else the default one."""
    for response in responses.values():
        pattern = response.get("selectionPattern")
        if pattern and re.fullmatch(pattern, selector):
            return response
    chosen = responses.get(selector) or next(
        (r for r in responses.values() if not r.get("selectionPattern")), None
    )
    if chosen is None:
        raise GatewayError(
            "API_CONFIGURATION_ERROR",
            "Internal server error",
            status=500,
            validation_error="MOCK integration has no integration response",
        )
    return chosen


def _mapped_headers(parameters: dict[str, str], request: IncomingRequest) -> dict[str, str]:
    """An integration response's header mappings: static values or request parameters."""
    headers = {}
    query = request.single_query()
    lowered = {k.lower(): v for k, v in request.single_headers().items()}
    for key, expression in parameters.items():
        if not key.startswith("method.response.header."):
            continue
        if len(expression) >= 2 and expression[0] == expression[-1] == "'":
            value = expression[1:-1]
        elif expression.startswith("method.request.header."):
            value = lowered.get(expression.rsplit(".", 1)[1].lower())
        elif expression.startswith("method.request.querystring."):
            value = query.get(expression.rsplit(".", 1)[1])
        else:
            value = None
        if value is not None:
            headers[key[len("method.response.header.") :]] = value
    return headers


_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    304: "Not Modified",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class _RequestHandler(WSGIRequestHandler):
    """Keeps the raw header list (order, case, repeats) and stays quiet about each request."""

    def make_environ(self):
        environ = super().make_environ()
        environ["localcloud.raw_headers"] = list(self.headers.items())
        return environ

    def log_request(self, *args, **kwargs):
        pass


def serve(gateway: Gateway, host: str, port: int):
    """A bound werkzeug server for ``gateway`` (port 0: any free one); call ``serve_forever``."""
    sock = listen(host, port, "local gateway", "--port")
    server = make_server(
        host,
        sock.getsockname()[1],
        gateway.wsgi_app,
        threaded=True,
        request_handler=_RequestHandler,
        fd=sock.fileno(),
    )
    sock.close()  # the server listens on its own duplicate of the socket
    server.daemon_threads = True
    return server
