"""HTTP plumbing (handlers/store/http/web.py): JSON, CORS, body limits, errors."""

import base64
import json
from decimal import Decimal

import pytest
from conftest import ALLOWED_ORIGIN, invoke, make_event
from store.data import products_table
from store.http import web
from store.runtime.observability import logger
from store.spec import cors, settings

PEN = {"name": "Pen", "price": 1, "category": "c", "stock": 1}


def test_dumps_writes_decimals_as_exact_numbers():
    text = web.dumps({"a": [Decimal("0.07"), Decimal("1E+2"), Decimal("-3")], "b": "é", "c": None})
    assert text == '{"a":[0.07,100,-3],"b":"é","c":null}'
    assert json.loads(text, parse_float=Decimal)["a"][0] == Decimal("0.07")


def test_allowed_origin_is_echoed_with_cors_headers(api):
    reply = api("GET", "/products")
    assert reply.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "Idempotency-Key" in reply.headers["Access-Control-Allow-Headers"]


def test_second_allowed_origin(api):
    reply = api("GET", "/products", headers={"Origin": "http://localhost:3000"})
    assert reply.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"


@pytest.mark.parametrize("origin", [ALLOWED_ORIGIN, "http://localhost:3000"])
def test_each_allowed_origin_gets_its_own_origin_on_success_and_errors(api, origin):
    requests = (
        ("GET", "/products", {}),  # 200
        ("GET", "/nowhere", {}),  # no route: 404
        ("GET", "/products/x", {}),  # 404 from the handler
        ("POST", "/products", {"body": {"name": ""}}),  # 400
    )
    for method, path, extra in requests:
        reply = api(method, path, headers={"Origin": origin}, **extra)
        assert reply.headers["Access-Control-Allow-Origin"] == origin, (method, path)
        assert reply.headers["Vary"] == "Origin"


@pytest.mark.parametrize("origin", [None, "https://evil.example", "http://localhost:3000.evil"])
def test_a_foreign_or_missing_origin_gets_no_allow_header(api, origin):
    # Was: the environment's first origin was sent. A foreign origin must get no allow header.
    for method, path in (("GET", "/products"), ("GET", "/nowhere"), ("GET", "/products/x")):
        reply = api(method, path, headers={"Origin": origin})
        assert "Access-Control-Allow-Origin" not in reply.headers, (origin, path)
        assert reply.headers["Vary"] == "Origin"


def test_cors_headers_and_max_age_come_from_the_one_source(api):
    reply = api("OPTIONS", "/products", headers={"Access-Control-Request-Method": "POST"})
    assert reply.headers["Access-Control-Allow-Headers"] == ",".join(cors.ALLOW_HEADERS)
    assert reply.headers["Access-Control-Max-Age"] == str(cors.MAX_AGE_SECONDS)


def test_wildcard_origins(api, monkeypatch):
    monkeypatch.setenv(settings.CORS_ALLOWED_ORIGINS, "*")
    reply = api("GET", "/nowhere", headers={"Origin": None})
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    monkeypatch.setenv(settings.CORS_ALLOWED_ORIGINS, " , ")
    assert web.allowed_origins() == ["*"]


def test_preflight_is_answered_with_cors(api):
    reply = api("OPTIONS", "/products", headers={"Access-Control-Request-Method": "POST"})
    assert reply.status == 204
    assert reply.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "PATCH" in reply.headers["Access-Control-Allow-Methods"]


def test_unknown_route_is_404_not_found(api):
    reply = api("GET", "/products/x/y")
    assert (reply.status, reply.code) == (404, "NOT_FOUND")


def test_unexpected_errors_are_500_without_internals(api, monkeypatch, caplog):
    def explode(*_):
        raise RuntimeError("secret table arn:aws:dynamodb:us-east-1:123:table/x")

    monkeypatch.setattr(products_table, "list_all", explode)
    reply = api("GET", "/products")
    assert (reply.status, reply.code) == (500, "INTERNAL")
    assert "secret" not in reply.raw["body"] and "Traceback" not in reply.raw["body"]
    assert reply.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    # The error's record (the request's own log line follows it).
    record = next(r for r in caplog.records if r.levelname == "ERROR")
    assert "secret table" in str(record.exc_info[1])


def test_aws_errors_are_500(aws, api):
    aws.delete_table(TableName="test-products")
    reply = api("GET", "/products/" + "0" * 8 + "-0000-4000-8000-" + "0" * 12)
    assert (reply.status, reply.code) == (500, "INTERNAL")
    assert "ResourceNotFound" not in reply.raw["body"]


def test_log_lines_carry_the_api_gateway_request_id(aws, monkeypatch):
    # pylint: disable=unused-argument
    event = make_event("GET", "/products")
    seen = []

    def spy(limit, token):  # pylint: disable=unused-argument
        seen.append(logger.get_correlation_id())
        return [], None

    monkeypatch.setattr(products_table, "list_all", spy)
    invoke(event)
    assert seen == [event["requestContext"]["requestId"]]


def test_base64_bodies_are_decoded(api):
    raw = base64.b64encode(json.dumps(PEN).encode()).decode()
    reply = api("POST", "/products", raw_body=raw, base64_encoded=True)
    assert reply.status == 201
    # The decoded body is what was stored: read back, it is the pen and its defaults.
    stored = api("GET", f"/products/{reply.body['productId']}").body
    assert {key: stored[key] for key in ("name", "price", "category", "stock", "currency")} == {
        "name": "Pen",
        "price": 1,
        "category": "c",
        "stock": 1,
        "currency": "USD",
    }


@pytest.mark.parametrize("raw", ["!!!not base64", base64.b64encode(b'{"name":"\xff"}').decode()])
def test_bad_base64_or_utf8_is_400(api, snapshot, raw):
    before = snapshot()
    reply = api("POST", "/products", raw_body=raw, base64_encoded=True)
    assert (reply.status, reply.code) == (400, "BAD_REQUEST")
    assert reply.body["error"]["details"][0]["field"] == "body"
    assert snapshot() == before


def test_base64_body_over_the_limit_is_413(api):
    raw = base64.b64encode(b" " * (64 * 1024 + 1)).decode()
    reply = api("POST", "/products", raw_body=raw, base64_encoded=True)
    assert (reply.status, reply.code) == (413, "PAYLOAD_TOO_LARGE")
