"""Orders under injected AWS faults, on the running local cloud, and the contract's promises
checked afterwards.

A storm: an admin stocks ``products`` products; ``customers`` customers sign up; then, with a share
of DynamoDB's writes failing in the emulator (throttles and transaction conflicts mixed,
``localcloud.emulator.fault_endpoint``), ``orders`` orders are placed concurrently by a bounded
pool of clients, each with its own ``Idempotency-Key``, each retried with that key as a careful
client does (on no answer, a 502, 503 or 504, or a 409 "in progress"), and each placed order asked
for once more. The faults are cleared and the stored state is read back. What must hold
(``violations``, goal: none):

- no product's stock is below zero, and stock plus units sold equals the starting stock;
- each key gave at most one order, and asking again after its 201 gives that order again;
- every 201 order is stored, with its items; no other order of these customers is stored
  (a failed request left nothing behind);
- no answer is a 500 (an unexpected error), and no body holds an AWS error text. A 502 or 504
  (the function failed or ran out of time) is the contract's too, and its outcome unknown: the
  client retries it, and the checks above show whether anything was left behind.

Nothing waits on the clock but the clients' own back-off and the deadlines; how fast the machine
is changes how long a storm takes, never what it finds.
"""

from __future__ import annotations

import json
import random
import re
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import requests

from localcloud.tools.fault_commands import FaultControl

WRITES = ("PutItem", "UpdateItem", "DeleteItem")
THROTTLE = "ProvisionedThroughputExceededException"
AWS_TEXT = re.compile(
    r"Exception|com\.amazonaws|Injected|DynamoDB|Throughput|TransactionConflict|botocore"
    r"|Traceback|fault rule",
)
"""What an AWS error (or one injected here) says, and no answer of the store's may."""


@dataclass(frozen=True)
class Plan:  # pylint: disable=too-many-instance-attributes  # one field per knob
    """How big a storm is."""

    customers: int = 20
    products: int = 10
    orders: int = 100
    stock: int = 20
    """Each product's starting stock: about half the units the orders ask for, so that orders
    compete for it and some find none left."""
    fault_rate: float = 0.2
    """Share of DynamoDB writes that fail."""
    concurrency: int = 8
    key_deadline_s: float = 60.0
    """How long a client keeps retrying one key."""
    seed: int = 0


@dataclass
class Answer:
    """One response: status, parsed body (None if not JSON), raw text."""

    status: int
    body: Any
    text: str


@dataclass
class Report:
    """What a storm did and found."""

    requests: int = 0
    faults_injected: int = 0
    statuses: Counter = field(default_factory=Counter)
    orders_placed: int = 0
    units_sold: int = 0
    violations: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One paragraph for a person."""
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(self.statuses.items()))
        lines = [
            f"chaos: {self.requests} requests sent, {self.faults_injected} faults injected, "
            f"{self.orders_placed} orders placed ({self.units_sold} units)",
            f"chaos: answers by status: {statuses}",
            f"chaos: {len(self.violations)} invariant violations",
            *(f"chaos: violation: {violation}" for violation in self.violations),
        ]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON data."""
        return {
            "requests": self.requests,
            "faultsInjected": self.faults_injected,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "ordersPlaced": self.orders_placed,
            "unitsSold": self.units_sold,
            "violations": self.violations,
        }


def inject(control: FaultControl, rate: float) -> None:
    """``rate`` of DynamoDB's writes fail: transactions half by conflict, half by throttling
    (the second rule sees only what the first let through), single writes by throttling."""
    half = rate / 2
    control.add("dynamodb", "TransactWriteItems", error="TransactionConflict", rate=half)
    control.add("dynamodb", "TransactWriteItems", error=THROTTLE, rate=half / (1 - half))
    for operation in WRITES:
        control.add("dynamodb", operation, error=THROTTLE, rate=rate)


def _answer(response: requests.Response) -> Answer:
    try:
        body = json.loads(response.text, parse_float=Decimal) if response.text else None
    except ValueError:
        body = None
    return Answer(response.status_code, body, response.text)


UNKNOWN_OUTCOME = (0, 502, 503, 504)
"""No answer, the function failed or timed out (it may have written), or AWS kept failing."""


def _retry_later(answer: Answer) -> bool:
    """A careful client's reading of an answer: try the same key again."""
    if answer.status in UNKNOWN_OUTCOME:
        return True
    details = (answer.body or {}).get("error", {}).get("details", []) if answer.body else []
    return answer.status == 409 and any(d.get("field") == "Idempotency-Key" for d in details)


class Storm:
    """One storm on the API at ``api`` (an admin's ``tests.integration.conftest.Api``)."""

    def __init__(self, api, control: FaultControl, dynamodb, orders_table: str, plan: Plan):
        self.api = api
        self.control = control
        self.dynamodb = dynamodb
        self.orders_table = orders_table
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.report = Report()
        self.products: list[dict] = []
        self.customers: list[tuple[Any, dict]] = []

    def run(self) -> Report:
        """Stock, sign up, storm, check; the report."""
        with ThreadPoolExecutor(self.plan.concurrency) as pool:
            self.products = list(
                pool.map(
                    lambda _: self.api.create_product(stock=self.plan.stock),
                    range(self.plan.products),
                )
            )
            self.customers = list(
                pool.map(lambda _: self.api.sign_up(), range(self.plan.customers))
            )
            jobs = self._jobs()
            self.control.clear()
            inject(self.control, self.plan.fault_rate)
            try:
                outcomes = list(pool.map(self._place, jobs))
            finally:
                self.report.faults_injected = sum(rule["hits"] for rule in self.control.rules())
                self.control.clear()
        self._check(jobs, outcomes)
        return self.report

    def _jobs(self) -> list[tuple[Any, dict, str]]:
        """(customer's client, body, key) of each order: 1..3 products, 1..3 units each."""
        jobs = []
        for number in range(self.plan.orders):
            shopper, _profile = self.customers[number % len(self.customers)]
            picked = self.rng.sample(self.products, self.rng.randint(1, min(3, len(self.products))))
            items = [
                {"productId": p["productId"], "quantity": self.rng.randint(1, 3)} for p in picked
            ]
            jobs.append((shopper, {"items": items}, f"chaos-{uuid.uuid4()}"))
        return jobs

    @staticmethod
    def _send(shopper, body: dict, key: str) -> Answer:
        try:
            response = shopper.post("/orders", body, headers={"Idempotency-Key": key})
        except requests.RequestException as exc:
            return Answer(0, None, type(exc).__name__)
        return _answer(response)

    def _place(self, job: tuple[Any, dict, str]) -> tuple[list[Answer], list[Answer]]:
        """Every answer a careful client got for one key, the last being final; and, when that
        was a 201, the answers to asking again, as a client that lost the first answer would."""
        first = self._until_final(*job)
        again = self._until_final(*job) if first[-1].status == 201 else []
        return first, again

    def _until_final(self, shopper, body: dict, key: str) -> list[Answer]:
        deadline = time.monotonic() + self.plan.key_deadline_s
        answers = [self._send(shopper, body, key)]
        while (
            answers[-1].status == 0 or _retry_later(answers[-1])
        ) and time.monotonic() < deadline:
            time.sleep(random.uniform(0.2, 1.0))  # the client's jittered back-off
            answers.append(self._send(shopper, body, key))
        return answers

    def _check(self, jobs, outcomes: list[tuple[list[Answer], list[Answer]]]) -> None:
        report, violations = self.report, self.report.violations
        placed: dict[str, dict] = {}
        for (_shopper, body, key), (first, again) in zip(jobs, outcomes, strict=True):
            report.requests += len(first) + len(again)
            for answer in first + again:
                report.statuses[answer.status] += 1
                if answer.status >= 500 and answer.status not in UNKNOWN_OUTCOME:
                    violations.append(f"key {key}: a {answer.status}: {answer.text[:200]}")
                if AWS_TEXT.search(answer.text):
                    violations.append(f"key {key}: AWS's text in an answer: {answer.text[:200]}")
            if first[-1].status != 201:
                continue
            order = first[-1].body
            if again[-1].status != 201 or again[-1].body != order:
                violations.append(
                    f"key {key}: asked again after a 201, got {again[-1].status} "
                    f"{again[-1].text[:200]}"
                )
            wanted = [(i["productId"], i["quantity"]) for i in body["items"]]
            if [(i["productId"], i["quantity"]) for i in order["items"]] != wanted:
                violations.append(f"key {key}: the order's items are not the ones asked for")
            placed[order["orderId"]] = order
        self._check_stored(placed)

    def _check_stored(self, placed: dict[str, dict]) -> None:
        violations = self.report.violations
        ours = {profile["userId"] for _shopper, profile in self.customers}
        stored = {}
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=self.orders_table):
            for item in page["Items"]:
                if item["userId"]["S"] in ours:
                    stored[item["orderId"]["S"]] = item
        for order_id in stored:
            self.api.remember_order(order_id)
        for order_id in set(placed) - set(stored):
            violations.append(f"order {order_id} was answered 201 but is not stored")
        for order_id in set(stored) - set(placed):
            violations.append(f"order {order_id} is stored but no request was answered 201")
        sold: Counter = Counter()
        for order_id, order in placed.items():
            if order_id in stored:
                stored_items = [
                    (line["M"]["productId"]["S"], int(line["M"]["quantity"]["N"]))
                    for line in stored[order_id]["items"]["L"]
                ]
                if stored_items != [(i["productId"], int(i["quantity"])) for i in order["items"]]:
                    violations.append(f"order {order_id} is stored with other items")
            for line in order["items"]:
                sold[line["productId"]] += int(line["quantity"])
        self.report.orders_placed = len(placed)
        self.report.units_sold = sum(sold.values())
        for product in self.products:
            stock = self.api.get(f"/products/{product['productId']}").json()["stock"]
            if stock < 0:
                violations.append(f"product {product['productId']}: stock {stock} below zero")
            if stock + sold[product["productId"]] != self.plan.stock:
                violations.append(
                    f"product {product['productId']}: stock {stock} + sold "
                    f"{sold[product['productId']]} != {self.plan.stock}"
                )
