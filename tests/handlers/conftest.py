"""Fixtures for the handler tests: moto tables built from ``store.spec.table_schemas``, one API
Gateway REST
proxy event (payload 1.0) builder, and a client that invokes the function owning a path.

Requests are signed by ``ADMIN`` (a member of the pool's ``admins`` group) unless ``caller=``
names someone else: a ``customer()``, or None for a request without a token. The claims are
what API Gateway's Cognito authorizer passes (``tests.events.Person.claims``).

The handler code is imported as the Lambda runtime sees it (``handlers/`` is the zip root), so
``handlers`` goes on ``sys.path`` here instead of relying on the repository's pytest config.
"""

import base64
import importlib
import json
import os
import re
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

HANDLERS = Path(__file__).resolve().parents[2] / "handlers"
sys.path.insert(0, str(HANDLERS))

from store.spec import settings  # noqa: E402  # pure data: safe before the environment is set

TABLE_NAMES = {
    "products": "test-products",
    "users": "test-users",
    "orders": "test-orders",
    "idempotency": "test-idempotency",
}
ALLOWED_ORIGIN = "https://shop.example.com"
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)
os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        settings.TRACE_DISABLED: "true",
        settings.SERVICE_NAME: "store-test",
        settings.LOG_LEVEL: "INFO",
        settings.ENVIRONMENT: "test",
        settings.CORS_ALLOWED_ORIGINS: f"{ALLOWED_ORIGIN}, http://localhost:3000",
        settings.PRODUCTS_TABLE: TABLE_NAMES["products"],
        settings.USERS_TABLE: TABLE_NAMES["users"],
        settings.ORDERS_TABLE: TABLE_NAMES["orders"],
        settings.IDEMPOTENCY_TABLE: TABLE_NAMES["idempotency"],
        settings.PAGINATION_KEY_ID: "set-per-test",
        settings.EVENT_BUS_NAME: "test-bus",
        settings.SENDER_ADDRESS: "store@shop.example.com",
        settings.LOW_STOCK_THRESHOLD: "5",
        settings.LOW_STOCK_TOPIC_ARN: "set-per-test",
        settings.PENDING_LIMIT_MINUTES: "60",
    }
)

# moto must be imported before any boto3 client exists so that it can intercept them all.
from bus import Bus, client  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.core.base_backend import BackendDict  # noqa: E402
from moto.kms.models import kms_backends  # noqa: E402
from store.spec import table_schemas  # noqa: E402

from tests.events import LambdaContext, Person, admin, rest_proxy_event  # noqa: E402
from tests.moto_tables import create_table  # noqa: E402

ADMIN = admin()
# The in-process AWS while consecutive tests use it: its mock_aws and the pagination KMS key.
_RUNNING: dict[str, Any] = {}


def _pagination_key() -> str:
    """The running mock's pagination key, the mock started (and the key made) if none runs.

    One key for as long as the mock runs: moto makes an RSA key pair for every key, symmetric
    ones too (tens of milliseconds of CPU each). Tests only encrypt and decrypt with it.
    """
    if not _RUNNING:
        mock = mock_aws()
        mock.start()
        _RUNNING["mock"] = mock
        _RUNNING["key"] = client("kms").create_key()["KeyMetadata"]["KeyId"]
    return _RUNNING["key"]


def _reset_all_but_kms() -> None:
    """Every moto service as a fresh mock_aws has it, KMS aside: moto's own reset at a mock's
    start (``BackendDict.reset``, moto 5.2.5) applied to every service in use but KMS."""
    in_use = BackendDict._instances  # pylint: disable=protected-access
    for backends in in_use:
        if backends is not kms_backends:
            for account in backends.values():
                account.reset()
            backends.clear()
    # The others are listed again at their first use (BackendDict._create_account_specific_backend).
    in_use[:] = [backends for backends in in_use if backends is kms_backends]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):  # pylint: disable=unused-argument
    """Stop the in-process AWS after the last of consecutive tests that use it (its fixtures
    torn down), so that no other test runs inside a mock, as none did with one mock per test."""
    result = yield
    if _RUNNING and (nextitem is None or "aws" not in nextitem.fixturenames):
        _RUNNING.pop("mock").stop()
        _RUNNING.clear()
    return result


@pytest.fixture(name="aws")
def aws_fixture():
    """A fresh in-process AWS: every service empty but for the four new tables, and the
    pagination KMS key.

    The mock runs across consecutive tests (starting one per test, with a new boto3 session, its
    models loaded again, and a KMS key made, was most of a test's CPU); each test still starts
    from moto's reset state. A table, event bus or email identity left over would make its
    creation here or in ``bus`` fail.
    """
    key = _pagination_key()
    _reset_all_but_kms()
    dynamodb = client("dynamodb")
    for spec in table_schemas.ALL:
        create_table(dynamodb, spec, TABLE_NAMES[spec.name])
    os.environ[settings.PAGINATION_KEY_ID] = key
    return dynamodb


@pytest.fixture(name="bus")
def bus_fixture(aws):  # pylint: disable=unused-argument
    """The events' plumbing (tests/handlers/bus.py) on top of the fresh tables."""
    return Bus.create(TABLE_NAMES)


def table_items(dynamodb: Any, name: str) -> list[dict[str, Any]]:
    """Every item of one table (low-level form), sorted for comparison."""
    items = dynamodb.scan(TableName=TABLE_NAMES[name])["Items"]
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))


@pytest.fixture(name="snapshot")
def snapshot_fixture(aws):
    """A function returning the contents of every table, to prove a request wrote nothing."""
    return lambda: {name: table_items(aws, name) for name in TABLE_NAMES}


def make_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    raw_body: str | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    base64_encoded: bool = False,
    caller: Person | None = ADMIN,
) -> dict[str, Any]:
    """An API Gateway REST proxy event (payload 1.0), as the real and the local gateway send it.

    ``body`` is JSON-encoded (Decimals as exact numbers); ``raw_body`` is sent verbatim;
    ``caller`` signed it (None: nobody did).
    """
    if raw_body is None and body is not None:
        raw_body = json.dumps(body, default=_exact_decimal)
        # json.dumps cannot write a Decimal as a number: swap the marker strings back.
        raw_body = re.sub(r'"@decimal:([^"]+)"', r"\1", raw_body)
    headers = {"Content-Type": "application/json", "Origin": ALLOWED_ORIGIN, **(headers or {})}
    headers = {key: value for key, value in headers.items() if value is not None}
    return rest_proxy_event(
        method,
        path,
        headers=headers,
        query=query,
        body=raw_body,
        base64_encoded=base64_encoded,
        caller=caller,
    )


def _exact_decimal(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"@decimal:{value}"
    raise TypeError(type(value))


@dataclass
class Reply:
    """A function's response, decoded."""

    status: int
    body: Any
    headers: dict[str, str]
    raw: dict[str, Any]

    @property
    def code(self) -> str | None:
        """The error code of an error response."""
        return (
            self.body["error"]["code"]
            if isinstance(self.body, dict) and "error" in self.body
            else None
        )


def invoke(event: dict[str, Any]) -> Reply:
    """Invoke the function that owns the event's path, as API Gateway would."""
    function = event["path"].strip("/").split("/")[0]
    module = importlib.import_module(
        function if function in {"products", "users", "orders"} else "products"
    )
    raw = module.handler(event, LambdaContext())
    text = raw["body"]
    if raw.get("isBase64Encoded"):
        text = base64.b64decode(text).decode()
    body = json.loads(text, parse_float=Decimal) if text else None
    headers = {key: values[-1] for key, values in raw.get("multiValueHeaders", {}).items()}
    headers.update(raw.get("headers") or {})
    return Reply(raw["statusCode"], body, headers, raw)


@pytest.fixture(name="api")
def api_fixture(aws):  # pylint: disable=unused-argument
    """``api(method, path, **make_event_kwargs)`` -> Reply, against fresh moto tables."""
    return lambda method, path, **kwargs: invoke(make_event(method, path, **kwargs))
