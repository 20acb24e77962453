"""HTTP plumbing shared by the three functions: resolver, routes, JSON in and out, errors, CORS.

Thin wrappers over Powertools' ``APIGatewayRestResolver``; the entry modules only map the route
table's operations to their functions (``serve``).
"""

import base64
import json
import os
import re
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.logging import correlation_paths
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as AwsConnectionError

from ..runtime.observability import log_request, logger, tracer
from ..spec import cors as cors_rules
from ..spec import routes, settings
from ..spec.errors import (
    ApiError,
    BadRequest,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    detail,
)
from ..spec.schemas import MAX_BODY_BYTES, UUID_PATTERN
from . import caller
from .validation import validate

_UUID = re.compile(UUID_PATTERN)
_LIMIT = re.compile(r"[0-9]{1,4}")
_JSON = "application/json"
# AWS's answers that mean "not now" rather than "never": its throttling codes (as botocore's
# standard retry mode lists them) and every 5xx. Still there after the SDK's retries, they are
# the contract's 503 with Retry-After; any other AWS error is a bug of ours: 500.
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)


def dumps(value: Any) -> str:
    """Serialize to JSON, writing ``Decimal`` as a JSON number with its exact digits.

    ``json.dumps`` cannot emit a Decimal as a number, and Powertools' encoder writes it as a
    string; a float round-trip would turn 19.99 into 19.989999... somewhere downstream.
    """
    if isinstance(value, dict):
        return (
            "{" + ",".join(f"{json.dumps(key)}:{dumps(item)}" for key, item in value.items()) + "}"
        )
    if isinstance(value, list):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    if isinstance(value, Decimal):
        return format(value, "f")
    return json.dumps(value, ensure_ascii=False)


def error_response(
    status: int,
    code: str,
    message: str,
    details: list | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The contract's error body."""
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return Response(status_code=status, content_type=_JSON, body=dumps(body), headers=headers)


def unavailable(exc: ServiceUnavailable) -> Response:
    """The contract's 503, with ``Retry-After``."""
    headers = {"Retry-After": str(exc.retry_after)}
    return error_response(exc.status, exc.code, exc.message, exc.details, headers)


def aws_failed(exc: Exception) -> bool:
    """Whether an exception from a boto3 call is AWS not answering now (throttled, a 5xx, a
    timeout, no connection) rather than refusing the call for good."""
    if isinstance(exc, HTTPClientError | AwsConnectionError):
        return True
    if not isinstance(exc, ClientError):
        return False
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return exc.response.get("Error", {}).get("Code") in THROTTLING_CODES or status >= 500


def allowed_origins() -> list[str]:
    """The environment's allowed origins (comma separated; "*" allows any)."""
    raw = os.environ.get(settings.CORS_ALLOWED_ORIGINS, "*")
    return [origin.strip() for origin in raw.split(",") if origin.strip()] or ["*"]


def create_app() -> APIGatewayRestResolver:
    """A resolver with the environment's CORS, Decimal-exact JSON, the contract's errors, and
    each route's role from the route table checked before the route runs."""
    origins = allowed_origins()
    cors = CORSConfig(
        allow_origin=origins[0],
        extra_origins=origins[1:],
        allow_headers=list(cors_rules.ALLOW_HEADERS),
        max_age=cors_rules.MAX_AGE_SECONDS,
    )
    app = APIGatewayRestResolver(cors=cors, serializer=dumps)
    app.use(middlewares=[_enforce_access])

    @app.exception_handler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        if isinstance(exc, ServiceUnavailable):
            logger.warning("Service unavailable", extra={"reason": exc.message})
            return unavailable(exc)
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        if aws_failed(exc):
            # Logged with AWS's own words for us; the client gets the contract's words only.
            logger.warning("AWS kept failing", extra={"awsError": repr(exc)})
            return unavailable(ServiceUnavailable("The service is busy; retry later."))
        # Logged with its stack trace for us; the client learns nothing about the internals.
        logger.exception("Unhandled error")
        return error_response(500, "INTERNAL", "An internal error occurred.")

    @app.not_found
    def _no_route(_exc: NotFoundError) -> Response:
        return error_response(404, "NOT_FOUND", "No such resource.")

    return app


def resolver_path(path: str) -> str:
    """A route table path in Powertools' syntax: ``/products/{productId}`` is
    ``/products/<product_id>`` (the function takes ``product_id``)."""
    return re.sub(
        r"\{(\w+)\}", lambda name: "<" + re.sub(r"([A-Z])", r"_\1", name[1]).lower() + ">", path
    )


def serve(
    app: APIGatewayRestResolver, function: str, operations: Mapping[str, Callable[..., Response]]
) -> None:
    """Register on ``app`` every row of the route table that ``function`` serves, each calling
    the function ``operations`` maps its operation id to.

    A row without a function, or a function without a row, fails the import (and so the
    handler tests) with both lists, rather than becoming a 404 or dead code.
    """
    rows = [route for route in routes.ROUTES if route.function == function]
    declared = {route.operation_id for route in rows}
    if declared != set(operations):
        raise ValueError(
            f"{function}: the route table's operations {sorted(declared)} are not the ones "
            f"mapped to functions {sorted(operations)}"
        )
    for route in rows:
        register = app.route(
            resolver_path(route.path), method=route.method, operation_id=route.operation_id
        )
        register(operations[route.operation_id])


def _enforce_access(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response:
    """The route table's role for the request, before the route's code reads or writes anything.

    A request no row serves goes on to the resolver's 404 (each function serves exactly its rows
    of the table, so the resolver finds no route either).
    """
    event = app.current_event
    route = routes.find(event.http_method, event.path)
    if route is not None:
        caller.require(route.access, event)
    return next_middleware(app)


def resolve(app: APIGatewayRestResolver, event: dict, context: Any) -> dict[str, Any]:
    """Resolve the event and make sure the response carries the CORS headers it should.

    Powertools adds them only when a route matched; an allowed origin gets its own origin back
    on every other response too (unmatched paths), a foreign origin or none gets no allow header
    (unless any origin is allowed), and ``Vary: Origin`` tells caches the answer depends on it.
    """
    started = time.perf_counter()
    response = app.resolve(event, context)
    headers = response.setdefault("multiValueHeaders", {})
    if "Access-Control-Allow-Origin" not in headers:
        request_headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        origin = cors_rules.allow_origin(request_headers.get("origin"), allowed_origins())
        if origin:
            headers["Access-Control-Allow-Origin"] = [origin]
    headers.setdefault("Vary", ["Origin"])
    log_request(event, response, (time.perf_counter() - started) * 1000)
    return response


def json_body(app: APIGatewayRestResolver) -> Any:
    """The request body parsed as JSON with exact decimals; 413 over 64 KiB, 400 if malformed."""
    event = app.current_event
    raw = event.body or ""
    try:
        data = base64.b64decode(raw, validate=True) if event.is_base64_encoded else raw.encode()
    except ValueError as exc:
        raise BadRequest(
            "The body is not valid base64.", [detail("body", "invalid base64")]
        ) from exc
    if len(data) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"The body must not exceed {MAX_BODY_BYTES} bytes.")
    try:
        body = json.loads(data, parse_float=Decimal, parse_constant=_reject_constant)
        # Lone surrogates ("\ud800") parse but cannot be stored as UTF-8: reject them here.
        json.dumps(body, ensure_ascii=False, default=str).encode()
    except ValueError as exc:
        raise BadRequest("The body is not valid JSON.", [detail("body", "malformed JSON")]) from exc
    return body


def _reject_constant(name: str) -> Any:
    # NaN and Infinity are not JSON.
    raise ValueError(name)


def validated_body(app: APIGatewayRestResolver, body_name: str) -> dict[str, Any]:
    """The request body, parsed and validated against ``schemas.BODIES[body_name]``."""
    return validate(body_name, json_body(app))


def path_id(value: str) -> str:
    """A path identifier; anything that is not one of our UUIDs cannot exist: 404."""
    if not _UUID.fullmatch(value):
        raise NotFound("No such resource.")
    return value


def query(app: APIGatewayRestResolver, name: str) -> str | None:
    """One query string parameter (None when absent)."""
    return app.current_event.get_query_string_value(name)


def page_params(app: APIGatewayRestResolver) -> tuple[int, str | None]:
    """``limit`` (1..100, default 20) and ``nextToken`` from the query string."""
    raw = query(app, "limit")
    limit = routes.DEFAULT_LIMIT if raw is None else _parse_limit(raw)
    return limit, query(app, "nextToken")


def _parse_limit(raw: str) -> int:
    if _LIMIT.fullmatch(raw) and 1 <= int(raw) <= routes.MAX_LIMIT:
        return int(raw)
    raise BadRequest(
        "Invalid query parameter.",
        [detail("limit", f"must be an integer from 1 to {routes.MAX_LIMIT}")],
    )


def ok(body: Any, status: int = 200) -> Response:
    """A JSON response."""
    return Response(status_code=status, content_type=_JSON, body=dumps(body))


def no_content() -> Response:
    """204 with no body."""
    return Response(status_code=204, body="")


def page(items: list[dict[str, Any]], next_token: str | None) -> Response:
    """A list response."""
    return ok({"items": items, "nextToken": next_token})


def lambda_handler(
    app: APIGatewayRestResolver,
    function: str,
    operations: Mapping[str, Callable[..., Response]],
    before: Callable[[Any], None] | None = None,
) -> Callable[[dict, Any], dict[str, Any]]:
    """Serve ``operations`` on ``app`` (``serve``) and return the function's Lambda entry point:
    logged with API Gateway's request id as correlation id, traced, ``before(context)`` first."""
    serve(app, function, operations)

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @tracer.capture_lambda_handler
    def handler(event: dict, context: Any) -> dict[str, Any]:
        """Lambda entry point."""
        if before is not None:
            before(context)
        return resolve(app, event, context)

    return handler
