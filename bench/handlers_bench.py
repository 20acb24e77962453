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
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import command
from bench.common import (
    HANDLERS,
    describe_machine,
    extract,
    median,
    ratio,
)
from bench.lambda_child import STUB_CALLS, lambda_environment, run_child, stub_dynamodb
from bench.package_size import package_files, package_sizes, size_rows
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
                    before = sum(STUB_CALLS.values())
                    sample = run_child(statement, lambda_environment(root, function, url), request)
                    sample["calls"] = sum(STUB_CALLS.values()) - before
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


# The command line: python -m bench.handlers_bench.
FLAGS = (
    command.flag("--runs", type=arguments.count, default=5, help="fresh interpreters per figure"),
    command.flag(
        "--requests", type=arguments.count, default=20, help="warm requests per interpreter"
    ),
    command.flag(
        "--compare-with",
        type=arguments.commit,
        metavar="REF",
        help="also measure this commit's handlers",
    ),
)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Print the tables and write ``bench/results/handlers.json``."""
    return command.run(argv, "bench.handlers_bench", __doc__, FLAGS, _measure)


def _measure(args: argparse.Namespace) -> command.Report:
    with tempfile.TemporaryDirectory(prefix="bench-handlers-ref-") as scratch:
        trees = {"working tree": HANDLERS}
        if args.compare_with:
            trees[args.compare_with] = checkout(args.compare_with, Path(scratch))
        results = cold_starts(trees, args.runs, args.requests)
    labels = list(trees)
    compile_ms = compile_time(HANDLERS, args.runs)
    sizes = package_sizes()
    out = command.Report("handlers")
    out.table(
        f"Lambda cold start, CPU ms, median of {args.runs} fresh interpreters set up as Lambda "
        f"({describe_machine()})",
        ["function (handlers)", "init", "1st request", "init+1st", "warm request", "calls"],
        cold_start_rows(results, labels),
    )
    out.line()
    out.table(
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
    out.line()
    out.table(
        f"What the cold start is made of ({labels[0]}), CPU ms",
        ["function", "part", "ms", "paid", "why there"],
        anatomy_rows(results, labels[0], compile_ms),
    )
    out.line()
    out.table(
        "Deployment zip (KiB)",
        ["package", "files", "unzipped", "zipped", "vs handlers zip"],
        size_rows(sizes),
    )
    out.data = {
        "runs": args.runs,
        "warm_requests": args.requests,
        "trees": {label: str(path) for label, path in trees.items()},
        "compile_all_sources_ms": compile_ms,
        "cold_start": results,
        "package": sizes,
    }
    return out


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


if __name__ == "__main__":
    main()
