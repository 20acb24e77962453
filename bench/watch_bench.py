"""Watch mode on the project's own stack: how long a saved handler takes to answer.

``python -m bench.watch_bench [--saves N]``

The local cloud runs with ``--watch --prewarm`` on a throwaway copy of the project (as in
``bench.localcloud_bench``). Each save changes the message of the products function's 404 in
``handlers/store/data/products_table.py`` and is timed from the write until
``GET /products/<an unknown id>`` answers with the new message: the save noticed, the package
rebuilt, sent to the emulator with UpdateFunctionCode, the functions read again and a new worker
per function importing the handler before it serves. The goal is a median under 0.7 s over ten
saves. Next to it, in the same run: a warm ``GET`` of the same route (what a request costs when
nothing changed).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from bench.common import describe_machine, median, table, write_json
from bench.localcloud_bench import LocalCloud, make_project
from localcloud.base import arguments

TARGET = "handlers/store/data/products_table.py"
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


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Bring the local cloud up in watch mode, save ``--saves`` times, print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.watch_bench", description=__doc__)
    parser.add_argument("--saves", type=arguments.count, default=10, help="saves to time")
    args = parser.parse_args(argv)
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
    finally:
        cloud.stop()
        shutil.rmtree(project, ignore_errors=True)
    result = {
        "machine": describe_machine(),
        "saves_s": [round(s, 2) for s in live],
        "median_s": round(median(live), 2),
        "max_s": round(max(live), 2),
        "warm_get_ms": round(median(warm) * 1000, 1),
    }
    print(
        table(
            "Watch mode: a saved handler answering (project stack)",
            ["what", "median", "max", "each"],
            [
                [
                    "save -> new code answers",
                    f"{result['median_s']} s",
                    f"{result['max_s']} s",
                    ", ".join(f"{s:.2f}" for s in live),
                ],
                ["reference: warm GET, nothing changed", f"{result['warm_get_ms']} ms", "", ""],
            ],
        )
    )
    write_json("watch", result)
    return result


if __name__ == "__main__":
    main()
