"""The contract's conventions over HTTP: CORS per origin, every bad field named, 404s, pagination,
idempotency."""

import json
import uuid

import pytest

ORIGIN_HEADER = "Access-Control-Allow-Origin"


@pytest.fixture
def origin(config) -> str:
    """An origin the environment allows."""
    allowed = config.cors_allowed_origins[0]
    return "http://localhost:3000" if allowed == "*" else allowed


def _allows(response, origin) -> bool:
    return response.headers.get(ORIGIN_HEADER) in ("*", origin)


# A fixed id: an unknown product still has its preflight (and xdist needs stable test ids).
@pytest.mark.parametrize(
    "path", ["/products", "/users", "/orders", "/products/00000000-0000-4000-8000-000000000000"]
)
def test_preflight(api, origin, path):
    response = api.request(
        "OPTIONS",
        path,
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    assert 200 <= response.status_code < 300
    assert _allows(response, origin)
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]


def _origins(config) -> tuple[str, ...]:
    """The environment's allowed origins; two stand-ins where any origin is allowed."""
    allowed = config.cors_allowed_origins
    return ("http://localhost:3000", "https://any.example") if "*" in allowed else allowed


def test_each_allowed_origin_gets_its_own_on_preflight_success_and_errors(api, config):
    product = api.create_product()
    wildcard = "*" in config.cors_allowed_origins
    for origin in _origins(config):
        headers = {"Origin": origin}
        preflight = api.request(
            "OPTIONS", "/products", headers={**headers, "Access-Control-Request-Method": "POST"}
        )
        answers = {
            "preflight": preflight,
            "success": api.get(f"/products/{product['productId']}", headers=headers),
            "handler error": api.get(f"/products/{uuid.uuid4()}", headers=headers),
            "validation error": api.post("/products", {"name": ""}, headers=headers),
            "gateway error": api.get("/nowhere", headers=headers),
        }
        for name, response in answers.items():
            expected = "*" if wildcard else origin
            assert response.headers.get(ORIGIN_HEADER) == expected, (origin, name)
            assert response.headers.get("Vary") == "Origin", (origin, name)


def test_a_foreign_origin_gets_no_allow_header(api, config):
    if "*" in config.cors_allowed_origins:
        response = api.get("/products", headers={"Origin": "https://foreign.example"})
        assert response.headers.get(ORIGIN_HEADER) == "*"
        return
    headers = {"Origin": "https://foreign.example"}
    preflight = api.request(
        "OPTIONS", "/products", headers={**headers, "Access-Control-Request-Method": "POST"}
    )
    for response in (
        preflight,
        api.get("/products", headers=headers),
        api.get(f"/products/{uuid.uuid4()}", headers=headers),
    ):
        assert ORIGIN_HEADER not in response.headers, dict(response.headers)
    # The firewall's block (on AWS and on the local cloud): the contract's 403, no allow header.
    unknown = api.get("/nowhere", headers=headers)
    assert unknown.status_code == 403 and ORIGIN_HEADER not in unknown.headers
    assert unknown.json()["error"]["code"] == "FORBIDDEN"


def test_cors_on_success_and_on_errors(api, origin):
    product = api.create_product()
    ok = api.get(f"/products/{product['productId']}", headers={"Origin": origin})
    missing = api.get(f"/products/{uuid.uuid4()}", headers={"Origin": origin})
    invalid = api.post("/products", {"name": "x"}, headers={"Origin": origin})
    unknown = api.get("/nowhere", headers={"Origin": origin})
    unsigned = api.as_(None).post("/products", {"name": "x"}, headers={"Origin": origin})
    for response in (ok, missing, invalid, unknown, unsigned):
        assert _allows(response, origin), (response.status_code, dict(response.headers))


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Pen", "price": 1, "category": "c", "stock": 1, "colour": "red"},
        {"name": "", "price": 1, "category": "c", "stock": 1},
        {"name": "Pen", "price": -1, "category": "c", "stock": 1},
        {"name": "Pen", "price": 1, "category": "c", "stock": 1.5},
        {"name": "Pen", "price": "1", "category": "c", "stock": 1},
        {"price": 1, "category": "c", "stock": 1},
    ],
)
def test_invalid_product_bodies_are_400(api, body):
    response = api.post("/products", body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "BAD_REQUEST"
    assert response.json()["error"]["details"], "details name the bad fields"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": "", "price": -1, "category": "c", "stock": 1}, {"name", "price"}),
        ({"name": "Pen", "price": 1, "category": "c", "stock": 1, "colour": "red"}, {"colour"}),
        ({"price": 1, "category": "", "stock": -1}, {"name", "category", "stock"}),
    ],
)
def test_every_bad_field_is_named(api, body, fields):
    response = api.post("/products", body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "BAD_REQUEST"
    assert {d["field"] for d in error["details"]} == fields, error


def test_malformed_json_is_400(api):
    response = api.request(
        "POST", "/products", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"


def test_three_decimal_price_is_400_and_writes_nothing(api):
    category = f"it-{uuid.uuid4().hex[:12]}"
    body = {"name": "Pen", "price": 1.005, "category": category, "stock": 1}
    response = api.post("/products", body)
    assert response.status_code == 400
    assert any(d.get("field") == "price" for d in response.json()["error"]["details"])
    assert api.get("/products", params={"category": category}).json()["items"] == []


def test_order_item_limits(api):
    shopper, _ = api.sign_up()
    too_many = [{"productId": str(uuid.uuid4()), "quantity": 1} for _ in range(26)]
    for items in ([], too_many, [{"productId": str(uuid.uuid4()), "quantity": 101}]):
        response = shopper.post("/orders", {"items": items})
        assert response.status_code == 400, response.text
    product = api.create_product()
    twice = [{"productId": product["productId"], "quantity": 1}] * 2
    response = shopper.post("/orders", {"items": twice})
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/users", "/orders"])
def test_required_query_parameters(api, path):
    response = api.get(path)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "BAD_REQUEST"
    assert [d["field"] for d in error["details"]] == [
        {"/users": "email", "/orders": "userId"}[path]
    ]


@pytest.mark.parametrize("kind", ["products", "users", "orders"])
def test_unknown_ids_are_404(api, kind):
    response = api.get(f"/{kind}/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(("method", "path"), [("GET", "/baskets"), ("PUT", "/products")])
def test_unknown_route_is_404_in_the_contract_shape(api, method, path):
    # API Gateway's MISSING_AUTHENTICATION_TOKEN, answered by the API's gateway response.
    for client in (api, api.as_(None)):
        response = client.request(method, path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "NOT_FOUND"


def test_payload_over_64_kib_is_413_and_writes_nothing(api):
    category = f"it-{uuid.uuid4().hex[:12]}"
    # Valid against the schema (so the edge lets it through), but padded past 64 KiB.
    body = json.dumps({"name": "Pen", "price": 1, "category": category, "stock": 1})
    response = api.request(
        "POST",
        "/products",
        data=body[:-1] + " " * 66000 + "}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert api.get("/products", params={"category": category}).json()["items"] == []


def test_pagination_across_pages(api):
    category = f"it-page-{uuid.uuid4().hex[:8]}"
    created = {api.create_product(category=category)["productId"] for _ in range(5)}
    seen, token, pages = [], None, 0
    while True:
        params = {"category": category, "limit": 2} | ({"nextToken": token} if token else {})
        page = api.get("/products", params=params).json()
        assert len(page["items"]) <= 2
        seen += [p["productId"] for p in page["items"]]
        pages += 1
        token = page["nextToken"]
        if token is None:
            break
    assert pages == 3 and len(seen) == 5 and set(seen) == created


def test_tampered_or_foreign_token_is_400(api):
    category = f"it-page-{uuid.uuid4().hex[:8]}"
    for _ in range(3):
        api.create_product(category=category)
    token = api.get("/products", params={"category": category, "limit": 1}).json()["nextToken"]
    assert token
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for params in (
        {"category": category, "nextToken": tampered},
        {"category": f"{category}-other", "nextToken": token},
        {"category": category, "nextToken": "not-a-token"},
    ):
        response = api.get("/products", params=params)
        assert response.status_code == 400, params
        assert response.json()["error"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_bad_limit_is_400(api, limit):
    assert api.get("/products", params={"limit": limit}).status_code == 400


def test_idempotent_retry(api):
    product = api.create_product(stock=5)
    shopper, _ = api.sign_up()
    key = str(uuid.uuid4())
    body = {"items": [{"productId": product["productId"], "quantity": 2}]}
    first = shopper.post("/orders", body, headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    api.remember_order(first.json()["orderId"])
    retry = shopper.post("/orders", body, headers={"Idempotency-Key": key})
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert api.get(f"/products/{product['productId']}").json()["stock"] == 3
    other = dict(body, items=[{"productId": product["productId"], "quantity": 1}])
    reused = shopper.post("/orders", other, headers={"Idempotency-Key": key})
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "UNPROCESSABLE"
    assert api.get(f"/products/{product['productId']}").json()["stock"] == 3


def test_sql_and_script_strings_are_stored_verbatim(api):
    name = "Robert'); DROP TABLE products;-- <script>alert(1)</script> ✓ 漢字"
    product = api.create_product(name=name, description=json.dumps({"x": "y"}))
    assert api.get(f"/products/{product['productId']}").json()["name"] == name
