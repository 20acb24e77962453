"""A function killed in the middle of placing an order, then the client's retry with the same
``Idempotency-Key``: one order, stock taken once, and the retry gets it.

The kill comes at the worst moment, by rule (``faults add lambda:ORDERS --crash --at
dynamodb:TransactWriteItems``): the order's transaction has reached DynamoDB and been applied,
and the function dies before it reads the answer. So it never learns, and Powertools' idempotency
record stays "in progress". The client got a 5xx and retries: 409 "in progress" until the record
expires (the invocation's remaining time), then the order the transaction stored, found by the
id the key gives it.
"""

import time
from decimal import Decimal

from tests.chaos.storm import AWS_TEXT, _answer, _retry_later

DEADLINE_S = 120


def test_a_function_killed_mid_order_then_retried_places_one_order(api, emulator_faults, outputs):
    product = api.create_product(stock=5)
    shopper, profile = api.sign_up()
    body = {"items": [{"productId": product["productId"], "quantity": 2}]}
    key = {"Idempotency-Key": f"killed-{profile['userId']}"}
    emulator_faults.add(
        "lambda",
        outputs["OrdersLambdaName"],
        fault="crash",
        at="dynamodb:TransactWriteItems",
        count=1,
    )
    answer = _answer(shopper.post("/orders", body, headers=key))
    assert answer.status == 502 and not AWS_TEXT.search(answer.text), answer.text
    assert [rule["hits"] for rule in emulator_faults.rules()] == [1]  # killed at the write
    # Killed after DynamoDB applied the transaction, whole: the order and its stock are there.
    stored = shopper.get("/orders", params={"userId": profile["userId"]}).json()["items"]
    assert len(stored) == 1
    assert _stock(api, product) == 3

    answers = [answer]
    deadline = time.monotonic() + DEADLINE_S
    while answers[-1].status != 201 and time.monotonic() < deadline:
        # Only what a careful client retries: 502/503/504 (the outcome unknown) or 409 "in
        # progress". A 500 is a bug, as the storm counts it (tests/chaos/storm.py).
        assert _retry_later(answers[-1]), answers[-1].text
        assert not AWS_TEXT.search(answers[-1].text), answers[-1].text
        time.sleep(0.5)  # the client's back-off
        answers.append(_answer(shopper.post("/orders", body, headers=key)))
    order = answers[-1].body
    assert answers[-1].status == 201, answers[-1].text
    api.remember_order(order["orderId"])
    listed = shopper.get("/orders", params={"userId": profile["userId"]}).json()["items"]
    assert [o["orderId"] for o in listed] == [order["orderId"]] == [stored[0]["orderId"]]
    assert _stock(api, product) == 3
    again = _answer(shopper.post("/orders", body, headers=key))  # the same answer once more
    assert again.status == 201 and again.body["orderId"] == order["orderId"]


def _stock(api, product) -> Decimal:
    return api.get(f"/products/{product['productId']}").json(parse_float=Decimal)["stock"]
