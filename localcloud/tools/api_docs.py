"""``python -m localcloud.tools.api_docs --api-url URL``: the API reference page alone, for a stage
on AWS.

A deployed API Gateway stage serves no reference page (the local gateway's ``/<stage>/docs`` is a
local extra). This serves the same page (``localcloud.gateway.docs``) and the project's OpenAPI
document with its ``servers`` pointed at ``URL``, at http://localhost:3000/docs by default. "Try
it out" then calls the stage from the browser, so the stage's CORS must allow the page's origin:
dev allows http://localhost:3000; for another stage, add the origin with
``ECOMMERCE_<ENV>_CORS_ORIGINS`` or read the reference without trying it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

from localcloud import PROJECT_ROOT
from localcloud.base import command
from localcloud.base.errors import LocalCloudError
from localcloud.base.ports import wsgi_server
from localcloud.gateway import docs

_JSON = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
_NOT_FOUND = json.dumps({"message": "Not Found"}).encode()


def stage_url(value: str) -> str:
    """``value`` if it is a stage URL (http(s)://host/stage, no query): else ``ValueError``."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(
            f"{value!r} is not a stage URL such as "
            "https://abc123.execute-api.us-east-1.amazonaws.com/dev (the ApiGatewayUrl output)"
        )
    return value.rstrip("/")


def application(api_url: str, document: Path):
    """The WSGI application: ``/docs`` and its assets, ``/openapi.json`` pointed at ``api_url``."""
    parts = urlsplit(api_url)
    connect = f"'self' {parts.scheme}://{parts.netloc}"

    def app(environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO") or "/"
        status, headers, body = 404, _JSON, _NOT_FOUND
        if method in ("GET", "HEAD") and path == "/":
            status, headers, body = 302, [("Location", docs.PATH)], b""
        elif method in ("GET", "HEAD") and path == "/openapi.json":
            status, body = 200, docs.document_for(document, api_url)
        elif docs.serves(method, path):
            with contextlib.suppress(docs.UnknownAsset):
                status, headers, body = docs.answer(path, "", connect=connect)
        headers = [*headers, ("Content-Length", str(len(body)))]
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body] if method != "HEAD" else [b""]

    return app


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m localcloud.tools.api_docs",
        description="Serve the API reference page for a stage on AWS (or any stage URL).",
    )
    parser.add_argument(
        "--api-url",
        required=True,
        help="the stage URL, e.g. the ApiGatewayUrl output of `cdktf deploy ecommerce-dev`",
    )
    command.add_address(parser, "the page")
    args = parser.parse_args(argv)
    try:
        args.api_url = stage_url(args.api_url)
    except ValueError as exc:
        parser.error(f"--api-url: {exc}")
    return args


def main(argv=None) -> int:
    """Serve until Ctrl-C or SIGTERM."""
    args = parse_args(argv)
    document = PROJECT_ROOT / "openapi.json"
    try:
        if not document.is_file():
            raise LocalCloudError(f"{document} is missing: run `python -m contract.openapi`.")
        app = application(args.api_url, document)
        server = wsgi_server(app, args.host, args.port, "reference page", "--port")
    except LocalCloudError as exc:
        print(exc, file=sys.stderr)
        return exc.exit_code
    host = "localhost" if args.host == "127.0.0.1" else args.host
    print(f"API reference of {args.api_url} at http://{host}:{server.port}{docs.PATH}", flush=True)
    command.serve_until_interrupted(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
