"""One request answered against one snapshot, in API Gateway's order: the stage (403 for another),
the local extras, the stage's web ACL (``firewall``: a block is the rule's own answer), the route
(403 ``Missing Authentication Token`` for none), the body's size, the caller's token
(``authorizers``), the API key, the request's parameters and body (``validation``), then the
integration (``integrations``). A refusal at any step is API Gateway's own response
(``responses``), as the API customised it; so is a crash of the gateway itself.
"""

from __future__ import annotations

from localcloud.gateway.answer import Answer
from localcloud.gateway.extras import LocalExtras
from localcloud.gateway.firewall import Verdict
from localcloud.gateway.integrations import integrate
from localcloud.gateway.proxy import IncomingRequest
from localcloud.gateway.responses import INTERNAL, GatewayError, gateway_response
from localcloud.gateway.routing import Route, find_route
from localcloud.gateway.snapshot import Snapshot
from localcloud.gateway.validation import check_parameters

MAX_BODY = 10 * 1024 * 1024


def answer(snapshot: Snapshot, request: IncomingRequest, extras: LocalExtras) -> Answer:
    """The answer to ``request`` (``extras``: what is served besides the API); never raises: a
    crash of the gateway is a 500 in the API's style."""
    try:
        return _answer(snapshot, request, extras)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        crashed = GatewayError(
            "DEFAULT_5XX", INTERNAL, status=500, validation_error=f"local gateway error: {exc!r}"
        )
        return error(snapshot, request, crashed)


def _answer(snapshot: Snapshot, request: IncomingRequest, extras: LocalExtras) -> Answer:
    if request.stage not in snapshot.api.stages:
        return error(snapshot, request, GatewayError("ACCESS_DENIED", "Forbidden"))
    if extras.serves(request):
        try:
            return extras.answer(request)
        except GatewayError as refused:
            return error(snapshot, request, refused)
    web_acl = snapshot.web_acls.get(request.stage)
    verdict = web_acl.evaluate(request) if web_acl else None
    if verdict and verdict.blocked_by:
        return _blocked(snapshot, request, verdict)
    waf_log = {"waf": verdict.log()} if verdict and verdict.labels else {}
    route = find_route(snapshot.api.root, request.path, request.method)
    if route is None or route.method is None or route.method.integration is None:
        missing = error(snapshot, request, GatewayError("MISSING_AUTHENTICATION_TOKEN"))
        missing.log.update(waf_log)
        return missing
    log = {"resource": route.resource.path, **waf_log}
    try:
        claims = admit(snapshot, route, request, log)
        answered = integrate(snapshot, route, request, log, claims)
    except GatewayError as refused:
        answered = error(snapshot, request, refused, route.path_parameters)
    answered.log = {**log, **answered.log}
    return answered


def _blocked(snapshot: Snapshot, request: IncomingRequest, verdict: Verdict) -> Answer:
    """The firewall's answer: the rule's custom response, else API Gateway's WAF_FILTERED."""
    if verdict.answer is None:
        answered = error(snapshot, request, GatewayError("WAF_FILTERED"))
    else:
        status, headers, body = verdict.answer
        answered = Answer(status, headers, body)
    answered.log = {"waf": verdict.log()}
    return answered


def admit(snapshot: Snapshot, route: Route, request: IncomingRequest, log: dict):
    """Raise the GatewayError that refuses ``request`` before its integration, if any; the
    caller's claims for the function (None: the method needs no token)."""
    method = route.method
    if len(request.body) > MAX_BODY:
        raise GatewayError("REQUEST_TOO_LARGE")
    # API Gateway authorizes before it checks the API key or validates the request.
    claims = snapshot.authorization.check(method, request, log)
    if method.api_key_required and request.header("x-api-key") not in snapshot.api_keys:
        raise GatewayError("INVALID_API_KEY", "Forbidden")
    headers, query = request.single_headers(), request.single_query()
    check_parameters(method, headers, query, route.path_parameters)
    snapshot.validator.check(method, request.header("Content-Type"), request.body)
    return claims


def error(
    snapshot: Snapshot,
    request: IncomingRequest,
    refused: GatewayError,
    path_parameters: dict | None = None,
) -> Answer:
    """API Gateway's own answer ``refused``, as the API's gateway responses customise it."""
    context = {k: str(v) for k, v in snapshot.context(request).items() if not isinstance(v, dict)}
    status, headers, body = gateway_response(
        snapshot.api.gateway_responses,
        refused,
        request.request_id,
        request_headers=request.single_headers(),
        query=request.single_query(),
        path_parameters=path_parameters,
        context=context,
    )
    log = {"error": refused.validation_error or refused.message or refused.response_type}
    return Answer(status, list(headers.items()), body, log)
