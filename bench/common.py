"""What every benchmark shares: paths, the machine's description, tables and JSON results."""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from handlers.store.spec import settings

ROOT = Path(__file__).resolve().parents[1]
HANDLERS = ROOT / "handlers"
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
_NUMERIC = re.compile(r"-?[\d.,]+x?")

# The environment of every child interpreter: quiet jsii, dummy credentials (nothing here may
# reach a real account), the handlers' configuration as the Functions construct sets it.
QUIET_JSII = {
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "CHECKPOINT_DISABLE": "1",
}
HANDLER_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_SESSION_TOKEN": "bench",
    settings.TRACE_DISABLED: "true",
    settings.LOG_LEVEL: "INFO",
    settings.SERVICE_NAME: "bench",
    settings.ENVIRONMENT: "bench",
    settings.PRODUCTS_TABLE: "bench-products",
    settings.USERS_TABLE: "bench-users",
    settings.ORDERS_TABLE: "bench-orders",
    settings.IDEMPOTENCY_TABLE: "bench-idempotency",
    settings.PAGINATION_KEY_ID: "set-at-run-time",
    settings.CORS_ALLOWED_ORIGINS: "*",
}
# Variables that could point a child at a real account or at another emulator.
_SCRUBBED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ROLE_ARN")


def extract(ref: str, paths: Sequence[str], into: Path) -> None:
    """Extract ``paths`` as they are at git commit ``ref`` into ``into``.

    Raises ``RuntimeError`` naming the commit when it is not here or lacks one of ``paths``.
    """
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref, *paths],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise RuntimeError(f"Git commit '{ref}' is not here or has no {', '.join(paths)}.")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment, scrubbed of AWS account settings, plus quiet jsii."""
    env = {key: value for key, value in os.environ.items() if key not in _SCRUBBED}
    env.update(QUIET_JSII)
    env.update(extra)
    return env


def machine() -> dict[str, Any]:
    """The machine the figures were taken on: cores, CPU model, memory, load, Python, Node."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    try:
        node = subprocess.run(
            ["node", "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
    except OSError:
        node = None
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": memory_gib,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "node": node,
        "system": f"{platform.system()} {platform.release()}",
    }


def describe_machine() -> str:
    """One line naming the machine."""
    m = machine()
    load = ", ".join(str(x) for x in m["load_average"])
    return (
        f"{m['cores']} cores, {m['cpu']}, {m['memory_gib']} GiB RAM, load {load}; "
        f"Python {m['python']}, Node {m['node']}"
    )


def write_json(name: str, data: dict[str, Any]) -> Path:
    """Write ``bench/results/<name>.json`` with the machine and the time; return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    record = {
        "benchmark": name,
        "taken_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **data,
    }
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    return path


def read_json(name: str) -> dict[str, Any] | None:
    """An earlier result of ``name`` from ``bench/results/``, or None."""
    try:
        return json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [
        max(len(str(headers[i])), *(len(row[i]) for row in cells)) if cells else len(headers[i])
        for i in range(len(headers))
    ]

    # Text columns read left-aligned; numbers and ratios ("1.05x") right-aligned.
    left = [
        i == 0
        or all(
            isinstance(row[i], str) and not _NUMERIC.fullmatch(row[i])
            for row in rows
            if row[i] is not None and row[i] != ""
        )
        for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        parts = [
            value.ljust(width) if is_left else value.rjust(width)
            for value, width, is_left in zip(values, widths, left, strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    body = [line([str(h) for h in headers]), rule, *(line(row) for row in cells)]
    return "\n".join([title, *body])


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if not isinstance(value, float):
        return str(value)
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 0.1 or size == 0:
        return f"{value:.2f}"
    return f"{value:.3g}"


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sequence."""
    return statistics.median(values)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` percentile (nearest rank) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def ratio(value: float | None, reference: float | None) -> str | None:
    """``value / reference`` as ``"2.3x"``; None when either is missing or the reference is 0."""
    if value is None or not reference:
        return None
    return f"{value / reference:.2f}x"


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``function`` once: (seconds, its result)."""
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result
