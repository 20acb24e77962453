"""The cost of one ``POST /orders`` (one line item) in ``prod``, per million: the requests, the
function's billed duration, DynamoDB's request units and what observability adds.

Every unit price comes from ``bench/prices.json`` (``bench.prices``); the handler's own time and
its DynamoDB calls from the request benchmark's results when they are there.
"""

from __future__ import annotations

import math
from typing import Any

from bench.common import read_json
from bench.prices import assumption, unit_price

MILLION = 1_000_000
# One line item: the transaction checks the user, takes the product's stock (its category index
# projects every attribute, so the stock change writes the index too) and puts the order (whose
# user index gets the new item): the check's WRU, then 2 + 2, and 2 for the indexes.
TRANSACTION_WRITES = 2 + 2
INDEX_WRU = 2


def order_cost(
    configs: dict[str, dict[str, Any]], prices: dict[str, Any], *, with_key: bool
) -> tuple[list[list[Any]], float, dict[str, Any]]:
    """Rows of the per-million cost of one ``POST /orders`` (one line item) in ``prod``."""
    config = configs.get("ecommerce-prod") or next(iter(configs.values()))
    duration = _duration(config, prices, with_key=with_key)
    transaction_wru = assumption(prices, "transaction_condition_check_wru") + TRANSACTION_WRITES
    rows = [
        *_compute_rows(prices, duration),
        *_dynamodb_rows(prices, transaction_wru, with_key=with_key),
    ]
    if config["resource"].get("aws_wafv2_web_acl"):
        rows.append(
            ["WAF request inspection", "1 request", unit_price(prices, "waf_requests_million")]
        )
    rows += _observability_rows(prices)
    on_demand_ddb = (transaction_wru + INDEX_WRU) * unit_price(
        prices, "dynamodb_on_demand_write_million"
    ) + unit_price(prices, "dynamodb_on_demand_read_million")
    return (
        rows,
        sum(row[2] for row in rows),
        {**duration, "dynamodb_if_tables_on_demand_per_million": on_demand_ddb},
    )


def _duration(config: dict[str, Any], prices: dict[str, Any], *, with_key: bool) -> dict[str, Any]:
    """The orders function's billed duration: its measured own time scaled to its CPU share,
    plus the assumed latency of each DynamoDB call."""
    functions = config["resource"].get("aws_lambda_function", {}).values()
    orders = next(f for f in functions if f["handler"] == "orders.handler")
    memory_mb = int(orders.get("memory_size", 128))
    measured = read_json("requests")
    route = "POST /orders (Idempotency-Key)" if with_key else "POST /orders"
    calls = 4 if with_key else 2
    own_ms = None
    if measured and route in measured.get("routes", {}):
        calls = measured["routes"][route]["dynamodb_calls"]
        own_ms = measured["routes"][route]["handler_own_ms"]
    cpu_scale = assumption(prices, "lambda_cpu_full_vcpu_mb") / memory_mb
    call_ms = assumption(prices, "dynamodb_call_latency_ms")
    return {
        "route": route,
        "memory_mb": memory_mb,
        "dynamodb_calls": calls,
        "measured_handler_own_ms": own_ms,
        "billed_duration_ms": math.ceil((own_ms or 10.0) * cpu_scale + calls * call_ms),
        "duration_source": "measured handler own time (bench/results/requests.json) scaled to the "
        "function's CPU share, plus the assumed latency per DynamoDB call"
        if own_ms is not None
        else "no per-request measurement found: 10 ms of handler time assumed",
    }


def _compute_rows(prices: dict[str, Any], duration: dict[str, Any]) -> list[list[Any]]:
    memory_mb, duration_ms = duration["memory_mb"], duration["billed_duration_ms"]
    gb_s = memory_mb / 1024 * duration_ms / 1000
    return [
        [
            "API Gateway REST request",
            "1 request",
            unit_price(prices, "api_gateway_rest_requests_million"),
        ],
        ["Lambda invocation", "1 request", unit_price(prices, "lambda_requests_million")],
        [
            "Lambda duration",
            f"{duration_ms} ms x {memory_mb} MB = {gb_s:.4f} GB-s",
            gb_s * MILLION * unit_price(prices, "lambda_gb_second"),
        ],
    ]


def _dynamodb_rows(
    prices: dict[str, Any], transaction_wru: float, *, with_key: bool
) -> list[list[Any]]:
    utilization = assumption(prices, "provisioned_utilization")
    per_wru = unit_price(prices, "dynamodb_provisioned_wcu_hour") / 3600 / utilization
    per_rru = unit_price(prices, "dynamodb_provisioned_rcu_hour") / 3600 / utilization
    rows = [
        ["DynamoDB BatchGetItem (provisioned)", "1 RRU (consistent)", MILLION * per_rru],
        [
            "DynamoDB TransactWriteItems (provisioned)",
            f"{transaction_wru:g} WRU + {INDEX_WRU} index WRU",
            (transaction_wru + INDEX_WRU) * MILLION * per_wru,
        ],
    ]
    if with_key:
        rows.append(
            [
                "Idempotency PutItem + UpdateItem (on-demand)",
                "2 WRU",
                2 * unit_price(prices, "dynamodb_on_demand_write_million"),
            ]
        )
    return rows


def _observability_rows(prices: dict[str, Any]) -> list[list[Any]]:
    sampled = assumption(prices, "xray_sampled_fraction")
    log_bytes = assumption(prices, "log_bytes_per_request")
    response_bytes = assumption(prices, "response_bytes")
    return [
        [
            "X-Ray traces (sampled)",
            f"{sampled:.0%} of requests",
            sampled * unit_price(prices, "xray_traces_recorded_million"),
        ],
        [
            "CloudWatch Logs ingestion",
            f"{log_bytes} bytes",
            log_bytes * MILLION / 1e9 * unit_price(prices, "cloudwatch_logs_ingest_gb"),
        ],
        [
            "Data transfer out",
            f"{response_bytes} bytes",
            response_bytes * MILLION / 1e9 * unit_price(prices, "data_transfer_out_gb"),
        ],
    ]
