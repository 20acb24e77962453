"""The functions' Logger and Tracer (Powertools), and the one log line each request leaves.

Service name and log level come from ``POWERTOOLS_SERVICE_NAME`` and ``POWERTOOLS_LOG_LEVEL``,
which the Functions construct sets from the environment's configuration; every log line also
carries the environment's name.
"""

import json
import os
from typing import Any

from aws_lambda_powertools import Logger, Tracer

from ..spec import settings

logger = Logger()
logger.append_keys(environment=os.environ.get(settings.ENVIRONMENT, "unknown"))
# The functions call out only through botocore: patching X-Ray's other supported libraries
# (sqlite3, requests, ...) would only import them at init for nothing.
tracer = Tracer(patch_modules=("botocore",))


def log_request(event: dict[str, Any], response: dict[str, Any], latency_ms: float) -> None:
    """One INFO line per request: route, status, latency, correlation id, caller, error code.

    Never a body, a query value or a header value (they carry emails and tokens); at DEBUG, the
    names of what the request carried and the response's size.
    """
    context = event.get("requestContext") or {}
    claims = (context.get("authorizer") or {}).get("claims") or {}
    status = int(response.get("statusCode", 0))
    line: dict[str, Any] = {
        "route": f"{event.get('httpMethod')} {event.get('resource')}",
        "status": status,
        "latencyMs": round(latency_ms, 1),
        "correlationId": context.get("requestId"),
    }
    if claims.get("sub"):
        line["caller"] = claims["sub"]
    if 400 <= status < 500:
        line["errorCode"] = _error_code(response.get("body"))
    logger.info("request", extra=line)
    logger.debug(
        "request detail",
        extra={
            "pathParameters": sorted((event.get("pathParameters") or {}).keys()),
            "queryParameters": sorted((event.get("queryStringParameters") or {}).keys()),
            "headers": sorted((event.get("headers") or {}).keys()),
            "bodyBytes": len(event.get("body") or ""),
            "responseBytes": len(response.get("body") or ""),
        },
    )


def _error_code(body: str | None) -> str | None:
    try:
        return json.loads(body or "")["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
