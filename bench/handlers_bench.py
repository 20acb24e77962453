"""Lambda cold start: each function's init and first request next to its libraries alone; the
deployment zip's size.

``python -m bench.handlers_bench [--runs N] [--requests N] [--compare-with REF]``

1. Each function in a fresh interpreter set up as Lambda (and the local cloud's worker) sets one
   up: the package staged as deployed (``handlers/`` without bytecode, so compiled from source as
   in Lambda, whose code directory is read-only), ``LAMBDA_TASK_ROOT``, tracing on (Powertools'
   Tracer active, X-Ray's recorder in its Lambda mode; the trace header is not sampled, so nothing
   is sent), and ``AWS_ENDPOINT_URL`` at a stub DynamoDB in this process that answers at once.
   The CPU time the child spends (``time.process_time``: on a shared machine the wall time of a
   300 ms import swings by half with other processes' load, its CPU time hardly moves;
   interpreter start-up excluded), median of ``--runs``:

   - *init*: importing the handler module (Lambda's init phase);
   - *first request*: one request that reaches DynamoDB (what init defers is paid here);
   - *warm request*: the median of ``--requests`` more, as every later request costs.

   Next to it, in the same run and interleaved so that load hits all alike, the reference: the
   libraries the functions import (boto3, Powertools' Logger, Tracer and REST resolver,
   fastjsonschema; for orders also the idempotency utility), then Powertools' default
   ``Tracer()`` (which patches every library X-Ray supports), then one DynamoDB client (the
   clients a function needs at its first request). ``--compare-with REF`` measures the
   ``handlers/`` of that git commit in the same run, interleaved too.
   A second table splits each function's cold start into what it is made of and says why each
   part is needed where it is paid.
2. The deployment zip: ``handlers/`` minus bytecode caches (as ``stacks/base/packaging.py`` stages
it),
   deflated; the asset of the last synth when ``bench/results/synth-out/archive.zip`` exists; next
   to the Powertools package it does not ship (the public layer provides it) and Lambda's limits.

Per-request figures against in-process moto, with every route's DynamoDB calls, are in
``bench/requests_bench.py``.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import http.server
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import (
    HANDLER_ENV,
    HANDLERS,
    PYTHON,
    RESULTS,
    child_env,
    describe_machine,
    extract,
    median,
    ratio,
    table,
    write_json,
)
from localcloud.base import arguments

LIBRARIES = (
    "import boto3; from aws_lambda_powertools import Logger, Tracer; "
    "from aws_lambda_powertools.event_handler import APIGatewayRestResolver; "
    "import fastjsonschema"
)
IDEMPOTENCY = "; from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer"
# Powertools' default: Tracer() patches every library X-Ray supports that is installed. The
# functions' own patches botocore alone (the anatomy table's step).
TRACER = "; Tracer()"
TRACER_BOTOCORE = "; Tracer(patch_modules=('botocore',))"
# One client: every function reads or writes DynamoDB at its first request (KMS only when a
# list has a next page).
CLIENT = "; boto3.client('dynamodb')"
_CACHES = {"__pycache__", ".pytest_cache"}
# Lambda's documented package limits.
ZIP_LIMIT = 50 * 1024 * 1024
UNZIPPED_LIMIT = 250 * 1024 * 1024
# What the child runs: the context Powertools reads, the event from the environment, then the
# timed statement and requests. The result is the last line starting with the marker.
_MARKER = "BENCH-RESULT "
_CHILD = """\
import json, os, sys, time

class Context:
    function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + function_name
    aws_request_id = "bench"

    @staticmethod
    def get_remaining_time_in_millis():
        return 30_000

request = json.loads(os.environ.get("BENCH_REQUEST") or "null")
clock = time.process_time
started = clock()
{statement}
result = {{"init_ms": (clock() - started) * 1000}}
if request is not None:
    handler = sys.modules[request["module"]].handler
    samples = []
    for _ in range(1 + request["warm"]):
        started = clock()
        response = handler(request["event"], Context())
        samples.append((clock() - started) * 1000)
        if response["statusCode"] != request["status"]:
            sys.exit(f"answered {{response['statusCode']}}, expected {{request['status']}}: "
                     f"{{response.get('body')}}")
    result["first_request_ms"] = samples[0]
    result["warm_samples_ms"] = samples[1:]
print({marker!r} + json.dumps(result))
"""


@dataclass(frozen=True)
class FirstRequest:
    """A function's benchmarked request: one that reaches DynamoDB, and the status it gets from
    a DynamoDB that holds nothing."""

    method: str
    path: str
    status: int
    note: str
    body: dict[str, Any] | None = None
    headers: tuple[tuple[str, str], ...] = ()
    caller: str = "admin"


_NO_SUCH = "00000000-0000-4000-8000-000000000000"
REQUESTS = {
    "products": FirstRequest("GET", f"/products/{_NO_SUCH}", 404, "GetItem"),
    "users": FirstRequest("GET", f"/users/{_NO_SUCH}", 404, "GetItem"),
    # The heaviest first request: it also builds the idempotency layer.
    "orders": FirstRequest(
        "POST",
        "/orders",
        422,
        "idempotency PutItem, BatchGetItem, idempotency DeleteItem",
        body={"items": [{"productId": _NO_SUCH, "quantity": 1}]},
        headers=(("Idempotency-Key", "bench-key"),),
        caller="customer",
    ),
}

# Why each part of a cold start is paid where it is (the anatomy table).
WHY = {
    "libraries": "used by every request; Logger and Tracer wrap the handler at import",
    "tracer": "X-Ray is Active everywhere: the first invocation needs it patched anyway",
    "code": "compiling all the package's sources alone takes {compile_ms:.0f} ms (the zip has no "
    "bytecode, Lambda cannot write any); then the resolver and its routes",
    "first": "{calls}; makes the DynamoDB client ({client:.0f} ms alone) for the environment",
    "warm": "routing, validation, (de)serialization, logging: see requests_bench",
}

# DynamoDB calls the stub has answered, by operation.
_CALLS: collections.Counter = collections.Counter()


class _StubDynamoDB(http.server.BaseHTTPRequestHandler):
    """Answers every DynamoDB call at once as an empty table would; counts them by operation."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the real endpoint: one connection per client
    # Headers and body leave in two writes: without this, the body waits for the client's
    # delayed ACK (40 ms a call), which makes the run slow (not its CPU figures).
    disable_nagle_algorithm = True

    def do_POST(self) -> None:  # pylint: disable=invalid-name
        """One call: ``{}`` (no item, written), or no responses for BatchGetItem."""
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        operation = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
        _CALLS[operation] += 1
        body = json.dumps({"Responses": {}} if operation == "BatchGetItem" else {}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
        """Quiet: the table is the output."""


@contextlib.contextmanager
def stub_dynamodb() -> Iterator[str]:
    """A stub DynamoDB endpoint on a free local port, served from a thread; yields its URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _StubDynamoDB)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def lambda_environment(task_root: Path, function: str, endpoint: str) -> dict[str, str]:
    """What Lambda (and the local cloud's worker) sets for a function, plus its variables; the
    functions' AWS calls go to ``endpoint``."""
    env = child_env(**HANDLER_ENV)
    # Tracing is Active in every environment: Powertools' Tracer traces when it runs in Lambda.
    env.pop("POWERTOOLS_TRACE_DISABLED", None)
    trace_root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    env.update(
        {
            "LAMBDA_TASK_ROOT": str(task_root),
            "PYTHONPATH": str(task_root),
            "PYTHONDONTWRITEBYTECODE": "1",
            "_HANDLER": f"{function}.handler",
            "AWS_LAMBDA_FUNCTION_NAME": f"store-bench-{function}",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            # Not sampled: X-Ray builds its segments and sends nothing, as in Lambda.
            "_X_AMZN_TRACE_ID": f"Root={trace_root};Parent={uuid.uuid4().hex[:16]};Sampled=0",
            "AWS_ENDPOINT_URL": endpoint,
        }
    )
    return env


def run_child(statement: str, env: dict[str, str], request: dict | None = None) -> dict[str, Any]:
    """CPU milliseconds of ``statement`` in a fresh interpreter (and of ``request``'s requests)."""
    env = {**env, "BENCH_REQUEST": json.dumps(request) if request else ""}
    script = _CHILD.format(statement=statement, marker=_MARKER)
    done = subprocess.run(
        [PYTHON, "-c", script],
        env=env,
        cwd=env["LAMBDA_TASK_ROOT"],
        capture_output=True,
        text=True,
        check=False,
    )
    results = [line for line in done.stdout.splitlines() if line.startswith(_MARKER)]
    if done.returncode != 0 or not results:
        tail = done.stderr.strip().splitlines()[-1:] or ["no error output"]
        raise RuntimeError(f"`{statement}` failed: {tail[0]}")
    return json.loads(results[-1][len(_MARKER) :])


def request_for(function: str, warm: int) -> dict[str, Any]:
    """The child's ``BENCH_REQUEST``: the function's first request as API Gateway sends it."""
    # The events module reads the route table: ``handlers/`` on the path, as in requests_bench.
    if str(HANDLERS) not in sys.path:
        sys.path.insert(0, str(HANDLERS))
    # pylint: disable-next=import-outside-toplevel
    from tests.events import admin, customer, rest_proxy_event  # noqa: PLC0415

    spec = REQUESTS[function]
    headers = {"Content-Type": "application/json", "Origin": "https://bench.example"}
    event = rest_proxy_event(
        spec.method,
        spec.path,
        headers=headers | dict(spec.headers),
        body=None if spec.body is None else json.dumps(spec.body),
        stage="bench",
        caller=admin() if spec.caller == "admin" else customer(),
    )
    return {"module": function, "event": event, "status": spec.status, "warm": warm}


def stage(source: Path, into: Path) -> Path:
    """Copy the files ``stacks/base/packaging.py`` would package from ``source`` into ``into``."""
    for path in package_files(source):
        target = into / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    return into


def checkout(ref: str, into: Path) -> Path:
    """``handlers/`` of git commit ``ref``, extracted under ``into``."""
    extract(ref, ["handlers"], into)
    return into / "handlers"


def cases_of(function: str, roots: dict[str, Path], warm: int) -> list[tuple[str, str, Path, Any]]:
    """(label, statement, code directory, request) of every case of one function: each tree's
    handler with its requests, then the reference's steps."""
    libraries = LIBRARIES + (IDEMPOTENCY if function == "orders" else "")
    reference_root = next(iter(roots.values()))
    return [
        (label, f"import {function}", root, request_for(function, warm))
        for label, root in roots.items()
    ] + [
        ("libraries", libraries, reference_root, None),
        ("+Tracer(botocore)", libraries + TRACER_BOTOCORE, reference_root, None),
        ("+Tracer()", libraries + TRACER, reference_root, None),
        ("+client", libraries + TRACER + CLIENT, reference_root, None),
    ]


def cold_starts(trees: dict[str, Path], runs: int, warm: int) -> dict[str, dict[str, Any]]:
    """Per function: each tree's init, first and warm request, and the references; medians of
    ``runs``, every case once per round so that load hits all alike."""
    samples: dict[tuple[str, str], list[dict[str, Any]]] = collections.defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="bench-handlers-") as scratch, stub_dynamodb() as url:
        roots = {label: stage(source, Path(scratch) / label) for label, source in trees.items()}
        for _ in range(runs):
            for function in REQUESTS:
                for label, statement, root, request in cases_of(function, roots, warm):
                    before = sum(_CALLS.values())
                    sample = run_child(statement, lambda_environment(root, function, url), request)
                    sample["calls"] = sum(_CALLS.values()) - before
                    samples[(function, label)].append(sample)
    results: dict[str, dict[str, Any]] = {}
    for (function, label), of_case in samples.items():
        results.setdefault(function, {})[label] = summary(of_case, warm)
    for function, cases in results.items():
        cases["parts"] = parts(samples, function, next(iter(trees)))
    return results


def parts(samples: dict[tuple[str, str], list[dict[str, Any]]], function: str, label: str) -> dict:
    """One tree's init split into steps, each the median of its differences within a round (the
    cases of a round run back to back, so load cancels better than in a difference of medians)."""

    def step(upper: str, lower: str) -> float:
        pairs = zip(samples[(function, upper)], samples[(function, lower)], strict=True)
        return median([high["init_ms"] - low["init_ms"] for high, low in pairs])

    return {
        "libraries_ms": median([s["init_ms"] for s in samples[(function, "libraries")]]),
        "tracer_ms": step("+Tracer(botocore)", "libraries"),
        "code_ms": step(label, "+Tracer(botocore)"),
        "client_ms": step("+client", "+Tracer()"),
    }


def summary(samples: list[dict[str, Any]], warm: int) -> dict[str, Any]:
    """Medians of one case's fresh interpreters (and its DynamoDB calls per request)."""
    figures: dict[str, Any] = {"init_ms": median([s["init_ms"] for s in samples])}
    if "first_request_ms" in samples[0]:
        figures["first_request_ms"] = median([s["first_request_ms"] for s in samples])
        figures["warm_request_ms"] = median([median(s["warm_samples_ms"]) for s in samples])
        requests = len(samples) * (1 + warm)
        figures["dynamodb_calls_per_request"] = sum(s["calls"] for s in samples) / requests
    return figures


def cold_start_rows(results: dict[str, dict[str, Any]], labels: list[str]) -> list[list[Any]]:
    """One row per function and tree: init, first request, both, a warm request, its calls."""
    rows = []
    for function, cases in results.items():
        for label in labels:
            mine = cases[label]
            rows.append(
                [
                    f"{function} ({label})",
                    mine["init_ms"],
                    mine["first_request_ms"],
                    mine["init_ms"] + mine["first_request_ms"],
                    mine["warm_request_ms"],
                    mine["dynamodb_calls_per_request"],
                ]
            )
    return rows


def reference_rows(results: dict[str, dict[str, Any]], labels: list[str]) -> list[list[Any]]:
    """One row per function: the reference's steps, and each tree's init against it."""
    rows = []
    for function, cases in results.items():
        reference, libraries = cases["+client"]["init_ms"], cases["libraries"]["init_ms"]
        rows.append(
            [
                function,
                libraries,
                cases["+Tracer()"]["init_ms"],
                reference,
                *(ratio(cases[label]["init_ms"], reference) for label in labels),
                *(
                    ratio(cases[label]["init_ms"], cases["libraries"]["init_ms"])
                    for label in labels
                ),
            ]
        )
    return rows


def anatomy_rows(
    results: dict[str, dict[str, Any]], label: str, compile_ms: float
) -> list[list[Any]]:
    """What one tree's cold start is made of, per function, where each part is paid and why."""
    rows = []
    code = WHY["code"].format(compile_ms=compile_ms)
    for function, cases in results.items():
        mine, step = cases[label], cases["parts"]
        first = WHY["first"].format(calls=REQUESTS[function].note, client=step["client_ms"])
        rows += [
            [function, "libraries", step["libraries_ms"], "init", WHY["libraries"]],
            [function, "Tracer(), botocore patched", step["tracer_ms"], "init", WHY["tracer"]],
            [function, "handler code", step["code_ms"], "init", code],
            [function, "first request", mine["first_request_ms"], "1st request", first],
            [function, "each later request", mine["warm_request_ms"], "each", WHY["warm"]],
        ]
    return rows


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Print the tables and write ``bench/results/handlers.json``."""
    parser = argparse.ArgumentParser(prog="python -m bench.handlers_bench", description=__doc__)
    parser.add_argument(
        "--runs", type=arguments.count, default=5, help="fresh interpreters per figure"
    )
    parser.add_argument(
        "--requests", type=arguments.count, default=20, help="warm requests per interpreter"
    )
    parser.add_argument(
        "--compare-with",
        type=arguments.commit,
        metavar="REF",
        help="also measure this commit's handlers",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-handlers-ref-") as scratch:
        trees = {"working tree": HANDLERS}
        if args.compare_with:
            trees[args.compare_with] = checkout(args.compare_with, Path(scratch))
        results = cold_starts(trees, args.runs, args.requests)
    labels = list(trees)
    compile_ms = compile_time(HANDLERS, args.runs)
    machine = describe_machine()
    print(
        table(
            f"Lambda cold start, CPU ms, median of {args.runs} fresh interpreters set up as Lambda "
            f"({machine})",
            ["function (handlers)", "init", "1st request", "init+1st", "warm request", "calls"],
            cold_start_rows(results, labels),
        )
    )
    print()
    print(
        table(
            "Init next to its libraries (same run): reference = boto3+Powertools, Tracer(), "
            "a DynamoDB client",
            [
                "function",
                "libraries",
                "+Tracer()",
                "+client",
                *(f"{label} vs +client" for label in labels),
                *(f"{label} vs libraries" for label in labels),
            ],
            reference_rows(results, labels),
        )
    )
    print()
    print(
        table(
            f"What the cold start is made of ({labels[0]}), CPU ms",
            ["function", "part", "ms", "paid", "why there"],
            anatomy_rows(results, labels[0], compile_ms),
        )
    )
    sizes = package_sizes()
    print()
    print(
        table(
            "Deployment zip (KiB)",
            ["package", "files", "unzipped", "zipped", "vs handlers zip"],
            size_rows(sizes),
        )
    )
    data = {
        "runs": args.runs,
        "warm_requests": args.requests,
        "trees": {label: str(path) for label, path in trees.items()},
        "compile_all_sources_ms": compile_ms,
        "cold_start": results,
        "package": sizes,
    }
    write_json("handlers", data)
    return data


def compile_time(source: Path, runs: int) -> float:
    """CPU milliseconds compiling every Python source of the package once, median of ``runs``."""
    sources = [(path.read_text(encoding="utf-8"), str(path)) for path in source.rglob("*.py")]
    samples = []
    for _ in range(runs):
        started = time.process_time()
        for text, name in sources:
            compile(text, name, "exec", dont_inherit=True)
        samples.append((time.process_time() - started) * 1000)
    return median(samples)


def package_files(source: Path) -> list[Path]:
    """The files ``stacks/base/packaging.py`` would stage: all of ``source`` minus interpreter
    caches."""
    return sorted(
        path
        for path in source.rglob("*")
        if path.is_file()
        and not _CACHES.intersection(path.relative_to(source).parts)
        and path.suffix != ".pyc"
    )


def zip_size(source: Path) -> dict[str, int]:
    """Files, bytes and deflated zip bytes of ``source`` packaged as the functions' asset."""
    files = package_files(source)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(source).as_posix())
    return {
        "files": len(files),
        "unzipped_bytes": sum(path.stat().st_size for path in files),
        "zipped_bytes": len(buffer.getvalue()),
    }


def _installed(package: str) -> Path:
    module = __import__(package)
    return Path(module.__file__).parent


def package_sizes() -> dict[str, dict[str, int]]:
    """The handlers' zip, the Powertools layer's package and the last synth's asset, if any."""
    sizes = {
        "handlers/ (as packaged)": zip_size(HANDLERS),
        "aws_lambda_powertools (layer)": zip_size(_installed("aws_lambda_powertools")),
    }
    synthesized = RESULTS / "synth-out" / "archive.zip"
    if synthesized.exists():
        with zipfile.ZipFile(synthesized) as archive:
            infos = archive.infolist()
        sizes["synthesized asset archive.zip"] = {
            "files": len(infos),
            "unzipped_bytes": sum(info.file_size for info in infos),
            "zipped_bytes": os.path.getsize(synthesized),
        }
    return sizes


def size_rows(sizes: dict[str, dict[str, int]]) -> list[list[Any]]:
    """The zip table: each package next to the handlers' zip, then Lambda's limit."""
    package = sizes["handlers/ (as packaged)"]
    rows: list[list[Any]] = [
        [
            name,
            s["files"],
            s["unzipped_bytes"] / 1024,
            s["zipped_bytes"] / 1024,
            ratio(s["zipped_bytes"], package["zipped_bytes"]),
        ]
        for name, s in sizes.items()
    ]
    rows.append(
        [
            "Lambda limit (direct upload)",
            None,
            UNZIPPED_LIMIT / 1024,
            ZIP_LIMIT / 1024,
            ratio(ZIP_LIMIT, package["zipped_bytes"]),
        ]
    )
    return rows


if __name__ == "__main__":
    main()
