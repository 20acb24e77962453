"""The local cloud: start, deploy, first answer, teardown; then a bounded loopback load on
``GET /products/{id}`` through the local gateway with 1 and 8 concurrent clients.

``python -m bench.localcloud_bench [--seconds S]``

The local cloud runs as documented (``python -m localcloud --project-dir DIR --port 0``), but on a
throwaway copy of the project (``main.py``, ``cdktf.json``, the Pipfiles, ``stacks/``,
``handlers/``; ``.venv`` and ``node_modules`` linked), so that it never meets a local cloud or a
``cdktf.out`` of the working tree. The runner's own timings (``ready.json``) give the emulator's
start, the deploy and the gateway's start; this script adds the first answer (a cold function
worker) and the teardown (``cdktf destroy``, emulator stopped), measured from outside.

Load: each client is a thread with one keep-alive ``http.client`` connection, sending requests
back to back for ``--seconds`` per level, only to 127.0.0.1. Next to it, in the same run and
with one client: the bare ``GetItem`` the route makes, sent straight to the emulator (what the
function costs at the least), and a request the gateway answers without any function (an unknown
path: what the gateway costs at the least).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.common import (
    PYTHON,
    ROOT,
    child_env,
    describe_machine,
    median,
    percentile,
    ratio,
    table,
    write_json,
)

COPIED = ("main.py", "cdktf.json", "Pipfile", "Pipfile.lock", "openapi.json")
COPIED_DIRS = ("stacks", "handlers")
LINKED = (".venv", "node_modules")
# A deploy takes 1.5 to 2.5 minutes here; one that has not finished in 8 is stuck.
READY_TIMEOUT_S = 480
TEARDOWN_TIMEOUT_S = 600


def make_project(ref: str | None = None) -> Path:
    """A throwaway copy of the project that the local cloud can deploy from.

    ``ref``: take the copied files from that git commit instead of the working tree.
    """
    project = Path(tempfile.mkdtemp(prefix="bench-localcloud-"))
    if ref:
        listed = subprocess.run(
            ["git", "ls-tree", "--name-only", ref],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if listed.returncode != 0:
            raise RuntimeError(f"There is no git commit '{ref}' here: {listed.stderr.strip()}")
        paths = [p for p in (*COPIED, *COPIED_DIRS) if p in listed.stdout.split()]
        archive = subprocess.run(
            ["git", "archive", "--format=tar", ref, *paths],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        subprocess.run(["tar", "-x", "-C", str(project)], input=archive.stdout, check=True)
    else:
        for name in COPIED:
            if (ROOT / name).exists():
                shutil.copy2(ROOT / name, project / name)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
        for name in COPIED_DIRS:
            shutil.copytree(ROOT / name, project / name, ignore=ignore)
    for name in LINKED:
        (project / name).symlink_to(ROOT / name)
    return project


class Client:
    """One keep-alive HTTP connection to ``base`` (reconnects when the server closes it)."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        """Send one request; (status, body)."""
        payload = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if payload else {}
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

    Returns requests per second, p50/p99 latency (ms) and the count of non-2xx answers.
    """
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    deadline = time.perf_counter() + seconds

    def worker(index: int) -> None:
        call = send()
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                ok = call()
            except OSError:
                ok = False
            latencies[index].append((time.perf_counter() - start) * 1000)
            if not ok:
                errors[index] += 1

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.perf_counter() - start
    flat = [value for per_client in latencies for value in per_client]
    if not flat:
        raise RuntimeError("The load produced no request at all.")
    return {
        "clients": clients,
        "seconds": elapsed,
        "requests": len(flat),
        "rps": len(flat) / elapsed,
        "p50_ms": percentile(flat, 0.50),
        "p99_ms": percentile(flat, 0.99),
        "median_ms": median(flat),
        "errors": sum(errors),
    }


class LocalCloud:
    """One run of ``python -m localcloud`` on a throwaway project copy."""

    def __init__(self, project: Path):
        self.project = project
        self.work = project / ".localcloud"
        self.log = project / "runner.log"
        self.process: subprocess.Popen | None = None
        self.started = 0.0

    def start(self) -> None:
        """Start the runner in its own process group (so it can be stopped as a whole)."""
        env = child_env(PIPENV_VENV_IN_PROJECT="1", PIPENV_VERBOSITY="-1")
        env["PATH"] = f"{ROOT / '.venv' / 'bin'}:{ROOT / 'node_modules' / '.bin'}:{env['PATH']}"
        self.started = time.perf_counter()
        with self.log.open("w") as log:
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                [PYTHON, "-m", "localcloud", "--project-dir", str(self.project), "--port", "0"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self) -> dict[str, Any]:
        """The runner's ready.json, once it serves; an error naming its last lines if it dies."""
        ready = self.work / "ready.json"
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if ready.exists():
                try:
                    return json.loads(ready.read_text(encoding="utf-8"))
                except ValueError:
                    pass  # being written
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"The local cloud stopped before serving (exit {self.process.returncode}): "
                    + self.tail()
                )
            time.sleep(0.25)
        raise RuntimeError(f"The local cloud was not serving within {READY_TIMEOUT_S} s.")

    def stop(self) -> float:
        """Ask the runner to tear down (SIGTERM, as ``--down`` does); seconds until it exited."""
        if self.process is None or self.process.poll() is not None:
            return 0.0
        start = time.perf_counter()
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(TEARDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            # Our own process group: the runner and what it started.
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)
            raise RuntimeError(
                f"The local cloud did not tear down within {TEARDOWN_TIMEOUT_S} s; it was killed."
            ) from None
        return time.perf_counter() - start

    def tail(self, lines: int = 6) -> str:
        """The last lines of the runner's output, on one line."""
        try:
            text = self.log.read_text(encoding="utf-8").strip().splitlines()
        except OSError:
            return "(no output)"
        return " | ".join(text[-lines:])


def main(argv: list[str] | None = None) -> dict[str, Any]:  # pylint: disable=too-many-locals
    """Bring the local cloud up, measure, tear it down; print the tables, write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.localcloud_bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per load level")
    parser.add_argument("--ref", help="deploy the stacks and handlers of this git commit instead")
    args = parser.parse_args(argv)

    project = make_project(args.ref)
    cloud = LocalCloud(project)
    data: dict[str, Any] = {}
    try:
        cloud.start()
        ready = cloud.wait_ready()
        ready_wall = time.perf_counter() - cloud.started
        api = ready["apiUrl"].rstrip("/")
        stage_path = urlsplit(api).path
        client = Client(api)
        first_start = time.perf_counter()
        status, _ = client.request("GET", f"{stage_path}/products?limit=1")
        first_answer = time.perf_counter() - first_start
        if status != 200:
            raise RuntimeError(f"The first request answered {status}, expected 200.")
        product = {"name": "Pen", "price": 2, "category": "bench", "stock": 10}
        status, body = client.request("POST", f"{stage_path}/products", product)
        if status != 201:
            raise RuntimeError(f"Creating the product answered {status}: {body[:200]!r}.")
        product_id = json.loads(body)["productId"]
        path = f"{stage_path}/products/{product_id}"

        def via_gateway():
            own = Client(api)
            return lambda: own.request("GET", path)[0] == 200

        def gateway_only():
            own = Client(api)
            return lambda: own.request("GET", f"{stage_path}/no-such-route")[0] in (403, 404)

        def bare_get_item():
            import boto3  # noqa: PLC0415  pylint: disable=import-outside-toplevel

            dynamodb = boto3.session.Session(
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                region_name=ready.get("region", "us-east-1"),
            ).client("dynamodb", endpoint_url=ready["emulatorUrl"])
            outputs = json.loads(Path(ready["flatOutputsFile"]).read_text(encoding="utf-8"))
            table_name = outputs["ProductsTableName"]
            key = {"productId": {"S": product_id}}
            return lambda: "Item" in dynamodb.get_item(TableName=table_name, Key=key)

        reference_seconds = min(args.seconds, 5.0)
        levels = {
            "bare GetItem on the emulator, 1 client": load(bare_get_item, 1, reference_seconds),
            "gateway, no function (404), 1 client": load(gateway_only, 1, reference_seconds),
            "GET /products/{id}, 1 client": load(via_gateway, 1, args.seconds),
            "GET /products/{id}, 8 clients": load(via_gateway, 8, args.seconds),
        }
        teardown = cloud.stop()
        timings = ready.get("timings", {})
        phases = [
            ["emulator start (runner)", timings.get("emulator_s")],
            ["deploy: cdktf deploy (runner)", timings.get("deploy_s")],
            ["gateway start (runner)", timings.get("gateway_s")],
            ["ready: start to serving (runner)", timings.get("ready_s")],
            ["ready, seen from outside (incl. interpreter)", ready_wall],
            ["first answer, cold function worker", first_answer],
            ["teardown: cdktf destroy + emulator stop", teardown],
        ]
        print(
            table(
                f"Local cloud lifecycle, {args.ref or 'working tree'} (seconds; "
                f"{describe_machine()})",
                ["phase", "seconds", "vs deploy"],
                [[name, value, ratio(value, timings.get("deploy_s"))] for name, value in phases],
            )
        )
        single = levels["GET /products/{id}, 1 client"]
        rows = [
            [
                name,
                r["clients"],
                r["requests"],
                r["rps"],
                r["p50_ms"],
                r["p99_ms"],
                r["errors"],
                ratio(r["p50_ms"], single["p50_ms"]),
            ]
            for name, r in levels.items()
        ]
        print()
        print(
            table(
                f"Loopback load through the local gateway ({args.seconds:g} s per level; "
                f"references {reference_seconds:g} s)",
                [
                    "level",
                    "clients",
                    "requests",
                    "req/s",
                    "p50 ms",
                    "p99 ms",
                    "errors",
                    "p50 vs 1 client",
                ],
                rows,
            )
        )
        data = {
            "seconds_per_level": args.seconds,
            "ref": args.ref or "working tree",
            "lifecycle": dict(phases),
            "runner_timings": timings,
            "load": levels,
        }
        write_json("localcloud", data)
        return data
    finally:
        try:
            cloud.stop()
        finally:
            shutil.rmtree(project, ignore_errors=True)


if __name__ == "__main__":
    main()
