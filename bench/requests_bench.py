"""Per request: every route's handler time against in-process moto, next to the DynamoDB calls it
makes; and how many DynamoDB (and KMS) calls each route makes, next to the minimum its access
pattern needs.

``python -m bench.requests_bench [--requests N]``

And what the local cloud's IAM check costs per request: every route runs a second time with moto's
access control on (as the emulator runs it: ``INITIAL_NO_AUTH_ACTION_COUNT`` 0, every call judged
by ``localcloud.emulator.iam_enforcement`` as ``localcloud.emulator.moto_iam`` installs it), the
functions signing as a role that holds each function's access policy as the stack writes it
(``stacks.store.functions.Functions.policy``), assumed as the Lambda service. The functions
share one client per process here, hence one role for all.

The functions run in this process as the Lambda runtime runs them (``handlers/`` on the path, an
API Gateway REST proxy event, a Lambda context), against moto's in-process DynamoDB and KMS with
the tables built from ``store.spec.table_schemas``. The calls are observed with botocore's event
hooks on the
functions' own clients (``store.data.dynamo.client()``, which the idempotency layer shares, and the
pagination KMS client): ``before-call`` counts each operation; ``provide-client-params`` to
``after-call`` times it. So each request's time splits into its DynamoDB calls (the same calls,
made by the same client, in the same state) and the handler's own work (routing, validation,
(de)serialization, Powertools). As an independent check, a bare ``get_item`` made outside any
handler is timed next to ``GET /products/{id}``.

The handler helpers of ``tests/handlers/conftest.py`` import pytest, which the benchmarks must not
need, so the tables, events and Lambda context come from the pytest-free ``tests/moto_tables.py``
and ``tests/events.py`` they are built on.
"""

from __future__ import annotations

import argparse
import collections
import functools
import importlib
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from bench import command, request_routes
from bench.common import HANDLER_ENV, HANDLERS, describe_machine, median, ratio, table
from handlers.store.spec import settings
from localcloud.base import arguments

WARMUP = 3


@dataclass
class Route:
    """One benchmarked request: how to build it (per request, untimed) and what it should need."""

    name: str
    make: Callable[[], dict[str, Any]]
    status: int
    minimum: dict[str, int]
    note: str = ""
    counts: collections.Counter = field(default_factory=collections.Counter)


class Observer:
    """Counts and times the calls the functions' boto3 clients make, via botocore event hooks."""

    def __init__(self) -> None:
        self.counts: collections.Counter = collections.Counter()
        self.seconds = 0.0
        self._started: float | None = None

    def attach(self, client: Any) -> None:
        """Register the hooks on one client (its service's events only)."""
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(f"provide-client-params.{service}", self._start)
        client.meta.events.register(f"before-call.{service}", self._count)
        client.meta.events.register(f"after-call.{service}", self._stop)

    def reset(self) -> None:
        """Forget what was seen."""
        self.counts = collections.Counter()
        self.seconds = 0.0

    def _start(self, **_kwargs: Any) -> None:
        self._started = time.perf_counter()

    def _count(self, model: Any, **_kwargs: Any) -> None:
        prefix = "kms:" if model.service_model.service_name == "kms" else ""
        self.counts[prefix + model.name] += 1

    def _stop(self, **_kwargs: Any) -> None:
        if self._started is not None:
            self.seconds += time.perf_counter() - self._started
            self._started = None


def _calls(counts: collections.Counter, kms: bool) -> str:
    items = sorted((k, v) for k, v in counts.items() if k.startswith("kms:") == kms)
    return " + ".join(f"{v} {k.removeprefix('kms:')}" for k, v in items) or "-"


def _timed(route: Route, call: Callable, before: Callable[[], None] = lambda: None) -> float:
    """Seconds one request of ``route`` takes (``before`` runs just ahead of it, untimed);
    RuntimeError when it answers another status than the route's."""
    event = route.make()
    before()
    start = time.perf_counter()
    status, body = call(event)
    elapsed = time.perf_counter() - start
    if status != route.status:
        raise RuntimeError(
            f"{route.name} answered {status}, expected {route.status}: {json.dumps(body)[:300]}"
        )
    return elapsed


def measure(route: Route, call: Callable, observer: Observer, requests: int) -> dict[str, Any]:
    """Time ``requests`` invocations of ``route`` (after a warm-up); medians and calls made."""
    handler_ms, ddb_ms, own_ms = [], [], []
    seen: set[tuple] = set()
    for index in range(WARMUP + requests):
        elapsed = _timed(route, call, observer.reset)
        if index >= WARMUP:
            handler_ms.append(elapsed * 1000)
            ddb_ms.append(observer.seconds * 1000)
            own_ms.append((elapsed - observer.seconds) * 1000)
            seen.add(tuple(sorted(observer.counts.items())))
    if len(seen) != 1:
        raise RuntimeError(f"{route.name} made different calls on different requests.")
    counts = collections.Counter(dict(seen.pop()))
    return {
        "handler_ms": median(handler_ms),
        "aws_calls_ms": median(ddb_ms),
        "handler_own_ms": median(own_ms),
        "calls": dict(counts),
        "dynamodb_calls": sum(v for k, v in counts.items() if not k.startswith("kms:")),
        "minimum": route.minimum,
        "minimum_dynamodb_calls": sum(route.minimum.values()),
        "note": route.note,
    }


def report(out: command.Report, results: dict[str, Any], bare_get_ms: float, requests: int) -> None:
    """The three tables."""
    rows = [
        [
            name,
            r["handler_ms"],
            r["aws_calls_ms"],
            r["handler_own_ms"],
            ratio(r["handler_ms"], r["aws_calls_ms"]),
            _calls(collections.Counter(r["calls"]), kms=False),
            r["dynamodb_calls"],
            r["minimum_dynamodb_calls"],
            _calls(collections.Counter(r["calls"]), kms=True),
        ]
        for name, r in results.items()
    ]
    out.line(
        table(
            f"Per request against in-process moto, median of {requests} (ms; {describe_machine()})",
            [
                "route",
                "handler",
                "its AWS calls",
                "handler own",
                "vs calls",
                "DynamoDB calls",
                "n",
                "min",
                "KMS calls",
            ],
            rows,
        )
    )
    get_route = results["GET /products/{id}"]
    out.line()
    out.line(
        table(
            "Cross-check: GET /products/{id} next to a bare get_item outside any handler (ms)",
            ["what", "median", "vs bare"],
            [
                ["bare get_item (unobserved client)", bare_get_ms, "1.00x"],
                [
                    "its GetItem inside the handler",
                    get_route["aws_calls_ms"],
                    ratio(get_route["aws_calls_ms"], bare_get_ms),
                ],
                [
                    "whole handler",
                    get_route["handler_ms"],
                    ratio(get_route["handler_ms"], bare_get_ms),
                ],
            ],
        )
    )
    extra = [
        (name, r)
        for name, r in results.items()
        if r["dynamodb_calls"] > r["minimum_dynamodb_calls"]
    ]
    out.line()
    out.line(
        table(
            "Routes making more DynamoDB calls than their access pattern needs",
            ["route", "n", "min", "the minimum"],
            [
                [name, r["dynamodb_calls"], r["minimum_dynamodb_calls"], r["note"]]
                for name, r in extra
            ]
            or [["(none)", None, None, ""]],
        )
    )


# The command line: python -m bench.requests_bench.
FLAGS = (
    command.flag("--requests", type=arguments.count, default=40, help="timed requests per route"),
)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Set up moto and the functions, run every route, print the tables, write the JSON."""
    return command.run(argv, "bench.requests_bench", __doc__, FLAGS, _measure)


def _measure(args: argparse.Namespace) -> command.Report:
    results, bare_get_ms, iam = _measure_routes(args.requests)
    out = command.Report("requests")
    report(out, results, bare_get_ms, args.requests)
    report_iam(out, iam, args.requests)
    out.data = {
        "requests": args.requests,
        "routes": results,
        "bare_get_item_ms": bare_get_ms,
        "note": "handler = whole invocation; its AWS calls = time inside the functions' botocore "
        "calls (moto in-process); handler own = the difference, per request, median.",
        "iam": iam,
    }
    return out


def _measure_routes(  # pylint: disable=too-many-locals
    requests: int,
) -> tuple[dict[str, Any], float, dict[str, Any]]:
    """Every route's figures, the bare GetItem's median (ms), and the IAM figures."""

    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(HANDLER_ENV)
    sys.path.insert(0, str(HANDLERS))
    # moto first, so that it intercepts every client the functions create.
    # pylint: disable=import-outside-toplevel
    from moto import mock_aws  # noqa: PLC0415

    from bench import aws  # noqa: PLC0415
    from tests.events import LambdaContext  # noqa: PLC0415

    with mock_aws():
        import boto3  # noqa: PLC0415

        aws.create_tables(boto3.client("dynamodb"))
        os.environ[settings.PAGINATION_KEY_ID] = boto3.client("kms").create_key()["KeyMetadata"][
            "KeyId"
        ]
        os.environ.update(_functions_role())
        # The functions' clients read the role's session from the variables, as in Lambda.
        boto3.setup_default_session()
        functions = {name: importlib.import_module(name) for name in aws.FUNCTIONS}
        from store.data import dynamo, pagination, products_table  # noqa: PLC0415  # pylint: disable=import-error

        observer = Observer()
        # The idempotency layer makes its calls through this client too.
        observer.attach(dynamo.client())
        observer.attach(pagination._kms())  # pylint: disable=protected-access
        bare_client = boto3.client("dynamodb")  # not observed: the independent reference

        def call(event: dict[str, Any]) -> tuple[int, Any]:
            raw = functions[aws.function_of(event)].handler(event, LambdaContext())
            body = json.loads(raw["body"]) if raw.get("body") else None
            return raw["statusCode"], body

        def must(event: dict[str, Any], status: int) -> Any:
            got, body = call(event)
            if got != status:
                raise RuntimeError(
                    f"{event['httpMethod']} {event['path']} answered {got}, expected {status}: "
                    f"{json.dumps(body)[:300]}"
                )
            return body

        seed = aws.Seed(must)
        routes = _routes(seed)
        results = {route.name: measure(route, call, observer, requests) for route in routes}

        # The independent reference: the bare GetItem of GET /products/{id}, no handler.
        bare_get_ms = _bare_get_ms(
            bare_client, products_table.TABLE, {"productId": {"S": seed.product_id}}, requests
        )

        iam = {route.name: measure_iam(route, call, requests) for route in routes}

    return results, bare_get_ms, iam


def _bare_get_ms(client: Any, table_name: str, key: dict[str, Any], requests: int) -> float:
    """The median of ``requests`` GetItem calls (ms), after the warm-up ones."""
    bare = []
    for index in range(WARMUP + requests):
        start = time.perf_counter()
        client.get_item(TableName=table_name, Key=key)
        if index >= WARMUP:
            bare.append((time.perf_counter() - start) * 1000)
    return median(bare)


def _functions_role() -> dict[str, str]:
    """A session of a role holding every function's access policy, assumed as the Lambda
    service on in-process moto (as the local gateway does on the emulator): its variables."""
    # pylint: disable=import-outside-toplevel
    from handlers.store.spec import manifest  # noqa: PLC0415
    from localcloud.base import aws as localcloud_aws  # noqa: PLC0415
    from localcloud.emulator import moto_iam  # noqa: PLC0415
    from localcloud.emulator.patches import book  # noqa: PLC0415
    from stacks.base.iam import assume_role_policy  # noqa: PLC0415
    from stacks.store.functions import Functions  # noqa: PLC0415

    book.install_iam()
    moto_iam.create_principals()
    admin = localcloud_aws.session(HANDLER_ENV["AWS_REGION"])
    dynamodb, iam = admin.client("dynamodb"), admin.client("iam")
    tables = {
        grant.table.name: SimpleNamespace(
            arn=dynamodb.describe_table(TableName=HANDLER_ENV[grant.env_var])["Table"]["TableArn"]
        )
        for spec in manifest.API
        for grant in spec.grants
    }
    key = admin.client("kms").describe_key(KeyId=os.environ[settings.PAGINATION_KEY_ID])
    props = SimpleNamespace(tables=tables, kms_key_arn=key["KeyMetadata"]["Arn"])
    role = iam.create_role(
        RoleName="bench-functions",
        AssumeRolePolicyDocument=assume_role_policy("lambda.amazonaws.com"),
    )["Role"]
    for spec in manifest.API:
        log_group = f"arn:aws:logs:{HANDLER_ENV['AWS_REGION']}:123456789012:log-group:{spec.name}"
        iam.put_role_policy(
            RoleName=role["RoleName"],
            PolicyName=f"{spec.name}-access",
            PolicyDocument=Functions.policy(spec, props, log_group),
        )
    lambda_service = localcloud_aws.session(
        HANDLER_ENV["AWS_REGION"], localcloud_aws.LAMBDA_SERVICE_CREDENTIALS
    )
    found = lambda_service.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="bench")
    return {
        "AWS_ACCESS_KEY_ID": found["Credentials"]["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": found["Credentials"]["SecretAccessKey"],
        "AWS_SESSION_TOKEN": found["Credentials"]["SessionToken"],
    }


def measure_iam(route: Route, call: Callable, requests: int) -> dict[str, Any]:
    """Time ``requests`` invocations of ``route`` with moto's IAM check and as many without, in
    turns (so that both see the same load and the same data), after a warm-up of each; medians."""
    # pylint: disable-next=import-outside-toplevel
    from moto import settings as moto_settings  # noqa: PLC0415

    times: dict[bool, list[float]] = {False: [], True: []}
    try:
        for index in range(2 * (WARMUP + requests)):
            checked = index % 2 == 1
            # 0: every call checked, as the emulator runs; infinity: moto's default, none.
            moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0 if checked else float("inf")
            elapsed = _timed(route, call)
            if index >= 2 * WARMUP:
                times[checked].append(elapsed * 1000)
    finally:
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
    return {"without_ms": median(times[False]), "with_ms": median(times[True])}


def report_iam(out: command.Report, figures: dict[str, Any], requests: int) -> None:
    """Print each route's p50 without and with the IAM check."""
    rows = [
        [name, f["without_ms"], f["with_ms"], f["with_ms"] - f["without_ms"]]
        for name, f in figures.items()
    ]
    out.line()
    out.line(
        table(
            f"The IAM check: each request's p50 without and with it, {requests} of each in turns "
            "(ms)",
            ["route", "without", "with", "cost"],
            rows,
        )
    )


def _routes(seed: Any) -> list[Route]:
    """The benchmarked requests (``bench.request_routes``), each built from the seed per request."""
    return [
        Route(
            spec.name,
            functools.partial(request_routes.resolve, spec.request, seed),
            spec.status,
            spec.minimum,
            spec.note,
        )
        for spec in request_routes.ROUTES
    ]


if __name__ == "__main__":
    main()
