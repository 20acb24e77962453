"""Fuzz a running store API with schemathesis against ``openapi.json``; exit non-zero on a failure.

    API_BASE_URL=http://127.0.0.1:3000/local python -m tests.fuzz [more `st run` options]

Two runs, one per role that can reach every operation's code: an admin (every phase: examples,
coverage, fuzzing, stateful, with the checks configured in ``tests/fuzz/schemathesis.toml``), then
a shorter customer run (``CUSTOMER_ARGS``: fewer examples, no stateful phase), where the admin's
operations must answer 403 and another user's data 404, as the document says. Both sign in as
people the gate creates in the stack's user pool with Cognito's admin API (as the integration
suite does; deleted at the end), so the stack's outputs must be readable (``OUTPUTS_FILE``,
default ``cfn-outputs/all-outputs.json``) and boto3 must reach the pool (``AWS_ENDPOINT_URL`` on
the local cloud). Then the HAR reports tell how many requests were sent to which operations,
with which statuses. It fails when schemathesis finds anything, when fewer than
``FUZZ_MIN_REQUESTS`` (default 1000) requests were sent in all, or when an operation of the route
table was never called in the admin run.

Stateful testing follows the document's links (create, then get, update, delete). An order needs
an existing user and product at once, which no single link can give: the gate gives the customer
a profile first and adds, to a copy of the document used for this run only, a link from
``createProduct`` to ``createOrder`` for that user and the new product, so that orders are
placed (by the admin, for the customer), read and moved along their lifecycle too.

Environment: API_BASE_URL (required), FUZZ_SEED (default fixed: a reproducible gate),
FUZZ_MIN_REQUESTS, FUZZ_REPORT_DIR (default: a temporary directory, kept and printed),
OUTPUTS_FILE, STACK, FUZZ_ORIGIN (the Origin every request carries; default
http://localhost:3000).
"""

import collections
import copy
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import boto3

from handlers.store.spec import routes
from tests.integration.outputs import load as load_outputs
from tests.integration.people import Person, UserPool

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "openapi.json"
CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"
DEFAULT_SEED = "20261125"
DEFAULT_MIN_REQUESTS = 1000
DEFAULT_OUTPUTS = "cfn-outputs/all-outputs.json"
# The customer's run: what a customer may call is a subset of the admin's, already fuzzed in
# depth; this run checks the refusals (401 probes, 403, 404) at a fraction of the cost.
CUSTOMER_ARGS = ("--max-examples", "8", "--phases", "examples,coverage,fuzzing")
# Requests come from a browser page on an allowed origin (the default is one that dev and the
# local cloud allow), so that every response must carry Access-Control-Allow-Origin: a request
# from no or a foreign origin gets none, by design. FUZZ_ORIGIN names another.
DEFAULT_ORIGIN = "http://localhost:3000"


def sign_in_people() -> tuple[UserPool, Person, Person]:
    """The stack's user pool, and an admin and a customer signed in to it."""
    outputs = load_outputs(
        Path(os.environ.get("OUTPUTS_FILE", DEFAULT_OUTPUTS)), os.environ.get("STACK")
    )
    cognito = boto3.client("cognito-idp", region_name=outputs["Region"])
    pool = UserPool(cognito, outputs["UserPoolId"], outputs["UserPoolClientId"], prefix="fuzz")
    return pool, pool.person(admin=True), pool.person()


def seed_user(base_url: str, customer: Person) -> str:
    """Give ``customer`` the profile that orders placed during the run belong to; its id."""
    body = json.dumps({"email": f"fuzz-{uuid.uuid4().hex}@example.com", "name": "Fuzz"}).encode()
    request = urllib.request.Request(
        f"{base_url}/users",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", **customer.headers},
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
    route = routes.find(method, path)
    return None if route is None else route.operation_id


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


def run(name: str, person: Person, document: Path, report_dir: Path, argv: list[str]) -> int:
    """One schemathesis run signed in as ``person``; its HAR lands in ``report_dir/name``."""
    out = report_dir / name
    out.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        str(document),
        "--url",
        os.environ["API_BASE_URL"].rstrip("/"),
        "--seed",
        os.environ.get("FUZZ_SEED", DEFAULT_SEED),
        "--header",
        f"Authorization: {person.id_token}",
        "--header",
        f"Origin: {os.environ.get('FUZZ_ORIGIN', DEFAULT_ORIGIN)}",
        "--report",
        "har,junit",
        "--report-dir",
        str(out),
        "--report-har-path",
        str(out / "requests.har"),
        *argv,
    ]
    # The token is a credential of a throwaway user; still, keep it out of CI logs.
    print("$", " ".join(command).replace(person.id_token, "<ID token>"), flush=True)
    return subprocess.run(command, check=False).returncode


def report(name: str, har_path: Path, base_path: str) -> tuple[int, dict[str, collections.Counter]]:
    """Print one run's requests per operation (status: count); return its summary."""
    requests, statuses = summarize(har_path, base_path)
    print(f"\n{name}: schemathesis sent {requests} requests; per operation (status: count):")
    for route in routes.ROUTES:
        seen = statuses.get(route.operation_id, {})
        counts = ", ".join(f"{status}: {count}" for status, count in sorted(seen.items()))
        print(f"  {route.operation_id:<18} {sum(seen.values()):>5}  {counts}")
    other = statuses.get("(no operation)")
    if other:
        print(f"  {'(no operation)':<18} {sum(other.values()):>5}  {dict(sorted(other.items()))}")
    return requests, statuses


def main(argv: list[str]) -> int:
    """Run the gate; the exit status is the verdict."""
    base_url = os.environ.get("API_BASE_URL", "").rstrip("/")
    if not base_url:
        print("Set API_BASE_URL to the API's base URL (the stage URL).", file=sys.stderr)
        return 2
    min_requests = int(os.environ.get("FUZZ_MIN_REQUESTS", DEFAULT_MIN_REQUESTS))
    report_dir = Path(os.environ.get("FUZZ_REPORT_DIR") or tempfile.mkdtemp(prefix="fuzz-"))
    report_dir.mkdir(parents=True, exist_ok=True)
    pool, admin, customer = sign_in_people()
    try:
        document_path = report_dir / "openapi.run.json"
        document_path.write_text(
            json.dumps(run_document(seed_user(base_url, customer))), encoding="utf-8"
        )
        verdicts = {
            "admin": run("admin", admin, document_path, report_dir, argv),
            "customer": run(
                "customer", customer, document_path, report_dir, [*CUSTOMER_ARGS, *argv]
            ),
        }
    finally:
        pool.delete_all()

    base_path = urllib.parse.urlsplit(base_url).path
    totals = {
        name: report(name, report_dir / name / "requests.har", base_path) for name in verdicts
    }
    requests = sum(count for count, _ in totals.values())
    admin_statuses = totals["admin"][1]
    covered = [r.operation_id for r in routes.ROUTES if admin_statuses.get(r.operation_id)]
    print(
        f"requests in all: {requests}; operations covered by the admin run: "
        f"{len(covered)}/{len(routes.ROUTES)}; reports in {report_dir}"
    )

    problems = [
        f"the {name} run: schemathesis exited with {v}" for name, v in verdicts.items() if v
    ]
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
