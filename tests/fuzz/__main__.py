"""Fuzz a running store API with schemathesis against ``openapi.json``; exit non-zero on a failure.

    API_BASE_URL=http://127.0.0.1:3000/local python -m tests.fuzz [more `st run` options]

Runs every phase (examples, coverage, fuzzing, stateful) with the checks configured in
``tests/fuzz/schemathesis.toml``, then reads the HAR report to print how many requests were sent
to which operations, with which statuses. It fails when schemathesis finds anything, when fewer
than ``FUZZ_MIN_REQUESTS`` (default 1000) requests were sent, or when an operation of the route
table was never called.

Stateful testing follows the document's links (create, then get, update, delete). An order needs
an existing user and product at once, which no single link can give: the run creates one user
first and adds, to a copy of the document used for this run only, a link from ``createProduct``
to ``createOrder`` for that user and the new product, so that orders are placed, read and moved
along their lifecycle too.

Environment: API_BASE_URL (required), FUZZ_SEED (default fixed: a reproducible gate),
FUZZ_MIN_REQUESTS, FUZZ_REPORT_DIR (default: a temporary directory, kept and printed), FUZZ_ORIGIN
(the Origin every request carries; default http://localhost:3000).
"""

import collections
import copy
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from handlers.store import routes

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "openapi.json"
CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"
DEFAULT_SEED = "20261125"
DEFAULT_MIN_REQUESTS = 1000
# Requests come from a browser page on an allowed origin (the default is one that dev and the
# local cloud allow), so that every response must carry Access-Control-Allow-Origin: a request
# from no or a foreign origin gets none, by design. FUZZ_ORIGIN names another.
DEFAULT_ORIGIN = "http://localhost:3000"


def seed_user(base_url: str) -> str:
    """Create the user that orders placed during the run belong to; return its id."""
    body = json.dumps({"email": f"fuzz-{uuid.uuid4().hex}@example.com", "name": "Fuzz"}).encode()
    request = urllib.request.Request(
        f"{base_url}/users",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["userId"]


def run_document(user_id: str) -> dict:
    """``openapi.json`` plus the run's link from a new product to an order for ``user_id``."""
    document = copy.deepcopy(json.loads(DOCUMENT.read_text(encoding="utf-8")))
    created = document["paths"]["/products"]["post"]["responses"]["201"]
    created.setdefault("links", {})["PlaceOrder"] = {
        "operationId": "createOrder",
        "requestBody": {
            "userId": user_id,
            "items": [{"productId": "$response.body#/productId", "quantity": 1}],
        },
        # Replace the generated body: merged, its other (unknown) products would make it a 422.
        "x-schemathesis": {"merge_body": False},
    }
    return document


def operation_of(method: str, path: str) -> str | None:
    """The operationId of the route that serves ``method path`` (a path below the base URL)."""
    for route in routes.ROUTES:
        pattern = re.sub(r"\{\w+\}", "[^/]+", route.path)
        if route.method == method and re.fullmatch(pattern, path):
            return route.operation_id
    return None


def summarize(har_path: Path, base_path: str) -> tuple[int, dict[str, collections.Counter]]:
    """The number of requests in the HAR file, and the statuses seen per operation."""
    entries = json.loads(har_path.read_text(encoding="utf-8"))["log"]["entries"]
    statuses: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for entry in entries:
        path = urllib.parse.urlsplit(entry["request"]["url"]).path
        path = path[len(base_path) :] if path.startswith(base_path) else path
        operation = operation_of(entry["request"]["method"], path) or "(no operation)"
        statuses[operation][entry["response"]["status"]] += 1
    return len(entries), statuses


def main(argv: list[str]) -> int:
    """Run the gate; the exit status is the verdict."""
    base_url = os.environ.get("API_BASE_URL", "").rstrip("/")
    if not base_url:
        print("Set API_BASE_URL to the API's base URL (the stage URL).", file=sys.stderr)
        return 2
    seed = os.environ.get("FUZZ_SEED", DEFAULT_SEED)
    min_requests = int(os.environ.get("FUZZ_MIN_REQUESTS", DEFAULT_MIN_REQUESTS))
    report_dir = Path(os.environ.get("FUZZ_REPORT_DIR") or tempfile.mkdtemp(prefix="fuzz-"))
    report_dir.mkdir(parents=True, exist_ok=True)
    document_path = report_dir / "openapi.run.json"
    document_path.write_text(json.dumps(run_document(seed_user(base_url))), encoding="utf-8")
    har_path = report_dir / "requests.har"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        str(document_path),
        "--url",
        base_url,
        "--seed",
        seed,
        "--header",
        f"Origin: {os.environ.get('FUZZ_ORIGIN', DEFAULT_ORIGIN)}",
        "--report",
        "har,junit",
        "--report-dir",
        str(report_dir),
        "--report-har-path",
        str(har_path),
        *argv,
    ]
    print("$", " ".join(command), flush=True)
    verdict = subprocess.run(command, check=False).returncode

    requests, statuses = summarize(har_path, urllib.parse.urlsplit(base_url).path)
    print(f"\nschemathesis sent {requests} requests; per operation (status: count):")
    for route in routes.ROUTES:
        seen = statuses.get(route.operation_id, {})
        counts = ", ".join(f"{status}: {count}" for status, count in sorted(seen.items()))
        print(f"  {route.operation_id:<18} {sum(seen.values()):>5}  {counts}")
    other = statuses.get("(no operation)")
    if other:
        print(f"  {'(no operation)':<18} {sum(other.values()):>5}  {dict(sorted(other.items()))}")
    covered = [route.operation_id for route in routes.ROUTES if statuses.get(route.operation_id)]
    print(f"operations covered: {len(covered)}/{len(routes.ROUTES)}; reports in {report_dir}")

    problems = []
    if verdict != 0:
        problems.append(f"schemathesis exited with {verdict}")
    if requests < min_requests:
        problems.append(f"only {requests} requests (at least {min_requests} required)")
    missing = [route.operation_id for route in routes.ROUTES if route.operation_id not in covered]
    if missing:
        problems.append(f"operations never called: {', '.join(missing)}")
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    if not problems:
        print("PASS: no failures")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
