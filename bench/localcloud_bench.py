"""The local cloud: start, deploy, first answer, teardown, each broken down into its phases
(synth, init, plan, apply, outputs; destroy) and its slowest resource types; then a bounded
loopback load through the local gateway: ``GET /products/{id}`` with 1, 16 and 50 concurrent
clients, and 200 creates (``POST /products``) from 20 clients.

``python -m bench.localcloud_bench [--seconds S] [--runner-ref REF] [--cycles N]``

``--runner-ref`` runs the ``localcloud`` package of that git commit (the stacks and handlers stay
the working tree's, or ``--ref``'s), so a change to the runner, the emulator or the gateway is
measured against its predecessor back to back on the same machine. ``--cycles 3`` (the default)
brings the cloud up three times on the same throwaway project, side by side: the first start
(synth and deploy), the daily start (nothing the deploy reads changed: a warm start, from the
snapshot of the first deploy, ``localcloud.deploy.warm``), and the same start with ``--cold`` (the
deploy
again, the synth skipped: what the daily start cost before warm starts); the warm start's ready
time is also given as a ratio of the cold one's.

The local cloud runs as documented (``python -m localcloud --project-dir DIR --port 0``), but on a
throwaway copy of the project (``main.py``, ``cdktf.json``, the Pipfiles, ``stacks/``,
``handlers/``; ``.venv`` and ``node_modules`` linked), so that it never meets a local cloud or a
``cdktf.out`` of the working tree. The runner's own timings (``ready.json``) give the emulator's
start, the deploy and the gateway's start; this script adds the first answer (a cold function
worker) and the teardown (destroy, emulator stopped), measured from outside.

The breakdown is read from the runner's output, each line stamped as it arrives
(``localcloud.deploy.progress``), so it is the same for any runner version. Load: each client is a
thread with one keep-alive ``http.client`` connection, sending requests back to back for
``--seconds`` per level, only to 127.0.0.1; 429s are counted apart from other errors. Next to
it, in the same run and with one client: the bare ``GetItem`` the route makes, sent straight to
the emulator (what the function costs at the least), and a request the gateway answers without
any function (an unknown path: what the gateway costs at the least).
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
    extract,
    median,
    percentile,
    ratio,
    table,
    write_json,
)
from localcloud.base import arguments, aws
from localcloud.deploy.progress import Progress

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
        extract(ref, [p for p in (*COPIED, *COPIED_DIRS) if p in listed.stdout.split()], project)
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


class LocalCloud:
    """One run of ``python -m localcloud`` on a throwaway project copy; every output line is
    stamped as it arrives."""

    def __init__(self, project: Path, runner_dir: Path = ROOT):
        self.project = project
        self.runner_dir = runner_dir
        self.work = project / ".localcloud"
        self.log = project / "runner.log"
        self.process: subprocess.Popen | None = None
        self.started = 0.0
        self.lines: list[tuple[float, str]] = []
        self._reader: threading.Thread | None = None

    def start(self, *options: str) -> None:
        """Start the runner (with ``options``, e.g. ``--watch``) in its own process group (so it
        can be stopped as a whole)."""
        env = child_env(PIPENV_VENV_IN_PROJECT="1", PIPENV_VERBOSITY="-1")
        env["PATH"] = f"{ROOT / '.venv' / 'bin'}:{ROOT / 'node_modules' / '.bin'}:{env['PATH']}"
        env["PYTHONPATH"] = str(self.runner_dir)
        self.lines = []
        self.started = time.perf_counter()
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            [
                *(PYTHON, "-m", "localcloud", "--project-dir", str(self.project), "--port", "0"),
                *options,
            ],
            cwd=self.runner_dir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        with self.log.open("a", encoding="utf-8") as log:
            for raw in self.process.stdout:
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                self.lines.append((time.perf_counter(), line))
                log.write(line + "\n")

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
            time.sleep(0.1)
        raise RuntimeError(f"The local cloud was not serving within {READY_TIMEOUT_S} s.")

    def stop(self) -> float:
        """Ask the runner to tear down (SIGTERM, as ``--down`` does); seconds until it exited."""
        if self.process is None or self.process.poll() is not None:
            return 0.0
        start = time.perf_counter()
        self.lines.append((start, "bench: stopping"))
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
        if self._reader:
            self._reader.join(10)
        return time.perf_counter() - start

    def progress(self, begin: str, end: str) -> Progress | None:
        """The phases of the lines from the one containing ``begin`` to the one containing
        ``end`` (or the last line)."""
        times = [t for t, line in self.lines if begin in line]
        if not times:
            return None
        first = times[0]
        now = [first]
        progress = Progress(clock=lambda: now[0])
        for at, line in self.lines:
            if at < first:
                continue
            now[0] = at
            progress.feed(line)
            if end in line:
                break
        progress.finish()
        return progress

    def tail(self, lines: int = 6) -> str:
        """The last lines of the runner's output, on one line."""
        return " | ".join(line for _, line in self.lines[-lines:]) or "(no output)"


def runner_package(ref: str | None) -> Path:
    """A directory holding the ``localcloud`` package of git commit ``ref`` (None: this tree)."""
    if not ref:
        return ROOT
    target = Path(tempfile.mkdtemp(prefix="bench-runner-"))
    extract(ref, ["localcloud"], target)
    return target


def _phases(progress: Progress | None) -> dict[str, float]:
    return progress.phases() if progress else {}


def _kinds(progress: Progress | None, top: int = 6) -> dict[str, float]:
    if not progress:
        return {}
    return {kind: entry["max_s"] for kind, entry in list(progress.by_type().items())[:top]}


CYCLE_OPTIONS = ((), (), ("--cold",))
"""Each cycle's start options: the first start, the warm start, a cold one (then cold again)."""


def lifecycle(cloud: LocalCloud, measure, *options: str) -> dict[str, Any]:
    """One start (``options``), ``measure(ready)`` while it serves, and the teardown; the
    breakdown."""
    cloud.start(*options)
    ready = cloud.wait_ready()
    ready_wall = time.perf_counter() - cloud.started
    api = ready["apiUrl"].rstrip("/")
    client = Client(api)
    first_start = time.perf_counter()
    status, _ = client.request("GET", f"{urlsplit(api).path}/products?limit=1")
    first_answer = time.perf_counter() - first_start + ready_wall
    if status != 200:
        raise RuntimeError(f"The first request answered {status}, expected 200.")
    measured = measure(ready)
    teardown = cloud.stop()
    deploy = cloud.progress("deploying ", "localcloud: API ")
    destroy = cloud.progress("localcloud: destroying", "emulator stopped")
    return {
        "ready_s": ready_wall,
        "first_answer_s": first_answer,
        "teardown_s": teardown,
        "runner_timings": ready.get("timings", {}),
        "synth_skipped": any("synth skipped" in line for _, line in cloud.lines),
        "start": ready.get("timings", {}).get("start", "cold"),
        "deploy_phases": _phases(deploy),
        "deploy_slowest": _kinds(deploy),
        "destroy_phases": _phases(destroy),
        "destroy_slowest": _kinds(destroy),
        "measured": measured,
    }


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


def _cycle_name(cycle: dict[str, Any]) -> str:
    if cycle.get("start") == "warm":
        return "warm start"
    return "cold start (synth skipped)" if cycle["synth_skipped"] else "first start (synth ran)"


def _warm_ratio(cycles: list[dict[str, Any]]) -> str | None:
    """The warm start's ready time next to the cold start's with the synth skipped."""
    warm = [c for c in cycles if c.get("start") == "warm"]
    cold = [c for c in cycles if c.get("start") != "warm" and c["synth_skipped"]]
    if not warm or not cold:
        return None
    warm_s, cold_s = warm[0]["ready_s"], cold[0]["ready_s"]
    first = warm[0]["first_answer_s"], cold[0]["first_answer_s"]
    return (
        f"warm start ready in {warm_s:.1f} s = {warm_s / cold_s:.2f}x the cold start's "
        f"{cold_s:.1f} s (synth skipped); first answer {first[0]:.1f} s vs {first[1]:.1f} s"
    )


def _lifecycle_table(title: str, cycles: list[dict[str, Any]]) -> str:
    names = [_cycle_name(c) for c in cycles]
    rows = []
    for label, key in (
        ("ready: start to serving", "ready_s"),
        ("first answer", "first_answer_s"),
        ("teardown: SIGTERM to exit", "teardown_s"),
    ):
        rows.append([label, *(c[key] for c in cycles)])
    for part, phases in (("deploy", "deploy_phases"), ("destroy", "destroy_phases")):
        kinds = [k for c in cycles for k in c[phases]]
        for phase in dict.fromkeys(kinds):
            rows.append([f"  {part}: {phase}", *(c[phases].get(phase) for c in cycles)])
    return table(title, ["phase (seconds)", *names], rows)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Bring the local cloud up, measure, tear it down; print the tables, write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.localcloud_bench", description=__doc__)
    parser.add_argument(
        "--seconds", type=arguments.seconds, default=10.0, help="seconds per load level"
    )
    parser.add_argument(
        "--ref",
        type=arguments.commit,
        help="deploy the stacks and handlers of this git commit instead",
    )
    parser.add_argument(
        "--runner-ref", type=arguments.commit, help="run the localcloud package of this git commit"
    )
    parser.add_argument(
        "--cycles", type=arguments.count, default=3, help="starts on the same project"
    )
    parser.add_argument("--no-load", action="store_true", help="only the start and teardown")
    args = parser.parse_args(argv)

    project = make_project(args.ref)
    runner_dir = runner_package(args.runner_ref)
    cloud = LocalCloud(project, runner_dir)
    label = f"runner {args.runner_ref or 'working tree'}"
    cycles: list[dict[str, Any]] = []
    try:
        for number in range(args.cycles):
            with_load = number == 0 and not args.no_load
            options = CYCLE_OPTIONS[min(number, len(CYCLE_OPTIONS) - 1)]
            cycles.append(
                lifecycle(
                    cloud,
                    lambda r, w=with_load: measure_load(r, args.seconds) if w else {},
                    *options,
                )
            )
    finally:
        try:
            cloud.stop()
        finally:
            shutil.rmtree(project, ignore_errors=True)
            if runner_dir != ROOT:
                shutil.rmtree(runner_dir, ignore_errors=True)
    print(_lifecycle_table(f"Local cloud lifecycle, {label} ({describe_machine()})", cycles))
    warm = _warm_ratio(cycles)
    if warm:
        print(warm)
    for part in ("deploy_slowest", "destroy_slowest"):
        print()
        print(
            table(
                f"{part.replace('_', ', ')} resource types (seconds, longest)",
                ["resource type", "seconds"],
                list(cycles[0][part].items()),
            )
        )
    measured = cycles[0]["measured"]
    if measured:
        single = measured["levels"]["GET /products/{id}, 1 clients"]
        rows = [
            [
                name,
                r["clients"],
                r["requests"],
                r["ok_rps"],
                r["p50_ms"],
                r["p99_ms"],
                f"{r['throttled_pct']:.0f}%",
                r["errors"],
                ratio(r["p50_ms"], single["p50_ms"]),
            ]
            for name, r in measured["levels"].items()
        ]
        print()
        print(
            table(
                f"Loopback load through the local gateway, {label} ({args.seconds:g} s per level)",
                [
                    "level",
                    "clients",
                    "requests",
                    "2xx/s",
                    "p50 ms",
                    "p99 ms",
                    "429",
                    "other",
                    "p50 vs 1",
                ],
                rows,
            )
        )
        made = measured["creates"]
        print(
            f"\n{made['total']} creates (POST /products) from {made['clients']} clients: "
            f"{made['seconds']:.1f} s, answers by status {dict(sorted(made['statuses'].items()))}"
        )
    data = {
        "runner": args.runner_ref or "working tree",
        "ref": args.ref or "working tree",
        "cycles": cycles,
        "warm_vs_cold": _warm_ratio(cycles),
    }
    write_json("localcloud" if not args.runner_ref else "localcloud-before", data)
    return data


if __name__ == "__main__":
    main()
