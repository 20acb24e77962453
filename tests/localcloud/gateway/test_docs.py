"""The API reference page (localcloud/gateway/docs.py): its headers and 404s over HTTP, and the
page itself in a real headless Chromium (Debian's, driven by Playwright): it renders every
operation of the route table, "Try it out" calls the local stage, and "Authorize" sends the
token. Against the gateway serving the hand-built API of conftest.py, whose greedy ``/{proxy+}``
function echoes each request back, so every operation of the document answers."""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path

import pytest
import requests
from playwright.sync_api import sync_playwright

from handlers.store.spec import routes
from localcloud.gateway import docs
from tests.localcloud.conftest import OPENAPI_DOCUMENT

CHROMIUM = Path("/usr/bin/chromium")
# What Chromium needs on a machine with no network but loopback, else it floods the log with
# refused connections (and no sandbox: CI runs as root).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TOKEN = "eyJ.test-id-token.docs-page"


def _operations(document: dict) -> dict[tuple[str, str], dict]:
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def _security(document: dict, operation: dict) -> list[dict]:
    return operation.get("security", document.get("security", []))


def _with_a_security_scheme(document: dict) -> dict:
    """The document as it is if it declares a security scheme; else with the one the sign-in
    work declares (the ID token, apiKey in Authorization) on one operation, so that the page's
    "Authorize" is exercised either way."""
    if document.get("components", {}).get("securitySchemes"):
        return document
    document["components"]["securitySchemes"] = {
        "idToken": {"type": "apiKey", "in": "header", "name": "Authorization"}
    }
    document["paths"]["/products/{productId}"]["get"]["security"] = [{"idToken": []}]
    return document


def _sample(schema: dict) -> str:
    """A value for a parameter that Swagger UI's own checks (required, pattern) accept."""
    if "enum" in schema:
        return str(schema["enum"][0])
    if schema.get("type") == "integer":
        return str(schema.get("minimum", 1))
    for candidate in (str(uuid.uuid4()), "ann@example.com", "x" * schema.get("minLength", 1)):
        if re.search(schema.get("pattern", ""), candidate):
            return candidate
    raise AssertionError(f"no sample value for {schema}")


@pytest.fixture(scope="module")
def reference(served, tmp_path_factory):
    """The gateway serving the project's OpenAPI document (with a security scheme, see
    ``_with_a_security_scheme``) and that document."""
    document = _with_a_security_scheme(json.loads(OPENAPI_DOCUMENT.read_text(encoding="utf-8")))
    path = tmp_path_factory.mktemp("openapi") / "openapi.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(served.gateway, "openapi_document", path)
        yield served, document


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A fresh headless Chromium profile (Debian's Chromium: scripts/chromium.sh installs it)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run scripts/chromium.sh (Debian's chromium).")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tmp_path_factory.mktemp("chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()


class PageWatch:
    """Everything a page reported that a reader would call a problem."""

    def __init__(self, page):
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on(
            "requestfailed",
            lambda request: self.problems.append(
                f"failed: {request.method} {request.url} {request.failure}"
            ),
        )
        page.on("response", self._response)

    def _console(self, message):
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def _response(self, response):
        if response.status >= 400:
            self.problems.append(f"{response.status}: {response.request.method} {response.url}")


def test_the_page_renders_every_operation_and_tries_them(reference, browser, tmp_path_factory):
    served, document = reference
    page = browser.new_page()
    watch = PageWatch(page)
    shots = tmp_path_factory.mktemp("docs-screenshots")

    page.goto(served.base + "/docs", wait_until="networkidle")
    page.wait_for_selector(".opblock")
    listed = page.eval_on_selector_all(
        ".opblock",
        """blocks => blocks.map(b => [
            b.querySelector('.opblock-summary-method').textContent,
            b.querySelector('.opblock-summary-path').dataset.path,
        ])""",
    )
    expected = {(route.method, route.path) for route in routes.ROUTES}
    assert sorted(map(tuple, listed)) == sorted(expected)
    assert set(_operations(document)) == expected
    assert page.title() == "API reference"
    assert page.inner_text(".info .title").startswith(document["info"]["title"])
    page.screenshot(path=shots / "docs.png")
    print(f"screenshot: {shots / 'docs.png'}")

    # A public operation, tried: the request goes to this stage and the answer comes back.
    public = next(r for r in routes.ROUTES if (r.method, r.path) == ("GET", "/products"))
    assert not _security(document, _operations(document)[public.method, public.path])
    block = page.locator(f"#operations-{public.function}-{public.operation_id}")
    block.locator(".opblock-summary-control").click()
    block.locator("button.try-out__btn").click()
    with page.expect_response(lambda r: r.url.startswith(served.base + "/products")) as answer:
        block.locator("button.execute").click()
    assert answer.value.status == 200
    assert answer.value.url.split("?")[0] == served.base + "/products"
    assert "authorization" not in answer.value.request.headers
    assert answer.value.json()["event"]["path"] == "/products"
    status = block.locator(".live-responses-table .response .response-col_status").first
    assert status.inner_text().strip() == "200"

    # Authorize with a token for every scheme the document declares, then try an operation that
    # requires one: the request carries the token, through the gateway to the function.
    schemes = document["components"]["securitySchemes"]
    page.locator(".scheme-container button.authorize").click()
    dialog = page.locator(".dialog-ux .modal-ux")
    for name in schemes:
        assert dialog.locator(f".auth-container:has(h4:has-text('{name}'))").count() == 1
    for field in dialog.locator(".auth-container input").all():
        field.fill(TOKEN)
    dialog.locator(".auth-btn-wrapper button.authorize").first.click()
    page.screenshot(path=shots / "authorized.png")
    dialog.locator(".auth-btn-wrapper button.btn-done").first.click()

    signed_in = [
        (key, operation)
        for key, operation in _operations(document).items()
        if any(
            schemes[name].get("type") == "apiKey"
            and schemes[name].get("in") == "header"
            and schemes[name].get("name") == "Authorization"
            for requirement in _security(document, operation)
            for name in requirement
        )
        and "requestBody" not in operation
    ]
    assert signed_in, "no operation without a body requires the Authorization header"
    (method, path), operation = min(
        signed_in, key=lambda item: sum(p["required"] for p in item[1].get("parameters", []))
    )
    route = next(r for r in routes.ROUTES if (r.method, r.path) == (method, path))
    block = page.locator(f"#operations-{route.function}-{route.operation_id}")
    block.locator(".opblock-summary-control").click()
    block.locator("button.try-out__btn").click()
    for parameter in operation.get("parameters", []):
        if parameter["required"]:
            row = block.locator(
                f"tr[data-param-name='{parameter['name']}'][data-param-in='{parameter['in']}']"
            )
            row.locator("input").fill(_sample(parameter["schema"]))
    with page.expect_response(lambda r: r.request.method == method) as answer:
        block.locator("button.execute").click()
    assert answer.value.request.headers["authorization"] == TOKEN
    assert answer.value.url.startswith(served.base + "/")
    assert answer.value.status == 200
    assert answer.value.json()["event"]["headers"]["Authorization"] == TOKEN
    block.screenshot(path=shots / "tried.png")

    assert watch.problems == [], "\n".join(watch.problems)
    page.close()


def _policy(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def test_the_page_and_its_assets_carry_their_headers(served):
    page = requests.get(served.base + "/docs", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    policy = _policy(page.headers["Content-Security-Policy"])
    assert policy["default-src"] == "'none'"
    for directive in ("script-src", "style-src", "connect-src"):
        assert policy[directive] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["frame-ancestors"] == "'none'"
    assert 'data-spec="/local/openapi.json"' in page.text
    record = [r for r in served.log.records() if r.get("path") == "/local/docs"][-1]
    assert record["integration"] == "DOCS"

    types = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
    types[".png"] = "image/png"
    assets = re.findall(r'(?:src|href)="(/local/docs/[^"]+)"', page.text)
    assert len(assets) == 6
    for asset in assets:
        response = requests.get(f"http://127.0.0.1:{served.port}{asset}", timeout=10)
        name = asset.rsplit("/", 1)[1]
        assert response.status_code == 200, asset
        assert response.headers["Content-Type"] == types[Path(name).suffix]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        source = docs.STARTER if name == docs.STARTER.name else docs.ASSETS_DIR / name
        assert response.content == source.read_bytes()

    head = requests.head(served.base + "/docs", timeout=10)
    assert head.status_code == 200
    assert head.content == b""
    assert int(head.headers["Content-Length"]) == len(page.content)


def test_unknown_asset_is_a_404_in_the_gateways_style(served):
    # swagger-ui.js is in swagger-ui-dist but not a file the page loads; the last is "..".
    for path in ("/docs/nope.js", "/docs/swagger-ui.js", "/docs/%2e%2e/openapi.json"):
        response = requests.get(served.base + path, timeout=10)
        assert response.status_code == 404, path
        assert response.json() == {"message": "Not Found"}
        assert response.headers["x-amzn-ErrorType"] == "NotFoundException"
        assert response.headers["Access-Control-Allow-Origin"] == "*"  # the API's DEFAULT_4XX
    other_stage = requests.get(f"http://127.0.0.1:{served.port}/prod/docs", timeout=10)
    assert other_stage.status_code == 403


def test_without_swagger_ui_installed_the_page_says_how(tmp_path):
    status, headers, body = docs.answer("/docs", "/local", assets=tmp_path)
    assert status == 503
    assert ("Content-Type", "text/plain; charset=utf-8") in headers
    assert body.decode().endswith("run scripts/bootstrap.sh.\n")
    assert body.count(b"\n") == 1
