"""The local cloud: start, deploy, first answer, teardown, each broken down into its phases
(synth, init, plan, apply, outputs; destroy) and its slowest resource types; then a bounded
loopback load through the local gateway: ``GET /products/{id}`` with 1, 16 and 50 concurrent
clients, and 200 creates (``POST /products``) from 20 clients.

``python -m bench.localcloud_bench [--seconds S] [--runner-ref REF] [--cycles N] [--before REF]``

``--before REF`` runs the same starts twice in one run, first with REF's project and runner (e.g.
the commit before a change), then with the working tree's, and prints them side by side: ready,
first answer and down (SIGTERM to exit) for the first start, the warm one and the cold one.

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

from bench import command
from bench.common import (
    PYTHON,
    ROOT,
    child_env,
    describe_machine,
    extract,
)
from bench.load import Client, measure_load
from bench.localcloud_report import lifecycle_table, report, side_by_side, warm_ratio
from localcloud.base import arguments
from localcloud.deploy.progress import Progress

COPIED = ("main.py", "cdktf.json", "Pipfile", "Pipfile.lock", "openapi.json")
COPIED_DIRS = ("stacks", "handlers")
LINKED = (".venv", "node_modules")
RUNNER_LINKED = (".venv-lambda-3.12",)
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
    """A directory holding the ``localcloud`` and ``stacks`` packages of git commit ``ref``
    (None: this tree)."""
    if not ref:
        return ROOT
    target = Path(tempfile.mkdtemp(prefix="bench-runner-"))
    # The runner checks its options with the stacks' configuration, which reads the handlers'.
    extract(ref, ["localcloud", "stacks", "handlers", "contract"], target)
    for name in RUNNER_LINKED:  # the functions' runtime is found beside the runner's package
        if (ROOT / name).exists():
            (target / name).symlink_to(ROOT / name)
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


# The command line: python -m bench.localcloud_bench.
FLAGS = (
    command.flag("--seconds", type=arguments.seconds, default=10.0, help="seconds per load level"),
    command.flag(
        "--ref",
        type=arguments.commit,
        help="deploy the stacks and handlers of this git commit instead",
    ),
    command.flag(
        "--runner-ref",
        type=arguments.commit,
        help="run the localcloud package of this git commit",
    ),
    command.flag("--cycles", type=arguments.count, default=3, help="starts on the same project"),
    command.flag("--no-load", action="store_true", help="only the start and teardown"),
    command.flag(
        "--before",
        type=arguments.commit,
        help="first run the same starts with this commit's project and runner, and show both "
        "side by side (e.g. --before deda94a)",
    ),
)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Bring the local cloud up, measure, tear it down; print the tables, write the JSON."""
    return command.run(argv, "bench.localcloud_bench", __doc__, FLAGS, _measure)


def _cycles(args: argparse.Namespace, ref: str | None, runner_ref: str | None) -> list[dict]:
    """``args.cycles`` starts on a throwaway copy of ``ref``'s project, run by ``runner_ref``'s
    ``localcloud`` package (None: the working tree's)."""
    project = make_project(ref)
    runner_dir = runner_package(runner_ref)
    cloud = LocalCloud(project, runner_dir)
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
    return cycles


def _measure(args: argparse.Namespace) -> command.Report:
    if args.before:
        # The commit before first (its project and its runner), then the working tree.
        runs = {"before": _cycles(args, args.before, args.before)}
        runs["after"] = _cycles(args, args.ref, args.runner_ref)
        out = command.Report("localcloud-vs-before")
        out.line(side_by_side(args.before, runs))
        for name, cycles in runs.items():
            out.line()
            label = args.before if name == "before" else "working tree"
            out.line(lifecycle_table(f"Lifecycle, {label} ({describe_machine()})", cycles))
        out.data = {"before": args.before, **runs}
        return out
    cycles = _cycles(args, args.ref, args.runner_ref)
    out = command.Report("localcloud" if not args.runner_ref else "localcloud-before")
    label = f"runner {args.runner_ref or 'working tree'}"
    report(out, cycles, label, args.seconds)
    out.data = {
        "runner": args.runner_ref or "working tree",
        "ref": args.ref or "working tree",
        "cycles": cycles,
        "warm_vs_cold": warm_ratio(cycles),
    }
    return out


if __name__ == "__main__":
    main()
