"""One structured log line per request (handlers/store/runtime/observability.py), captured as
written."""

import io
import json
from types import SimpleNamespace

import pytest
from conftest import invoke, make_event
from store.http import web
from store.runtime.observability import log_request, logger


class _Output(io.StringIO):
    def take(self) -> str:
        """What was written since the last call."""
        text = self.getvalue()
        self.seek(0)
        self.truncate()
        return text


@pytest.fixture(name="logs")
def logs_fixture():
    """The functions' log stream, as Powertools writes it (JSON lines)."""
    output = _Output()
    handler = logger.registered_handler
    before = handler.setStream(output)
    yield output
    handler.setStream(before)


def _lines(logs) -> list[dict]:
    out = logs.take()
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def _requests(lines, message="request"):
    return [line for line in lines if line.get("message") == message]


def test_one_info_line_per_request(aws, logs, monkeypatch):  # pylint: disable=unused-argument
    event = make_event("GET", "/products", query={"limit": "5"}, caller=None)
    logs.take()
    # The request takes 12.34 ms by the resolver's clock (its start and its end).
    readings = iter([100.0, 100.01234])
    monkeypatch.setattr(web, "time", SimpleNamespace(perf_counter=lambda: next(readings)))
    invoke(event)
    (line,) = _requests(_lines(logs))
    assert line["level"] == "INFO"
    assert line["route"] == "GET /products"
    assert line["status"] == 200
    assert line["latencyMs"] == 12.3  # to a tenth of a millisecond
    assert line["correlationId"] == event["requestContext"]["requestId"]
    assert line["correlation_id"] == event["requestContext"]["requestId"]
    assert "caller" not in line and "errorCode" not in line


def test_the_caller_is_the_token_subject(aws, logs):  # pylint: disable=unused-argument
    event = make_event("GET", "/products/00000000-0000-4000-8000-000000000000")
    event["requestContext"]["authorizer"] = {"claims": {"sub": "caller-sub", "email": "a@b.co"}}
    logs.take()
    invoke(event)
    output = logs.take()
    (line,) = _requests([json.loads(x) for x in output.splitlines() if x.startswith("{")])
    assert line["caller"] == "caller-sub"
    assert (line["status"], line["errorCode"]) == (404, "NOT_FOUND")
    assert "a@b.co" not in output


def test_client_errors_name_their_code_and_never_the_body_or_email(aws, logs):  # pylint: disable=unused-argument
    secret = "private.person@example.com"
    logs.take()
    invoke(make_event("POST", "/users", body={"email": secret, "name": "", "extra": 1}))
    invoke(make_event("GET", "/users", query={"email": secret}))
    output = logs.take()
    lines = _requests([json.loads(x) for x in output.splitlines() if x.startswith("{")])
    assert [(x["route"], x["status"], x.get("errorCode")) for x in lines] == [
        ("POST /users", 400, "BAD_REQUEST"),
        ("GET /users", 200, None),
    ]
    assert secret not in output
    assert '"extra"' not in output


@pytest.fixture
def debug_level():
    """The DEBUG level the dev and local configurations set."""
    before = logger.log_level
    logger.setLevel("DEBUG")
    yield
    logger.setLevel(before)


def test_debug_adds_detail_names_only(aws, logs, debug_level):  # pylint: disable=unused-argument
    secret = "private.person@example.com"
    logs.take()
    invoke(make_event("GET", "/users", query={"email": secret}))
    output = logs.take()
    lines = [json.loads(x) for x in output.splitlines() if x.startswith("{")]
    (detail,) = _requests(lines, "request detail")
    assert detail["level"] == "DEBUG"
    assert detail["queryParameters"] == ["email"]
    assert detail["responseBytes"] > 0
    assert secret not in output


def test_info_level_has_no_detail(aws, logs):  # pylint: disable=unused-argument
    logs.take()
    invoke(make_event("GET", "/products"))
    assert _requests(_lines(logs), "request detail") == []


def test_a_client_error_without_the_contract_body_logs_no_code(logs):
    log_request({"httpMethod": "GET", "resource": "/x"}, {"statusCode": 405, "body": "nope"}, 1.0)
    (line,) = _requests(_lines(logs))
    assert line["status"] == 405 and "errorCode" not in line
