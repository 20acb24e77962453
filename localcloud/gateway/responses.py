"""API Gateway's own responses (gateway responses), customised by what was deployed.

A response type that the API did not customise inherits the deployed DEFAULT_4XX or DEFAULT_5XX
(their headers, such as the CORS ones, and templates) and keeps its own status code. Templates
get simple variable substitution, as on AWS (``vtl.substitute``): no VTL directives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from localcloud.gateway.vtl import substitute

INTERNAL = "Internal server error"
# type: (status, message, x-amzn-ErrorType)
BUILT_IN = {
    "MISSING_AUTHENTICATION_TOKEN": (
        403,
        "Missing Authentication Token",
        "MissingAuthenticationTokenException",
    ),
    "ACCESS_DENIED": (403, "Forbidden", "AccessDeniedException"),
    "UNAUTHORIZED": (401, "Unauthorized", "UnauthorizedException"),
    "AUTHORIZER_CONFIGURATION_ERROR": (500, INTERNAL, "AuthorizerConfigurationException"),
    "INVALID_API_KEY": (403, "Forbidden", "ForbiddenException"),
    "BAD_REQUEST_BODY": (400, "Invalid request body", "BadRequestException"),
    "BAD_REQUEST_PARAMETERS": (400, None, "BadRequestException"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long", "RequestTooLargeException"),
    "UNSUPPORTED_MEDIA_TYPE": (415, "Unsupported Media Type", "UnsupportedMediaTypeException"),
    "RESOURCE_NOT_FOUND": (404, "Not Found", "NotFoundException"),
    "THROTTLED": (429, "Too Many Requests", "TooManyRequestsException"),
    "WAF_FILTERED": (403, "Forbidden", "ForbiddenException"),
    "INTEGRATION_TIMEOUT": (504, "Endpoint request timed out", "InternalServerErrorException"),
    "INTEGRATION_FAILURE": (504, INTERNAL, "InternalServerErrorException"),
    "API_CONFIGURATION_ERROR": (500, INTERNAL, "InternalServerErrorException"),
    "DEFAULT_4XX": (400, "Bad Request", "BadRequestException"),
    "DEFAULT_5XX": (502, INTERNAL, "InternalServerErrorException"),
}
DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'


@dataclass
class GatewayError(Exception):
    """A request that API Gateway itself answers (the function never runs, or failed)."""

    response_type: str
    message: str | None = None
    status: int | None = None
    validation_error: str = ""

    def __str__(self) -> str:
        return f"{self.response_type}: {self.message}"

    @classmethod
    def misconfigured(cls, reason: str) -> GatewayError:
        """A 500 for what was deployed but cannot be served (``reason`` goes to the log)."""
        return cls("API_CONFIGURATION_ERROR", INTERNAL, status=500, validation_error=reason)

    @classmethod
    def bad_gateway(cls, reason: str) -> GatewayError:
        """API Gateway's 502 for a function that failed or answered nonsense (``reason`` goes
        to the log)."""
        return cls("DEFAULT_5XX", INTERNAL, status=502, validation_error=reason)


def _parameter_value(expression: str, request_headers: dict, query: dict, path: dict):
    if len(expression) >= 2 and expression[0] == expression[-1] == "'":
        return expression[1:-1]
    for prefix, source in (
        ("method.request.header.", request_headers),
        ("method.request.querystring.", query),
        ("method.request.path.", path),
    ):
        if expression.startswith(prefix):
            name = expression[len(prefix) :]
            if source is request_headers:
                lowered = {k.lower(): v for k, v in source.items()}
                return lowered.get(name.lower())
            return source.get(name)
    return None


def _headers(parameters: dict, request_headers: dict, query: dict, path: dict) -> dict:
    headers = {}
    for key, expression in parameters.items():
        if key.startswith("gatewayresponse.header."):
            value = _parameter_value(expression, request_headers, query, path)
            if value is not None:
                headers[key[len("gatewayresponse.header.") :]] = value
    return headers


def render_template(
    template: str,
    *,
    message: str,
    request_id: str,
    error: GatewayError,
    context: dict[str, str] | None = None,
) -> str:
    """The template with its ``$context`` variables substituted: the request's, and the error's
    (``message``, ``messageString`` (quoted), ``responseType``, ``validationErrorString``)."""
    variables = {f"context.{k}": v for k, v in (context or {}).items()}
    variables |= {
        "context.requestId": request_id,
        "context.error.message": message,
        "context.error.messageString": json.dumps(message),
        "context.error.responseType": error.response_type,
        "context.error.validationErrorString": error.validation_error,
    }
    return substitute(template, variables)


def gateway_response(
    deployed: dict[str, dict],
    error: GatewayError,
    request_id: str,
    *,
    request_headers: dict | None = None,
    query: dict | None = None,
    path_parameters: dict | None = None,
    context: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of API Gateway's answer to ``error``."""
    status, default_message, error_type = BUILT_IN.get(error.response_type, BUILT_IN["DEFAULT_5XX"])
    status = error.status or status
    message = error.message or default_message or ""
    fallback = "DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX"
    custom = deployed.get(error.response_type) or {}
    inherited = deployed.get(fallback) or {}
    if custom.get("statusCode"):
        status = int(custom["statusCode"])
    parameters = {**(inherited.get("responseParameters") or {})}
    parameters.update(custom.get("responseParameters") or {})
    templates = custom.get("responseTemplates") or inherited.get("responseTemplates") or {}
    template = templates.get("application/json") or DEFAULT_TEMPLATE
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": error_type}
    headers.update(_headers(parameters, request_headers or {}, query or {}, path_parameters or {}))
    body = render_template(
        template, message=message, request_id=request_id, error=error, context=context
    ).encode()
    return status, headers, body
