"""API Gateway REST proxy events (payload 1.0) and the Lambda context, built in one place.

Used by the handler tests and by the benchmarks (so it must not import pytest). Import it after
``handlers/`` is on ``sys.path``: the resource template comes from the route table.
"""

import re
import uuid
from dataclasses import dataclass
from typing import Any

from store import routes  # pylint: disable=import-error


def resource_of(method: str, path: str) -> str:
    """The API Gateway resource template that ``path`` matches in the route table."""
    for route in routes.ROUTES:
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", route.path)
        if route.method == method and re.fullmatch(pattern, path):
            return route.path
    return path


def rest_proxy_event(
    method: str,
    path: str,
    *,
    headers: dict[str, str],
    query: dict[str, str] | None = None,
    body: str | None = None,
    base64_encoded: bool = False,
    stage: str = "test",
) -> dict[str, Any]:
    """The event API Gateway (or the local gateway) sends a Lambda proxy integration."""
    resource = resource_of(method, path)
    names = re.findall(r"\{([^}]+)\}", resource)
    values = [
        part
        for part, template in zip(path.split("/"), resource.split("/"), strict=False)
        if "{" in template
    ]
    request_id = str(uuid.uuid4())
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {key: [value] for key, value in headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": dict(zip(names, values, strict=True)) or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTimeEpoch": 1700000000000,
            "accountId": "123456789012",
            "apiId": f"{stage}api",
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": "203.0.113.1", "userAgent": stage},
        },
        "body": body,
        "isBase64Encoded": base64_encoded,
    }


@dataclass
class LambdaContext:
    """The attributes of the Lambda context the functions and Powertools read."""

    function_name: str = "store-test"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:store-test"
    aws_request_id: str = "test-request"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        """Plenty of time."""
        return 30_000
