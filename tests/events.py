"""API Gateway REST proxy events (payload 1.0) and the Lambda context, built in one place.

Used by the handler tests and by the benchmarks (so it must not import pytest). Import it after
``handlers/`` is on ``sys.path``: the resource template comes from the route table.
"""

import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from store.spec import routes  # pylint: disable=import-error

# API Gateway REST hands a function the token's claims as strings; dates in this format.
_CLAIM_TIME = "%a %b %d %H:%M:%S UTC %Y"
_ISSUED = 1700000000


@dataclass(frozen=True)
class Person:
    """Someone signed in to the user pool: what their ID token says about them."""

    sub: str = field(default_factory=lambda: str(uuid.uuid4()))
    groups: tuple[str, ...] = ()
    email: str = ""

    def claims(self) -> dict[str, str]:
        """The ID token's claims as API Gateway's Cognito authorizer passes them to a function:
        every value a string, ``exp``/``iat`` as dates, ``cognito:groups`` comma-joined (and
        absent when the user is in no group, as Cognito leaves it out)."""
        email = self.email or f"{self.sub[:8]}@example.com"
        claims = {
            "sub": self.sub,
            "email": email,
            "email_verified": "true",
            "cognito:username": self.sub,
            "aud": "testclientid",
            "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_test",
            "token_use": "id",
            "auth_time": str(_ISSUED),
            "iat": time.strftime(_CLAIM_TIME, time.gmtime(_ISSUED)),
            "exp": time.strftime(_CLAIM_TIME, time.gmtime(_ISSUED + 3600)),
            "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, self.sub)),
        }
        if self.groups:
            claims["cognito:groups"] = ",".join(self.groups)
        return claims


def customer() -> Person:
    """A new signed-in customer (in no group)."""
    return Person()


def admin() -> Person:
    """A new signed-in member of the ``admins`` group."""
    return Person(groups=("admins",))


def resource_of(method: str, path: str) -> str:
    """The API Gateway resource template that ``path`` matches in the route table."""
    route = routes.find(method, path)
    return path if route is None else route.path


def rest_proxy_event(
    method: str,
    path: str,
    *,
    headers: dict[str, str],
    query: dict[str, str] | None = None,
    body: str | None = None,
    base64_encoded: bool = False,
    stage: str = "test",
    caller: Person | None = None,
) -> dict[str, Any]:
    """The event API Gateway (or the local gateway) sends a Lambda proxy integration.

    ``caller``: who signed the request (None: nobody), as the Cognito authorizer passes it.
    """
    resource = resource_of(method, path)
    names = re.findall(r"\{([^}]+)\}", resource)
    values = [
        part
        for part, template in zip(path.split("/"), resource.split("/"), strict=False)
        if "{" in template
    ]
    request_id = str(uuid.uuid4())
    request_context: dict[str, Any] = {
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
    }
    if caller is not None:
        request_context["authorizer"] = {"claims": caller.claims()}
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
        "requestContext": request_context,
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
