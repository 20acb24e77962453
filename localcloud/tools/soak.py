"""The local cloud, up and down again and again, as a script or a supervisor runs it:
``python -m localcloud.tools.soak N`` (``./scripts/soak.sh N``).

Each cycle starts ``python -m localcloud --port 0 --prewarm`` in the background in a session of
its own (so it inherits SIGINT ignored, as from a CI step), waits with ``--wait``, checks the
outputs files and the contract's basic calls through the gateway (a product created, read back
and listed warm, the CORS preflight, an unknown route's 404, the 401s without a valid token,
malformed JSON's 400), then sends SIGINT to the whole process group, as Ctrl-C would, and
checks that nothing is left: the runner, the emulator and every worker gone, both ports free,
``.localcloud/state`` and the run files removed, no traceback in the output (and, with
``--destroy``, the destroy left Terraform's state empty). It prints the
times it saw (up, first answer, teardown) per cycle and a summary; exit status 1 if any cycle
failed.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from localcloud import PROJECT_ROOT
from localcloud.base import arguments
from localcloud.base.command import DEFAULT_PORT
from localcloud.base.ports import port_free
from localcloud.base.processes import descendants, process_alive, signal_group
from localcloud.base.run_files import RunFiles
from localcloud.tools import cli

OUTPUT_KEYS = (
    "ApiGatewayId",
    "ApiGatewayUrl",
    "ProductsLambdaName",
    "Region",
    "VpcId",
    "UserPoolId",
    "UserPoolClientId",
)
ORIGIN = "http://localhost:3000"
"""The origin the cycle's requests come from, as a browser's would (an allowed one locally)."""


class CycleFailed(Exception):
    """One check of a cycle failed."""


@dataclass
class Cycle:
    """What one cycle saw."""

    number: int
    up_s: float = 0.0
    first_answer_s: float = 0.0
    teardown_s: float = 0.0
    warm_get_ms: float = 0.0
    synth_skipped: bool = False
    runner: dict = field(default_factory=dict)
    failure: str = ""

    def line(self, total: int) -> str:
        """One line for the report."""
        head = f"cycle {self.number}/{total}:"
        if self.failure:
            return f"{head} FAILED: {self.failure}"
        synth = "synth skipped" if self.synth_skipped else "synth ran"
        if self.runner.get("start") == "warm":
            synth = "warm start"
        return (
            f"{head} up {self.up_s:.1f} s ({synth}), first answer {self.first_answer_s:.1f} s, "
            f"warm GET {self.warm_get_ms:.0f} ms, teardown {self.teardown_s:.1f} s, nothing left"
        )


def _request(base: str, method: str, path: str, body=None, headers=None):
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        # A User-Agent, as every client sends one: the firewall refuses a request without.
        headers = {"User-Agent": "localcloud-soak", **(headers or {})}
        connection.request(method, parts.path.rstrip("/") + path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise CycleFailed(message)


class Soak:  # pylint: disable=too-few-public-methods  # one verb: run a cycle
    """Runs the cycles in project ``root``; their logs go to ``logs``."""

    def __init__(self, root: Path, logs: Path, extra_args: list[str]):
        self.root = root
        self.files = RunFiles(root)
        self.logs = logs
        self.extra_args = extra_args

    def _localcloud(self, *args: str, timeout: float) -> subprocess.CompletedProcess:
        return subprocess.run(
            # The subcommand (`user add`, `token`) comes first, then the project's options.
            [sys.executable, "-m", "localcloud", *args, "--project-dir", str(self.root)],
            cwd=PROJECT_ROOT,  # where the localcloud package is
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def cycle(self, number: int) -> Cycle:
        """One up, requests, Ctrl-C, checks."""
        seen = Cycle(number)
        log_path = self.logs / f"cycle-{number}.log"
        started = time.monotonic()
        runner = self._start(log_path)
        try:
            self._serve_checks(seen, started)
            self._interrupt_and_check(runner, seen, log_path)
        except (CycleFailed, OSError, ValueError, KeyError) as exc:
            seen.failure = f"{exc} (log: {log_path})"
        finally:
            if seen.failure and runner.poll() is None:
                signal_group(runner.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                runner.wait(300)
        if seen.failure:
            self._localcloud("--down", "--timeout", "300", timeout=330)
        return seen

    def _start(self, log_path: Path) -> subprocess.Popen:
        """The local cloud, started as a script does: in the background, so SIGINT ignored."""
        command = [sys.executable, "-m", "localcloud", "--project-dir", str(self.root)]
        command += ["--port", "0", "--prewarm", *self.extra_args]
        with open(log_path, "w", encoding="utf-8") as log:
            return subprocess.Popen(  # pylint: disable=consider-using-with
                ["bash", "-c", 'exec "$@" & wait', "soak", *command],
                cwd=PROJECT_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _serve_checks(self, seen: Cycle, started: float) -> None:
        waited = self._localcloud("--wait", "--timeout", "900", timeout=960)
        _check(waited.returncode == 0, f"--wait: {waited.stderr.strip()}")
        seen.up_s = time.monotonic() - started
        ready = RunFiles.read_json(self.files.ready_file)
        base = ready["apiUrl"]
        _check(base == waited.stdout.strip(), "--wait printed another URL than ready.json")
        seen.runner = ready.get("timings", {})
        seen.synth_skipped = bool(seen.runner.get("synth_skipped"))
        flat = json.loads(Path(ready["flatOutputsFile"]).read_text(encoding="utf-8"))
        every = json.loads(Path(ready["outputsFile"]).read_text(encoding="utf-8"))
        _check(every.get(ready["stack"]) == flat, "the flat outputs differ from cdktf's file")
        _check(flat.get("ApiGatewayStageName") == ready["stage"] == "local", "stage is not local")
        missing = [key for key in OUTPUT_KEYS if not flat.get(key)]
        _check(not missing, f"outputs missing: {missing}")
        added = self._localcloud("user", "add", "soak@example.com", "--admin", timeout=120)
        _check(added.returncode == 0, f"user add --admin: {added.stderr.strip()}")
        _contract(seen, base, added.stdout.strip(), started)

    def _interrupt_and_check(self, runner: subprocess.Popen, seen: Cycle, log_path: Path) -> None:
        """Ctrl-C to the whole process group; then nothing may be left."""
        run = RunFiles.read_json(self.files.run_file)
        ready = RunFiles.read_json(self.files.ready_file)
        pids = {run["pid"], run["emulatorPid"], *descendants(run["pid"])}
        ports = [urlsplit(ready[key]).port for key in ("apiUrl", "emulatorUrl")]
        interrupted = time.monotonic()
        os.killpg(runner.pid, signal.SIGINT)
        deadline = interrupted + 300
        while process_alive(run["pid"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        seen.teardown_s = time.monotonic() - interrupted
        alive = sorted(pid for pid in pids if process_alive(pid))
        _check(not alive, f"processes left running: {alive}")
        taken = [port for port in ports if not port_free("127.0.0.1", port)]
        _check(not taken, f"ports still taken: {taken}")
        left = [path.name for path in self.files.run_state() if path.exists()]
        _check(not left, f"left in {self.files.work}: {left}")
        output = log_path.read_text(encoding="utf-8", errors="replace")
        _check("Traceback" not in output, "a traceback in the runner's output")
        _check("torn down in" in output, "the runner did not say it tore down")
        teardown = RunFiles.read_json(self.files.teardown_file)
        _check(not teardown.get("destroy_problem"), str(teardown.get("destroy_problem")))


def _contract(seen: Cycle, base: str, token: str, started: float) -> None:
    """The contract's basic calls, from a browser's origin, as an admin (``token``)."""
    browser = {"Origin": ORIGIN}
    json_type = {"Content-Type": "application/json", **browser}
    admin = {"Authorization": token, **json_type}
    product = json.dumps(
        {"name": "Soak widget", "price": 12.5, "category": "soak", "stock": 3}
    ).encode()
    for refused in (json_type, {**json_type, "Authorization": "Bearer not-a-token"}):
        status, headers, body = _request(base, "POST", "/products", product, refused)
        _check(status == 401, f"POST /products without a valid token answered {status}")
        _check(json.loads(body)["error"]["code"] == "UNAUTHORIZED", f"the 401 said {body!r}")
        _check("Access-Control-Allow-Origin" in headers, "the 401 has no CORS header")
    status, headers, body = _request(base, "POST", "/products", product, admin)
    seen.first_answer_s = time.monotonic() - started
    _check(status == 201, f"POST /products answered {status}: {body[:200]!r}")
    _check("Access-Control-Allow-Origin" in headers, "POST /products has no CORS header")
    seen.warm_get_ms = _warm_gets(base, json.loads(body)["productId"], browser)
    status, headers, _ = _request(base, "OPTIONS", "/products", headers=browser)
    _check(status in (200, 204), f"the CORS preflight answered {status}")
    _check("Access-Control-Allow-Origin" in headers, "the preflight has no CORS header")
    status, headers, body = _request(base, "GET", "/no-such-route", headers=browser)
    _check(status == 404, f"an unknown route answered {status}")
    _check(json.loads(body)["error"]["code"] == "NOT_FOUND", f"an unknown route said {body!r}")
    _check("Access-Control-Allow-Origin" in headers, "the 404 has no CORS header")
    status, _, _ = _request(base, "POST", "/products", b"{not json", admin)
    _check(status == 400, f"malformed JSON answered {status}")


def _warm_gets(base: str, product_id: str, headers: dict) -> float:
    """The median milliseconds of 20 reads of the product."""
    warm = []
    for _ in range(20):
        begun = time.monotonic()
        status, _, body = _request(base, "GET", f"/products/{product_id}", headers=headers)
        warm.append((time.monotonic() - begun) * 1000)
        _check(status == 200, f"GET /products/{{id}} answered {status}")
        _check(json.loads(body)["productId"] == product_id, "GET returned another product")
    return statistics.median(warm)


def _summary(cycles: list[Cycle]) -> str:
    good = [c for c in cycles if not c.failure]
    lines = [f"soak: {len(cycles)} cycles, {len(cycles) - len(good)} failed"]
    for name, attribute in (
        ("up", "up_s"),
        ("first answer", "first_answer_s"),
        ("teardown", "teardown_s"),
    ):
        values = [getattr(c, attribute) for c in good]
        if values:
            lines.append(
                f"  {name:13} min {min(values):6.1f} s  median {statistics.median(values):6.1f} s"
                f"  max {max(values):6.1f} s"
            )
    phases: dict[str, list[float]] = {}
    for cycle in good:
        for phase, seconds in cycle.runner.get("deploy_phases", {}).items():
            phases.setdefault(phase, []).append(seconds)
    if phases:
        parts = [f"{k} {statistics.median(v):.1f}" for k, v in phases.items()]
        lines.append(f"  deploy phases, median s: {', '.join(parts)}")
    return "\n".join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    """The soak's options, and those of a start (``python -m localcloud``), which each cycle's
    start is given; all checked before a cycle runs."""
    parser = argparse.ArgumentParser(
        prog="python -m localcloud.tools.soak",
        description=__doc__,
        parents=[cli.build_parser(add_help=False)],
        conflict_handler="resolve",  # the soak's --project-dir, not the start's
        epilog="Each cycle starts the local cloud with --port 0 --prewarm and the options of a "
        "start given here (--stack, --host, --emulator-port, --region, --destroy, --watch, "
        "--quiet, --verbose, --cold).",
    )
    parser.add_argument("cycles", type=arguments.count, nargs="?", default=2)
    parser.add_argument("--project-dir", type=arguments.existing_dir, default=PROJECT_ROOT)
    parser.add_argument(
        "--logs",
        type=arguments.dir_to_write,
        help="where each cycle's output goes (default .localcloud-soak/)",
    )
    parser.add_argument(
        "--json", type=arguments.file_to_write, help="also write the cycles' figures here"
    )
    args = parser.parse_args(argv)
    refused = {
        "--down/--wait": args.down or args.wait,
        "--port": args.port != DEFAULT_PORT,
        "--ready-file": args.ready_file is not None,
        "--forget": args.forget,
    }
    for flag in (flag for flag, given in refused.items() if given):
        parser.error(f"argument {flag}: the soak sets it itself (each cycle: --port 0 --prewarm)")
    return args


def start_options(args: argparse.Namespace) -> list[str]:
    """The options of each cycle's start (besides ``--port 0 --prewarm``)."""
    words = ["--stack", args.stack, "--host", args.host, "--emulator-port", str(args.emulator_port)]
    if args.region:
        words += ["--region", args.region]
    switches = {
        "--destroy": args.destroy,
        "--no-destroy": args.no_destroy,
        "--watch": args.watch,
        "--quiet": args.quiet,
        "--verbose": args.verbose,
        "--cold": args.cold,
    }
    return [*words, *(flag for flag, given in switches.items() if given)]


def main(argv=None) -> int:
    """Run the cycles; exit 1 if any failed."""
    args = parse_args(argv)
    root = args.project_dir.resolve()
    logs = args.logs or root / ".localcloud-soak"
    logs.mkdir(parents=True, exist_ok=True)
    soak = Soak(root, logs, start_options(args))
    cycles = []
    for number in range(1, args.cycles + 1):
        cycles.append(soak.cycle(number))
        print(f"soak: {cycles[-1].line(args.cycles)}", flush=True)
    print(_summary(cycles), flush=True)
    if args.json:
        args.json.write_text(json.dumps([c.__dict__ for c in cycles], indent=2) + "\n")
    return 1 if any(c.failure for c in cycles) else 0


if __name__ == "__main__":
    sys.exit(main())
