"""Loopback load on a serving local cloud: keep-alive clients sending one request for a fixed
time, the creates burst, and the load levels of the local-cloud benchmark (bench/localcloud_bench.py
describes them)."""

from __future__ import annotations

import http.client
import json
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.common import median, percentile
from localcloud.base import aws


class Client:
    """One keep-alive HTTP connection to ``base`` (reconnects when the server closes it)."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        """Send one request; (status, body)."""
        payload = None if body is None else json.dumps(body).encode()
        # A User-Agent, as every client sends one: the firewall refuses a request without.
        headers = {"User-Agent": "localcloud-bench"}
        if payload:
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.connection.request(method, path, body=payload, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, data
            except (http.client.HTTPException, ConnectionError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Drop the connection."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def load(send, clients: int, seconds: float) -> dict[str, Any]:
    """Run ``send()`` (returns an HTTP status) back to back in ``clients`` threads for ``seconds``.

    Returns requests per second (all, and 2xx only), p50/p99 latency (ms), the 429s and the
    other non-2xx answers.
    """
    latencies: list[list[float]] = [[] for _ in range(clients)]
    statuses: list[list[int]] = [[] for _ in range(clients)]
    deadline = time.perf_counter() + seconds

    def worker(index: int) -> None:
        call = send()
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                status = call()
            except OSError:
                status = 0
            latencies[index].append((time.perf_counter() - start) * 1000)
            statuses[index].append(status)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.perf_counter() - start
    flat = [value for per_client in latencies for value in per_client]
    codes = [code for per_client in statuses for code in per_client]
    if not flat:
        raise RuntimeError("The load produced no request at all.")
    ok = sum(200 <= code < 300 for code in codes)
    throttled = codes.count(429)
    return {
        "clients": clients,
        "seconds": elapsed,
        "requests": len(flat),
        "rps": len(flat) / elapsed,
        "ok_rps": ok / elapsed,
        "p50_ms": percentile(flat, 0.50),
        "p99_ms": percentile(flat, 0.99),
        "median_ms": median(flat),
        "throttled_pct": 100.0 * throttled / len(codes),
        "errors": len(codes) - ok - throttled,
    }


def creates(api: str, clients: int, total: int) -> dict[str, Any]:
    """``total`` POST /products from ``clients`` threads; answers by status, and the time."""
    path = f"{urlsplit(api).path}/products"
    counts: dict[int, int] = {}
    lock = threading.Lock()

    def worker(share: int) -> None:
        client = Client(api)
        for index in range(share):
            body = {"name": f"Load {index}", "price": 3, "category": "load", "stock": 5}
            try:
                status, _ = client.request("POST", path, body)
            except OSError:
                status = 0
            with lock:
                counts[status] = counts.get(status, 0) + 1

    started = time.perf_counter()
    threads = [
        threading.Thread(target=worker, args=(total // clients,), daemon=True)
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    elapsed = time.perf_counter() - started
    return {"clients": clients, "total": total, "seconds": elapsed, "statuses": counts}


def measure_load(ready: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The load levels against a serving local cloud (see the module docstring)."""
    api = ready["apiUrl"].rstrip("/")
    stage_path = urlsplit(api).path
    client = Client(api)
    product = {"name": "Pen", "price": 2, "category": "bench", "stock": 10}
    status, body = client.request("POST", f"{stage_path}/products", product)
    if status != 201:
        raise RuntimeError(f"Creating the product answered {status}: {body[:200]!r}.")
    product_id = json.loads(body)["productId"]
    path = f"{stage_path}/products/{product_id}"

    def via_gateway():
        own = Client(api)
        return lambda: own.request("GET", path)[0]

    def gateway_only():
        own = Client(api)
        return lambda: 200 if own.request("GET", f"{stage_path}/no-such-route")[0] == 403 else 0

    def bare_get_item():
        session = aws.session(ready.get("region", aws.DEFAULT_REGION))
        dynamodb = session.client("dynamodb", endpoint_url=ready["emulatorUrl"])
        outputs = json.loads(Path(ready["flatOutputsFile"]).read_text(encoding="utf-8"))
        table_name = outputs["ProductsTableName"]
        key = {"productId": {"S": product_id}}
        return lambda: 200 if "Item" in dynamodb.get_item(TableName=table_name, Key=key) else 0

    reference_seconds = min(seconds, 5.0)
    levels = {
        "bare GetItem on the emulator, 1 client": load(bare_get_item, 1, reference_seconds),
        "gateway, no function (403), 1 client": load(gateway_only, 1, reference_seconds),
    }
    for clients in (1, 16, 50):
        levels[f"GET /products/{{id}}, {clients} clients"] = load(via_gateway, clients, seconds)
    return {"levels": levels, "creates": creates(api, 20, 200)}
