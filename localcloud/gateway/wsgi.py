"""The gateway over HTTP: a WSGI request in (werkzeug's ``Request``), the gateway's ``Answer`` out
(werkzeug's ``Response``), one line in the request log.

API Gateway hands a function the request's headers as they came: in order, with their case, a
repeated name repeated (``multiValueHeaders``). A WSGI environment keeps none of that, so the
server's request handler (``RawHeadersHandler``) puts the header list in the environment as it
read it. Every answer carries API Gateway's ``x-amzn-RequestId`` and ``x-amz-apigw-id`` and its
Content-Length (a HEAD's says how long the GET's body would be; a 204's is 0).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from http import HTTPStatus

from werkzeug.serving import WSGIRequestHandler
from werkzeug.wrappers import Request, Response

from localcloud.gateway.answer import Answer
from localcloud.gateway.log import GatewayLog
from localcloud.gateway.proxy import IncomingRequest

RAW_HEADERS = "localcloud.raw_headers"
"""The environment's key for the header list as the client sent it."""
HOP_BY_HOP = ("content-length", "connection", "transfer-encoding")
"""Headers of an answer that the server sets itself."""


class RawHeadersHandler(WSGIRequestHandler):
    """Keeps the raw header list (order, case, repeats) and stays quiet about each request (the
    gateway's own log has a line for it)."""

    def make_environ(self):
        environ = super().make_environ()
        environ[RAW_HEADERS] = list(self.headers.items())
        return environ

    def log_request(self, *args, **kwargs):
        pass


class GatewayResponse(Response):
    """werkzeug's response with API Gateway's Content-Length on a 204 too, which werkzeug
    leaves out."""

    def get_wsgi_headers(self, environ):
        headers = super().get_wsgi_headers(environ)
        if self.status_code == 204:
            headers["Content-Length"] = "0"
        return headers


class WsgiApp:  # pylint: disable=too-few-public-methods  # one verb: the WSGI call
    """The WSGI application of ``handle`` (a request in, its ``Answer`` out), logging to ``log``."""

    def __init__(self, handle: Callable[[IncomingRequest], Answer], log: GatewayLog):
        self.handle = handle
        self.log = log

    def __call__(self, environ, start_response):
        started = time.monotonic()
        request = Request(environ)
        incoming = incoming_request(request)
        answer = self.handle(incoming)
        response = http_response(answer, incoming.request_id)
        raw_path = environ.get("RAW_URI") or request.path  # as it came: still percent-encoded
        self.log.write(
            {
                "requestId": incoming.request_id,
                "method": incoming.method,
                "path": raw_path.split("?", 1)[0],
                "status": answer.status,
                "latencyMs": round((time.monotonic() - started) * 1000, 1),
                **answer.log,
            }
        )
        return response(environ, start_response)


def incoming_request(request: Request) -> IncomingRequest:
    """The gateway's view of an HTTP request: ``/<stage>/<path>``, decoded."""
    _, _, rest = request.path.partition("/")
    stage, _, sub = rest.partition("/")
    raw_headers = request.environ.get(RAW_HEADERS)
    if raw_headers is None:  # not from RawHeadersHandler (a test client): the best there is
        raw_headers = list(request.headers.items())
    return IncomingRequest(
        method=request.method,
        path="/" + sub,
        stage=stage,
        raw_headers=list(raw_headers),
        query_pairs=list(request.args.items(multi=True)),
        body=request.get_data(),
        source_ip=request.remote_addr or "127.0.0.1",
        host=request.headers.get("Host", ""),
        protocol=request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        query_string=request.query_string.decode("latin-1"),
    )


def http_response(answer: Answer, request_id: str) -> Response:
    """``answer`` as an HTTP response, with API Gateway's own headers."""
    headers = [
        (name, value.encode("latin-1", "replace").decode("latin-1"))
        for name, value in answer.headers
        if name.lower() not in HOP_BY_HOP
    ]
    headers += [("x-amzn-RequestId", request_id), ("x-amz-apigw-id", uuid.uuid4().hex[:16])]
    return GatewayResponse(answer.body, status=_status_line(answer.status), headers=headers)


def _status_line(status: int) -> str | int:
    """``201 Created`` as API Gateway writes it (werkzeug's own is in capitals)."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return status
