"""A routed, admitted request handed to its method's integration, as API Gateway does:

- ``MOCK``: the request mapping template (Velocity) picks a status code; the integration
  response it selects maps headers (static values or request parameters) and renders its own
  template, whose ``$context.responseOverride`` settings come last (AWS: "Overrides are final").
- ``AWS_PROXY``: the function runs in a warm worker on the payload 1.0 event (``proxy``); what
  it answers maps back to HTTP, and its failures to API Gateway's: a function error, a crash or
  code that matches no package is a 502, a timeout a 504.

Any other integration type is a 500 (a configuration the local gateway does not serve).
"""

from __future__ import annotations

import json
import re

from localcloud.emulator.fault_rule import describe
from localcloud.gateway import vtl
from localcloud.gateway.answer import Answer
from localcloud.gateway.proxy import IncomingRequest, build_event, map_response
from localcloud.gateway.responses import GatewayError
from localcloud.gateway.routing import Route
from localcloud.gateway.snapshot import Snapshot
from localcloud.lambdas.code_store import CodeMismatch
from localcloud.lambdas.function_faults import function_rules
from localcloud.lambdas.function_pool import FunctionPool, InvokeOutcome
from localcloud.lambdas.invoke_errors import InvokeFailed, InvokeTimeout

RESPONSE_HEADER = "method.response.header."


def integrate(
    snapshot: Snapshot, route: Route, request: IncomingRequest, log: dict, claims=None
) -> Answer:
    """The integration's answer to ``request`` (``claims``: the caller's, for the function);
    what it did goes into ``log``."""
    integration = route.method.integration
    log["integration"] = integration.type
    if integration.type == "MOCK":
        return mock(snapshot, route, request)
    if integration.type == "AWS_PROXY" and integration.function_name in snapshot.pools:
        return aws_proxy(snapshot, route, request, log, claims)
    raise GatewayError.misconfigured(f"{integration.type} integrations are not served locally")


def mock(snapshot: Snapshot, route: Route, request: IncomingRequest) -> Answer:
    """A MOCK integration's answer (see the module docstring)."""
    integration = route.method.integration
    media = (request.header("Content-Type") or "application/json").split(";")[0].strip()
    template = integration.request_templates.get(
        media, integration.request_templates.get("application/json", "")
    )
    render = _renderer(snapshot, route, request)
    try:
        selector = str(json.loads(render(template).body or "{}").get("statusCode", 200))
    except (vtl.TemplateError, ValueError, AttributeError) as exc:
        raise GatewayError.misconfigured(f"MOCK request template: {exc}") from None
    chosen = _select_response(integration.responses, selector)
    headers = _mapped_headers(chosen.get("responseParameters") or {}, request)
    templates = chosen.get("responseTemplates") or {}
    try:
        rendered = render(templates.get("application/json"))
    except vtl.TemplateError as exc:
        raise GatewayError.misconfigured(f"MOCK response template: {exc}") from None
    headers |= rendered.headers  # the overrides, after the standard mappings
    headers.setdefault("Content-Type", "application/json")
    status = rendered.status or int(chosen.get("statusCode", 200))
    return Answer(status, list(headers.items()), rendered.body.encode())


def _renderer(snapshot: Snapshot, route: Route, request: IncomingRequest):
    """Renders a mapping template (None: an empty one) with this request's variables."""
    context = snapshot.context(request, route.resource)
    variables = snapshot.api.stages.get(request.stage) or {}
    params = vtl.Input(
        route.path_parameters,
        request.single_query(),
        request.single_headers(),
        request.body.decode("utf-8", "replace"),
    )

    def render(template: str | None) -> vtl.Rendered:
        return vtl.render(
            template or "", context=context, request=params, stage_variables=variables
        )

    return render


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
        raise GatewayError.misconfigured("MOCK integration has no integration response")
    return chosen


def _mapped_headers(parameters: dict[str, str], request: IncomingRequest) -> dict[str, str]:
    """An integration response's header mappings: static values or request parameters."""
    headers = {}
    query = request.single_query()
    lowered = {k.lower(): v for k, v in request.single_headers().items()}
    for key, expression in parameters.items():
        if not key.startswith(RESPONSE_HEADER):
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
            headers[key[len(RESPONSE_HEADER) :]] = value
    return headers


def aws_proxy(  # pylint: disable=too-many-arguments,too-many-positional-arguments
    snapshot: Snapshot, route: Route, request: IncomingRequest, log: dict, claims=None
) -> Answer:
    """A Lambda proxy integration's answer (see the module docstring)."""
    integration = route.method.integration
    pool = snapshot.pools[integration.function_name]
    log["function"] = pool.spec.name
    event = build_event(
        request,
        api_id=snapshot.api.id,
        account_id=snapshot.account_id,
        resource_id=route.resource.id,
        resource_path=route.resource.path,
        path_parameters=route.path_parameters,
        stage_variables=snapshot.api.stages.get(request.stage) or {},
        binary_media_types=snapshot.api.binary_media_types,
    )
    if claims is not None:
        event["requestContext"]["authorizer"] = {"claims": claims}
    outcome = _invoke(pool, event, integration.timeout_ms / 1000, log)
    log["start"] = "cold" if outcome.cold else "warm"
    if outcome.init_ms is not None:
        log["initMs"] = outcome.init_ms
    log["durationMs"] = round(outcome.duration_ms, 1)
    if outcome.queued_ms >= 1:  # waited for a worker: the function was at its concurrency
        log["queuedMs"] = round(outcome.queued_ms, 1)
    return Answer(*map_response(outcome.result))


def _invoke(pool: FunctionPool, event: dict, timeout_s: float, log: dict) -> InvokeOutcome:
    """Run the function (with the fault a rule injects into it, logged with its rule); its
    failures as the GatewayError API Gateway answers them with."""
    faults = function_rules(pool.endpoint_url).for_invocation(pool.spec.name)
    if faults.fired is not None:
        log["fault"] = describe(faults.fired)
    try:
        return pool.invoke(event, timeout_s, faults)
    except CodeMismatch as exc:
        raise GatewayError.bad_gateway(str(exc)) from None
    except (InvokeFailed, InvokeTimeout) as exc:
        struck = exc.struck is not None and faults.described(exc.struck)
        if struck:  # an ``at`` rule the emulator fired at the handler's call
            log["fault"] = describe(struck)
        if exc.cold is not None:
            log["start"] = "cold" if exc.cold else "warm"
        if isinstance(exc, InvokeTimeout):
            raise GatewayError(
                "INTEGRATION_TIMEOUT", validation_error="function timed out"
            ) from None
        raise GatewayError.bad_gateway(f"function error: {exc}") from None
