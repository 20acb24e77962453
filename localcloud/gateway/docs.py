"""The API reference page: Swagger UI over the stage's OpenAPI document, at ``/<stage>/docs``.

A local extra, like ``/<stage>/openapi.json`` beside it: a deployed API Gateway stage serves
neither (``python -m localcloud.tools.api_docs`` serves the page for a stage on AWS). Swagger UI
comes from
npm's ``swagger-ui-dist``, pinned in package.json and read from node_modules, so the page loads
nothing from outside the machine; its Content-Security-Policy says so to the browser. The page
offers Swagger UI's "Authorize" for whatever security schemes the document declares, and "Try it
out" calls the URL in the document's ``servers``: the stage that served it.
"""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path

from localcloud import PROJECT_ROOT

ASSETS_DIR = PROJECT_ROOT / "node_modules" / "swagger-ui-dist"
"""Where npm puts swagger-ui-dist (``scripts/bootstrap.sh`` runs ``npm ci``)."""

STARTER = Path(__file__).with_name("docs.js")
"""The project's own script that starts Swagger UI (a file, since the policy allows no inline
script)."""

PATH = "/docs"

_CSS = "text/css; charset=utf-8"
_JS = "text/javascript; charset=utf-8"
# The files of swagger-ui-dist that the page loads. Any other name under /docs/ is a 404.
_VENDOR = {
    "swagger-ui.css": _CSS,
    "index.css": _CSS,
    "swagger-ui-bundle.js": _JS,
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}
_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API reference</title>
<link rel="stylesheet" href="{docs}/swagger-ui.css">
<link rel="stylesheet" href="{docs}/index.css">
<link rel="icon" type="image/png" href="{docs}/favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="{docs}/favicon-16x16.png" sizes="16x16">
</head>
<body>
<div id="swagger-ui" data-spec="{spec}"></div>
<script src="{docs}/swagger-ui-bundle.js"></script>
<script src="{docs}/docs.js"></script>
</body>
</html>
"""


class UnknownAsset(LookupError):
    """A name under ``/docs/`` that the page does not have."""


def serves(method: str, path: str) -> bool:
    """Whether a request for ``path`` (below the stage) is for the page or one of its assets."""
    return method in ("GET", "HEAD") and (path == PATH or path.startswith(PATH + "/"))


def content_security_policy(connect: str = "'self'") -> str:
    """The page's policy: its own scripts, styles and images only, requests to ``connect``.

    ``data:`` images too: swagger-ui.css draws its arrows and icons as SVG data URLs, which
    reach nothing outside the page. No ``unsafe-inline`` or ``unsafe-eval`` anywhere: Swagger UI
    (React) sets styles through the DOM, which a policy does not block, and the starting script
    is a file of the site.
    """
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src {connect}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


def document_for(path: Path, server_url: str) -> bytes:
    """The OpenAPI document at ``path`` with ``servers`` pointed at ``server_url`` (where "Try it
    out" sends its requests)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    document["servers"] = [{"url": server_url}]
    return json.dumps(document).encode()


def answer(
    path: str,
    prefix: str,
    *,
    connect: str = "'self'",
    assets: Path = ASSETS_DIR,
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body for ``path`` (``/docs`` or ``/docs/<asset>``) on a site whose
    OpenAPI document is at ``<prefix>/openapi.json``; ``UnknownAsset`` for a name the page does
    not have. Without swagger-ui-dist installed: a 503 that says how to install it."""
    name = path[len(PATH) :].lstrip("/")
    if name and name != STARTER.name and name not in _VENDOR:
        raise UnknownAsset(name)
    if not (assets / "swagger-ui-bundle.js").is_file():
        message = f"Swagger UI is not installed ({assets} is missing): run scripts/bootstrap.sh.\n"
        return 503, _headers("text/plain; charset=utf-8", "no-store"), message.encode()
    if not name:
        body = _PAGE.format(
            docs=html.escape(prefix + PATH),
            spec=html.escape(prefix + "/openapi.json"),
        )
        headers = _headers("text/html; charset=utf-8", "no-store")
        headers.append(("Content-Security-Policy", content_security_policy(connect)))
        return 200, headers, body.encode()
    if name == STARTER.name:
        return 200, _headers(_JS, "no-cache"), STARTER.read_bytes()
    # The vendor files change only with the pinned version: a short cache spares reloads.
    return 200, _headers(_VENDOR[name], "max-age=300"), _read(assets / name)


@cache
def _read(path: Path) -> bytes:
    return path.read_bytes()


def _headers(content_type: str, cache_control: str) -> list[tuple[str, str]]:
    return [
        ("Content-Type", content_type),
        ("Cache-Control", cache_control),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
    ]
