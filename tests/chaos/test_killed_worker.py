"""A function killed in the middle of placing an order, then the client's retry with the same
``Idempotency-Key``: one order, stock taken once, and the retry gets it.

The kill comes at the worst moment: the order's transaction has reached DynamoDB (the emulator
holds it, under an added latency) and the function waits for the answer. DynamoDB applies it;
the function never learns, so Powertools' idempotency record stays "in progress". The client
got a 5xx and retries: 409 "in progress" until the record expires (the invocation's remaining
time), then the order the transaction stored, found by the id the key gives it.
"""

import os
import signal
import threading
import time
from decimal import Decimal
from pathlib import Path

from localcloud import PROJECT_ROOT, WORK_DIR_NAME
from tests.chaos.storm import AWS_TEXT, _answer, _retry_later

DEADLINE_S = 120


def _workers(handler: str) -> list[int]:
    """Pids of this project's local-cloud workers running ``handler``."""
    work = str(PROJECT_ROOT / WORK_DIR_NAME).encode()
    pids = []
    for process in Path("/proc").iterdir():
        try:
            command = (process / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        running = any(part.endswith(b"worker_main.py") for part in command)
        if running and handler.encode() in command and any(work in part for part in command):
            pids.append(int(process.name))
    return pids


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {DEADLINE_S} s"
        time.sleep(0.05)


def test_a_function_killed_mid_order_then_retried_places_one_order(api, emulator_faults):
    product = api.create_product(stock=5)
    shopper, profile = api.sign_up()
    body = {"items": [{"productId": product["productId"], "quantity": 2}]}
    key = {"Idempotency-Key": f"killed-{profile['userId']}"}
    emulator_faults.add("dynamodb", "TransactWriteItems", latency_ms=1000, count=1)
    first = []
    request = threading.Thread(
        target=lambda: first.append(shopper.post("/orders", body, headers=key))
    )
    request.start()
    _wait_for(lambda: emulator_faults.rules()[0]["hits"] == 1, "transaction in the emulator")
    killed = _workers("orders.handler")
    assert killed, "no worker of the orders function runs"
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    request.join(DEADLINE_S)
    answer = _answer(first[0])
    assert answer.status >= 500 and not AWS_TEXT.search(answer.text)

    answers = [answer]
    deadline = time.monotonic() + DEADLINE_S
    while answers[-1].status != 201 and time.monotonic() < deadline:
        assert answers[-1].status >= 500 or _retry_later(answers[-1]), answers[-1].text
        time.sleep(0.5)  # the client's back-off
        answers.append(_answer(shopper.post("/orders", body, headers=key)))
    order = answers[-1].body
    assert answers[-1].status == 201, answers[-1].text
    api.remember_order(order["orderId"])
    listed = shopper.get("/orders", params={"userId": profile["userId"]}).json()["items"]
    assert [o["orderId"] for o in listed] == [order["orderId"]]
    stock = api.get(f"/products/{product['productId']}").json(parse_float=Decimal)["stock"]
    assert stock == 3
