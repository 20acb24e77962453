"""From a committed order to its customer's mail, on the running local cloud: p50 and p95 over
``--orders`` orders (default 100).

``python -m bench.events_bench [--orders N] [--project-dir DIR] [--ready-file FILE]``

Start the local cloud first (``python -m localcloud --prewarm``). The bench signs in an admin
and a customer of the local pool, creates a product with stock enough, and places the orders one
after another through the API. An order's latency is its mail's ``sentAt`` (stamped by the
emulator's SES as it keeps the mail) minus the order's ``createdAt`` (written in the same
transaction that commits it), both on the local clock: the stream poll, the publisher, the bus's
rule, the notifications queue's poll, the notifier and SES, end to end. Everything it created is
left in the local cloud, which a restart forgets.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

import requests

from bench.common import describe_machine, median, percentile, table, write_json
from localcloud.base import arguments, aws, command
from localcloud.base.errors import LocalCloudError
from localcloud.base.output import say_error
from localcloud.base.run_files import RunFiles
from localcloud.emulator.mail_client import MailClient
from tests.integration.mail import epoch
from tests.integration.people import UserPool

MAIL_WITHIN_S = 120.0
"""How long the bench waits for the last mail after the last order."""


def _running(args) -> dict:
    files = RunFiles(args.project_dir.resolve(), args.ready_file)
    try:
        ready = RunFiles.read_json(files.ready_file)
        outputs = RunFiles.read_json(Path(ready["flatOutputsFile"]))
    except (OSError, ValueError, KeyError, TypeError):
        raise LocalCloudError(
            f"The local cloud is not serving here (no {files.ready_file}); start it with "
            "`python -m localcloud --prewarm`."
        ) from None
    return {"api": ready["apiUrl"].rstrip("/"), "emulator": ready["emulatorUrl"], **outputs}


def _call(method: str, url: str, token: str, body: dict | None = None) -> dict:
    response = requests.request(
        method, url, json=body, headers={"Authorization": token}, timeout=30
    )
    if response.status_code >= 300:
        raise LocalCloudError(f"{method} {url} answered {response.status_code}: {response.text}")
    return response.json()


def place_orders(running: dict, count: int) -> tuple[str, dict[str, str]]:
    """A customer's ``count`` orders: their address, and each order's createdAt by id."""
    cognito = aws.session(running["Region"]).client("cognito-idp", endpoint_url=running["emulator"])
    pool = UserPool(cognito, running["UserPoolId"], running["UserPoolClientId"], prefix="bench")
    admin, shopper = pool.person(admin=True), pool.person()
    api = running["api"]
    product = _call(
        "POST",
        f"{api}/products",
        admin.id_token,
        {"name": f"bench-{uuid.uuid4().hex[:8]}", "price": 1, "category": "bench", "stock": 10**6},
    )
    address = f"bench-{uuid.uuid4().hex[:12]}@example.com"
    _call("POST", f"{api}/users", shopper.id_token, {"email": address, "name": "Bench"})
    placed = {}
    for _ in range(count):
        order = _call(
            "POST",
            f"{api}/orders",
            shopper.id_token,
            {"items": [{"productId": product["productId"], "quantity": 1}]},
        )
        placed[order["orderId"]] = order["createdAt"]
    return address, placed


def mail_latencies(running: dict, address: str, placed: dict[str, str]) -> dict[str, float]:
    """Each order's latency in seconds, once every mail came (or ``MAIL_WITHIN_S`` passed)."""
    mail = MailClient(running["emulator"])
    deadline = time.monotonic() + MAIL_WITHIN_S
    latencies: dict[str, float] = {}
    while len(latencies) < len(placed) and time.monotonic() < deadline:
        for message in mail.messages(address):
            for order_id, created in placed.items():
                if order_id in message["body"] and "placed" in message["subject"]:
                    latencies[order_id] = epoch(message["sentAt"]) - epoch(created)
        time.sleep(0.5)
    return latencies


def main(argv: list[str] | None = None) -> int:
    """Place the orders, wait for the mails, print p50/p95 and write the JSON."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.events_bench",
        description=__doc__,
        parents=[command.running_options()],
    )
    parser.add_argument("--orders", type=arguments.count, default=100, help="default 100")
    args = parser.parse_args(argv)
    try:
        running = _running(args)
        started = time.monotonic()
        address, placed = place_orders(running, args.orders)
        latencies = mail_latencies(running, address, placed)
    except LocalCloudError as error:
        return say_error(error)
    values = sorted(latencies.values())
    figures = {
        "orders": len(placed),
        "mailed": len(values),
        "p50_s": round(median(values), 3) if values else None,
        "p95_s": round(percentile(values, 0.95), 3) if values else None,
        "max_s": round(values[-1], 3) if values else None,
        "wall_s": round(time.monotonic() - started, 1),
    }
    print(describe_machine())
    print(
        table(
            "order committed -> mail sent (local cloud)",
            ("orders", "mailed", "p50 s", "p95 s", "max s", "wall s"),
            [tuple(figures.values())],
        )
    )
    write_json("events", figures)
    return 0 if len(values) == len(placed) else 1


if __name__ == "__main__":
    sys.exit(main())
