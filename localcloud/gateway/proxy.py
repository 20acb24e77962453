"""The Lambda proxy integration: API Gateway REST payload 1.0 events, and the mapping of a
function's response back to HTTP (as API Gateway does, including its 502 on a malformed one)."""

from __future__ import annotations

import base64
import fnmatch
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from localcloud.gateway.responses import GatewayError

PROXY_RESPONSE_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}


@dataclass
class IncomingRequest:
    """An HTTP request as the gateway received it."""

    method: str
    path: str  # without the stage, decoded
    stage: str
    raw_headers: list[tuple[str, str]]  # in order, repeated names kept
    query_pairs: list[tuple[str, str]]
    body: bytes
    source_ip: str
    host: str
    protocol: str = "HTTP/1.1"
    request_id: str = ""
    received_ms: int = 0
    query_string: str = ""  # as sent, without "?" (the firewall inspects it)

    def __post_init__(self):
        self.request_id = self.request_id or str(uuid.uuid4())
        self.received_ms = self.received_ms or int(time.time() * 1000)

    def header(self, name: str) -> str | None:
        """The last value of a header (names compare without case)."""
        value = None
        for key, item in self.raw_headers:
            if key.lower() == name.lower():
                value = item
        return value

    def single_headers(self) -> dict[str, str]:
        """Headers as API Gateway's ``headers``: the last value of each."""
        single: dict[str, str] = {}
        for key, value in self.raw_headers:
            single[key] = value
        return single

    def single_query(self) -> dict[str, str]:
        """Query string parameters: the last value of each."""
        return dict(self.query_pairs)


def is_binary(content_type: str | None, binary_media_types: list[str]) -> bool:
    """Whether API Gateway would pass this body base64-encoded."""
    if not content_type:
        return False
    media = content_type.split(";")[0].strip().lower()
    return any(fnmatch.fnmatch(media, pattern.lower()) for pattern in binary_media_types)


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]] | None:
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        multi.setdefault(key, []).append(value)
    return multi or None


def build_event(
    request: IncomingRequest,
    *,
    api_id: str,
    account_id: str,
    resource_id: str,
    resource_path: str,
    path_parameters: dict[str, str],
    stage_variables: dict[str, str],
    binary_media_types: list[str],
) -> dict:
    """The API Gateway REST (payload 1.0) proxy event for ``request``."""
    headers = list(request.raw_headers)
    names = {k.lower() for k, _ in headers}
    port = request.host.rsplit(":", 1)[1] if ":" in request.host else "80"
    for key, value in (
        ("X-Forwarded-For", request.source_ip),
        ("X-Forwarded-Port", port),
        ("X-Forwarded-Proto", "http"),
        ("X-Amzn-Trace-Id", f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"),
    ):
        if key.lower() not in names:
            headers.append((key, value))
    single = dict(headers)
    content_type = request.header("Content-Type")
    if not request.body:
        body, encoded = None, False
    elif is_binary(content_type, binary_media_types):
        body, encoded = base64.b64encode(request.body).decode(), True
    else:
        body, encoded = request.body.decode("utf-8", errors="replace"), False
    return {
        "resource": resource_path,
        "path": request.path,
        "httpMethod": request.method,
        "headers": single or None,
        "multiValueHeaders": _multi(headers),
        "queryStringParameters": request.single_query() or None,
        "multiValueQueryStringParameters": _multi(request.query_pairs),
        "pathParameters": path_parameters or None,
        "stageVariables": stage_variables or None,
        "requestContext": _request_context(
            request, api_id, account_id, resource_id=resource_id, resource_path=resource_path
        ),
        "body": body,
        "isBase64Encoded": encoded,
    }


def _request_context(
    request: IncomingRequest, api_id: str, account_id: str, *, resource_id: str, resource_path: str
) -> dict:
    """The event's ``requestContext`` (no ``authorizer``: the caller adds the claims)."""
    when = datetime.fromtimestamp(request.received_ms / 1000, UTC)
    return {
        "resourceId": resource_id,
        "resourcePath": resource_path,
        "httpMethod": request.method,
        "extendedRequestId": uuid.uuid4().hex[:16],
        "requestTime": when.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "path": f"/{request.stage}{request.path}",
        "accountId": account_id,
        "protocol": request.protocol,
        "stage": request.stage,
        "domainPrefix": request.host.split(".")[0].split(":")[0],
        "requestTimeEpoch": request.received_ms,
        "requestId": request.request_id,
        "identity": {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": request.source_ip,
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": request.header("User-Agent"),
            "user": None,
        },
        "domainName": request.host,
        "apiId": api_id,
    }


def _header_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        text = str(value)
        if "\r" in text or "\n" in text:  # it would end the header and start another
            raise ValueError("header values must not contain line breaks")
        return text
    raise ValueError("header values must be strings or numbers")


def _merge_headers(result: dict) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    multi = result.get("multiValueHeaders") or {}
    single = result.get("headers") or {}
    if not isinstance(multi, dict) or not isinstance(single, dict):
        raise ValueError("headers must be objects")
    for name, values in multi.items():
        if not isinstance(values, list):
            raise ValueError("multiValueHeaders values must be lists")
        headers.extend((name, _header_text(v)) for v in values)
    # Both given: merged, and a pair present in both appears once.
    seen = {(n.lower(), v) for n, v in headers}
    for name, value in single.items():
        if (name.lower(), _header_text(value)) not in seen:
            headers.append((name, _header_text(value)))
    return headers


def _body(result: dict) -> bytes:
    body = result.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise ValueError("body must be a string")
    encoded = result.get("isBase64Encoded", False)
    if not isinstance(encoded, bool):
        raise ValueError("isBase64Encoded must be a boolean")
    return base64.b64decode(body, validate=True) if encoded else body.encode()


def map_response(result) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body from a proxy response; a malformed one is a 502."""
    try:
        if not isinstance(result, dict) or set(result) - PROXY_RESPONSE_KEYS:
            raise ValueError("not a proxy response object")
        status = result.get("statusCode")
        if isinstance(status, str) and status.isdigit():
            status = int(status)
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            raise ValueError("statusCode must be an integer HTTP status")
        headers = _merge_headers(result)
        payload = _body(result)
    except (ValueError, TypeError) as exc:
        raise GatewayError.bad_gateway(f"Malformed Lambda proxy response: {exc}") from None
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return status, headers, payload
