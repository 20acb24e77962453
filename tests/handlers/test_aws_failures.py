"""The functions as AWS clients when AWS misbehaves: the SDK's retries absorb a passing fault;
a fault that persists is the contract's 503 with ``Retry-After`` (never a 500, never AWS's
words), and writes nothing; an order stays one order per ``Idempotency-Key`` even when the
idempotency table fails around it.

Faults are injected in-process, in front of moto, in the wire shape the local cloud's emulator
sends (``localcloud.emulator.fault_answers.error_answer``), so botocore parses and retries them
as AWS's own.
"""

import io
from decimal import Decimal

import pytest
from botocore.exceptions import ReadTimeoutError
from store.data import dynamo

from localcloud.emulator.fault_answers import error_answer
from localcloud.emulator.fault_rule import Rule
from localcloud.emulator.patches.book import STUBBER_REQUESTS
from localcloud.emulator.patches.record import around
from tests.events import customer
from tests.handlers.conftest import TABLE_NAMES, table_items


class Injected:
    """Faults in front of moto: ``add(operation, error, times=n, table=)`` fails the next ``n``
    DynamoDB calls of ``operation`` (of ``table`` only, if given) before moto sees them."""

    def __init__(self):
        self.faults: list[tuple[str, object, list[int], str | None]] = []
        self.sent: list[str] = []

    def process_request(self, real, stubber, request):
        """In front of moto's ``BotocoreStubber.process_request`` (``real``)."""
        return self._answer(request) or real(stubber, request)

    def add(self, operation: str, error, times: int = 1000, table: str | None = None) -> None:
        """``error``: an error code, or an exception to raise instead of answering."""
        if isinstance(error, str):
            error = Rule.parse({"service": "dynamodb", "operation": operation, "error": error})
        self.faults.append((operation, error, [times], table))

    def remove(self) -> None:
        """Drop every fault."""
        self.faults = []

    def _answer(self, request):
        target = request.headers.get("X-Amz-Target") or b""
        target = target.decode() if isinstance(target, bytes) else target
        for operation, error, left, table in self.faults:
            if not target.endswith(f".{operation}") or left[0] <= 0:
                continue
            if table and table.encode() not in request.body:
                continue
            left[0] -= 1
            self.sent.append(operation)
            if not isinstance(error, Rule):
                raise error
            length = str(len(request.body))
            environ = {"wsgi.input": io.BytesIO(request.body), "CONTENT_LENGTH": length}
            status, headers, body = error_answer(error, environ)
            return int(status.split()[0]), dict(headers), body
        return None


@pytest.fixture(name="faults")
def faults_fixture(aws):  # pylint: disable=unused-argument
    """Faults on the in-process AWS, for this test only."""
    injected = Injected()
    with around(STUBBER_REQUESTS, injected.process_request):
        yield injected


@pytest.fixture(name="no_waits")
def no_waits_fixture(monkeypatch):
    """The SDK's and the transaction retries' back-off without the wall-clock wait."""
    # One module ``time`` for all: botocore's endpoint sleeps through it too.
    monkeypatch.setattr(dynamo.time, "sleep", lambda _s: None)


def _product(api, stock: int = 5) -> dict:
    body = {"name": "Ink", "price": Decimal("2.50"), "category": "c", "stock": stock}
    return api("POST", "/products", body=body).body


def _assert_unavailable(reply) -> None:
    assert (reply.status, reply.code) == (503, "SERVICE_UNAVAILABLE")
    assert reply.headers["Retry-After"] == "1"
    assert reply.headers["Access-Control-Allow-Origin"]
    text = str(reply.body)
    for aws_words in ("Injected", "Exception", "Throughput", "DynamoDB", "Transaction"):
        assert aws_words not in text


def test_a_passing_throttle_is_retried_by_the_sdk(api, faults, no_waits):
    faults.add("PutItem", "ProvisionedThroughputExceededException", times=2)
    reply = api("POST", "/products", body={"name": "P", "price": 1, "category": "c", "stock": 1})
    assert reply.status == 201
    assert faults.sent == ["PutItem", "PutItem"]


@pytest.mark.parametrize(
    "error",
    ["ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"],
)
def test_a_persistent_fault_is_503_and_writes_nothing(api, faults, no_waits, snapshot, error):
    before = snapshot()
    faults.add("PutItem", error)
    reply = api("POST", "/products", body={"name": "P", "price": 1, "category": "c", "stock": 1})
    _assert_unavailable(reply)
    # The first try and two retries (standard mode, total_max_attempts 3): no retry at all, or
    # retries without end, would both fail here.
    assert len(faults.sent) == 3
    faults.remove()
    assert snapshot() == before


def test_a_read_that_keeps_timing_out_is_503(api, faults, no_waits):
    product = _product(api)
    faults.add("GetItem", ReadTimeoutError(endpoint_url="https://dynamodb"))
    _assert_unavailable(api("GET", f"/products/{product['productId']}"))
    assert len(faults.sent) == 3


def test_an_aws_refusal_that_is_our_bug_is_500_without_its_words(api, faults):
    faults.add("PutItem", "ResourceNotFoundException")
    reply = api("POST", "/products", body={"name": "P", "price": 1, "category": "c", "stock": 1})
    assert (reply.status, reply.code) == (500, "INTERNAL")
    assert "Resource" not in str(reply.body) and "Retry-After" not in reply.headers
    assert faults.sent == ["PutItem"]  # not retried: it would fail the same way


def _order(api, who, product, quantity=2, key=None):
    headers = {"Idempotency-Key": key} if key else None
    body = {"items": [{"productId": product["productId"], "quantity": quantity}]}
    return api("POST", "/orders", body=body, headers=headers, caller=who)


@pytest.fixture(name="shopper")
def shopper_fixture(api):
    """A customer with a profile."""
    who = customer()
    assert api("POST", "/users", body={"email": "c@b.co", "name": "C"}, caller=who).status == 201
    return who


def test_transactions_that_keep_conflicting_are_503_and_take_no_stock(
    api, faults, no_waits, shopper, snapshot
):
    product = _product(api)
    before = snapshot()
    faults.add("TransactWriteItems", "TransactionConflict")
    _assert_unavailable(_order(api, shopper, product, key="k-conflict"))
    assert len(faults.sent) == dynamo.TRANSACTION_ATTEMPTS
    faults.remove()
    assert snapshot() == before  # the idempotency record of the failed attempt is gone too
    # The client's retry with the same key places the order, once.
    assert _order(api, shopper, product, key="k-conflict").status == 201
    assert api("GET", f"/products/{product['productId']}").body["stock"] == 3


def test_a_conflict_that_passes_is_retried_by_the_function(api, faults, no_waits, shopper):
    product = _product(api)
    faults.add("TransactWriteItems", "TransactionConflict", times=2)
    assert _order(api, shopper, product).status == 201
    assert api("GET", f"/products/{product['productId']}").body["stock"] == 3


def test_a_lost_success_record_never_makes_a_second_order(api, aws, faults, no_waits, shopper):
    product = _product(api)
    # The idempotency table fails after the order was placed: its record stays "in progress".
    faults.add(
        "UpdateItem", "ProvisionedThroughputExceededException", table=TABLE_NAMES["idempotency"]
    )
    first = _order(api, shopper, product, key="k-lost")
    assert first.status == 201
    faults.remove()
    retry = _order(api, shopper, product, key="k-lost")
    assert (retry.status, retry.code) == (409, "CONFLICT")  # in progress until it expires
    (record,) = table_items(aws, "idempotency")
    # As its expiry would.
    aws.delete_item(TableName=TABLE_NAMES["idempotency"], Key={"id": record["id"]})
    again = _order(api, shopper, product, key="k-lost")
    assert (again.status, again.body) == (201, first.body)
    assert len(table_items(aws, "orders")) == 1
    assert api("GET", f"/products/{product['productId']}").body["stock"] == 3


def test_an_idempotency_table_down_still_places_one_order_per_key(
    api, aws, faults, no_waits, shopper
):
    product = _product(api)
    faults.add("PutItem", "InternalServerError", table=TABLE_NAMES["idempotency"])
    first = _order(api, shopper, product, key="k-down")
    second = _order(api, shopper, product, key="k-down")
    assert (first.status, second.status) == (201, 201)
    assert second.body == first.body
    # Another body with the key is refused even so, and takes nothing.
    other = _order(api, shopper, product, quantity=1, key="k-down")
    assert (other.status, other.code) == (422, "UNPROCESSABLE")
    assert len(table_items(aws, "orders")) == 1
    assert api("GET", f"/products/{product['productId']}").body["stock"] == 3
