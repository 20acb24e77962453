"""Watch mode on the project's own stack: how long a saved handler takes to answer.

``python -m bench.watch_bench [--saves N]``

The local cloud runs with ``--watch --prewarm`` on a throwaway copy of the project (as in
``bench.localcloud_bench``). Each save changes the message of the products function's 404 in
``handlers/store/data/products_table.py`` and is timed from the write until
``GET /products/<an unknown id>`` answers with the new message: the save noticed, the package
rebuilt, a new worker per function importing the handler before it serves, then the request
itself (the new worker's first: it makes its DynamoDB client). The goal is a median under 0.7 s
over ten saves; the 95th percentile is given beside it. Next to it, in the same run: a warm
``GET`` of the same route (what a request costs when nothing changed).

Where each save's time goes is read from the runner's line for it (``localcloud.watch``): how
long after the write the watcher noticed it, the packaging, the new workers' start (until the
swap), and how much later the emulator had the code (UpdateFunctionCode, after the swap: off the
path); the rest of a save's time, after the swap, is the first request.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from bench import command
from bench.common import describe_machine, median, percentile
from bench.localcloud_bench import LocalCloud, make_project
from localcloud.base import arguments

TARGET = "handlers/store/data/products_table.py"
BREAKDOWN = re.compile(
    r"\(live (?P<live>[\d.]+) s after the save: noticed (?P<noticed>[\d.]+), packaged "
    r"(?P<packaged>[\d.]+), workers (?P<workers>[\d.]+); deployed (?P<deployed>[\d.]+) s later\)"
)
PHASES = ("noticed", "packaged", "workers", "first request", "deployed")
MESSAGE = "Product not found."
LIVE_TIMEOUT_S = 30.0


def _message(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read()).get("error", {}).get("message")
    except urllib.error.HTTPError as error:
        return json.loads(error.read()).get("error", {}).get("message")
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _until(url: str, expected: str) -> float:
    """Seconds until ``url`` answers with ``expected`` as its error message."""
    started = time.perf_counter()
    while time.perf_counter() - started < LIVE_TIMEOUT_S:
        if _message(url) == expected:
            return time.perf_counter() - started
        time.sleep(0.02)
    raise RuntimeError(f"{url} did not answer {expected!r} within {LIVE_TIMEOUT_S} s")


def _breakdown(cloud: LocalCloud, live: list[float]) -> dict[str, list[float]]:
    """Each phase's seconds, save by save, from the runner's lines (waited for: the runner says
    a save once the emulator has it, which may be after its first answer)."""
    deadline = time.monotonic() + LIVE_TIMEOUT_S
    while True:
        found = [m for _, line in list(cloud.lines) if (m := BREAKDOWN.search(line))]
        if len(found) >= len(live) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if len(found) != len(live):
        raise RuntimeError(f"the runner said {len(found)} saves, not {len(live)}: {cloud.tail()}")
    phases = {
        name: [float(m[name]) for m in found] for name in PHASES if name in BREAKDOWN.groupindex
    }
    phases["first request"] = [
        max(t - float(m["live"]), 0.0) for t, m in zip(live, found, strict=True)
    ]
    return {name: phases[name] for name in PHASES}


# The command line: python -m bench.watch_bench.
FLAGS = (command.flag("--saves", type=arguments.count, default=10, help="saves to time"),)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Bring the local cloud up in watch mode, save ``--saves`` times, print the table."""
    return command.run(argv, "bench.watch_bench", __doc__, FLAGS, _measure)


def _measure(args: argparse.Namespace) -> command.Report:
    project = make_project()
    cloud = LocalCloud(project)
    target = project / TARGET
    source = target.read_text(encoding="utf-8")
    try:
        cloud.start("--watch", "--prewarm")
        ready = cloud.wait_ready()
        url = f"{ready['apiUrl']}products/{uuid.uuid4()}"
        _until(url, MESSAGE)
        warm = []
        for _ in range(20):
            started = time.perf_counter()
            _message(url)
            warm.append(time.perf_counter() - started)
        live = []
        for save in range(1, args.saves + 1):
            time.sleep(1.0)  # a distinct modification time, and the watcher idle again
            message = f"Product not found (save {save})."
            target.write_text(source.replace(MESSAGE, message), encoding="utf-8")
            live.append(_until(url, message))
        phases = _breakdown(cloud, live)
    finally:
        cloud.stop()
        shutil.rmtree(project, ignore_errors=True)
    result = {
        "machine": describe_machine(),
        "saves_s": [round(s, 2) for s in live],
        "median_s": round(median(live), 2),
        "p95_s": round(percentile(live, 0.95), 2),
        "max_s": round(max(live), 2),
        "warm_get_ms": round(median(warm) * 1000, 1),
        "phases_s": {name: [round(s, 3) for s in seconds] for name, seconds in phases.items()},
    }
    rows = [
        [
            "save -> new code answers",
            f"{result['median_s']} s",
            f"{result['p95_s']} s",
            ", ".join(f"{s:.2f}" for s in live),
        ],
        *(
            [
                f"  {name}" + (" (after the swap, off the path)" if name == "deployed" else ""),
                f"{median(seconds):.3f} s",
                f"{percentile(seconds, 0.95):.3f} s",
                ", ".join(f"{s:.2f}" for s in seconds),
            ]
            for name, seconds in phases.items()
        ),
        ["reference: warm GET, nothing changed", f"{result['warm_get_ms']} ms", "", ""],
    ]
    out = command.Report("watch", result)
    out.table(
        "Watch mode: a saved handler answering (project stack)",
        ["what", "p50", "p95", "each"],
        rows,
    )
    return out


if __name__ == "__main__":
    main()
