"""Benchmark of the handlers (a script, not a test): ``python bench/handlers_bench.py``.

1. Cold import time of each handler module in a fresh interpreter, next to ``import boto3`` plus
   the Powertools modules that handler uses (the floor any handler would pay).
2. Per-request time of ``GET /products/{id}`` through ``products.handler`` next to the bare
   ``get_item`` it performs, in one process against in-process moto.
"""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HANDLERS = ROOT / "handlers"
RUNS = 5
REQUESTS = 300

ENV = {
    **os.environ,
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_SERVICE_NAME": "bench",
    "PRODUCTS_TABLE_NAME": "bench-products",
    "USERS_TABLE_NAME": "bench-users",
    "ORDERS_TABLE_NAME": "bench-orders",
    "IDEMPOTENCY_TABLE_NAME": "bench-idempotency",
    "PAGINATION_KMS_KEY_ID": "unused",
    "CORS_ALLOWED_ORIGINS": "*",
    "PYTHONPATH": str(HANDLERS),
}
_POWERTOOLS = (
    "import boto3; from aws_lambda_powertools import Logger, Tracer; "
    "from aws_lambda_powertools.event_handler import APIGatewayRestResolver; "
    "import fastjsonschema"
)
BASELINES = {
    "products": _POWERTOOLS,
    "users": _POWERTOOLS,
    "orders": _POWERTOOLS
    + "; from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer",
}


# What the handler's import-time objects cost on top: Tracer() loads the X-Ray SDK even when
# tracing is disabled, and each boto3 client loads its service model.
SETUP = {
    "products": "; Tracer(); boto3.client('dynamodb')",
    "users": "; Tracer(); boto3.client('dynamodb')",
    "orders": "; Tracer(); boto3.client('dynamodb'); boto3.session.Session().client('dynamodb')",
}


def cold_import(statement: str) -> float:
    """Median wall time (ms) of running ``statement`` in a fresh interpreter, minus bare startup."""

    def once(code: str) -> float:
        script = f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
        out = subprocess.run(
            [sys.executable, "-c", script], env=ENV, capture_output=True, text=True, check=True
        )
        return float(out.stdout.strip().splitlines()[-1]) * 1000

    return statistics.median(once(statement) for _ in range(RUNS))


def per_request() -> tuple[float, float]:
    """Median microseconds of GET /products/{id} via the handler and of the bare get_item."""
    os.environ.update(ENV)
    sys.path.insert(0, str(HANDLERS))
    sys.path.insert(0, str(ROOT / "tests" / "handlers"))
    # Imported here, after the environment and sys.path are set; the test helpers (conftest)
    # set their own table names and build the proxy events.
    # pylint: disable=import-outside-toplevel,import-error
    import conftest  # noqa: PLC0415
    from moto import mock_aws  # noqa: PLC0415

    with mock_aws():
        import boto3  # noqa: PLC0415
        import products  # noqa: PLC0415
        from store import dynamo, products_table, tables  # noqa: PLC0415

        conftest.create_table(boto3.client("dynamodb"), tables.PRODUCTS)
        body = {"name": "Pen", "price": 1, "category": "c", "stock": 1}
        created = conftest.invoke(conftest.make_event("POST", "/products", body=body)).body
        event = conftest.make_event("GET", f"/products/{created['productId']}")
        context = conftest.LambdaContext()
        key = {"productId": {"S": created["productId"]}}

        def via_handler():
            products.handler(event, context)

        def bare():
            dynamo.client.get_item(TableName=products_table.TABLE, Key=key)

        return tuple(_time(fn) for fn in (via_handler, bare))


def _time(function) -> float:
    for _ in range(20):
        function()
    samples = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1e6)
    return statistics.median(samples)


def main() -> None:
    """Print both tables."""
    print(f"Cold import, median of {RUNS} fresh interpreters (ms)")
    print(
        f"{'module':<10} {'handler':>10} {'boto3+powertools':>18} {'+Tracer()+clients':>18}"
        f" {'handler own':>12}"
    )
    for module, baseline in BASELINES.items():
        handler = cold_import(f"import {module}")
        floor = cold_import(baseline)
        setup = cold_import(baseline + SETUP[module])
        print(
            f"{module:<10} {handler:>10.1f} {floor:>18.1f} {setup:>18.1f} {handler - setup:>12.1f}"
        )
    via_handler, bare = per_request()
    print(f"\nGET /products/{{id}}, median of {REQUESTS} requests against in-process moto (us)")
    print(f"{'through products.handler':<28} {via_handler:>10.0f}")
    print(f"{'bare get_item':<28} {bare:>10.0f}")
    print(f"{'handler overhead':<28} {via_handler - bare:>10.0f}")


if __name__ == "__main__":
    main()
