"""Money: each environment's fixed monthly cost from its synthesized configuration, what sign-in
adds per month, and the cost of one order per million.

``python -m bench.cost [--from DIR]``

Reads ``DIR/stacks/*/cdk.tf.json`` (``cdktf.out`` after ``cdktf synth``, or the copy the synth
benchmark keeps in ``bench/results/synth-out``); without ``--from`` it synthesizes all four
environments first, in a fresh interpreter. Every unit price comes from ``bench/prices.json``,
which names its source and date; nothing is priced from memory in this file.

Fixed cost = what an environment costs per month with no traffic at all: provisioned DynamoDB
capacity (tables and each index, at the auto scaling floor), KMS keys, interface VPC endpoints
(per Availability Zone-hour), NAT gateways, public IPv4 addresses, CloudWatch alarms and
dashboards, WAF web ACLs and rules, Secrets Manager secrets. Every other resource type of the
synthesized configuration is either known to cost nothing while idle (listed in ``FREE_WHEN_IDLE``
with why) or reported as not priced, so that nothing is dropped silently. Free tiers (25 RCU/WCU,
10 alarms, 3 dashboards per account) are not deducted: the four environments may share one account.

Sign-in: a Cognito user pool costs nothing while nobody signs in, and its API Gateway authorizer
nothing at all; it is billed per monthly active user (MAU), by the pool's feature plan (read from
the synthesized pool's ``user_pool_tier``) and tiered. The table prices each environment at the
MAU assumed in ``bench/prices.json``, with the account's free MAUs and without them (when another
pool of the account uses them up), and prod at other sizes, next to the Essentials plan.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import read_json, table, write_json
from bench.events_cost import events_cost
from localcloud.base import arguments

PRICES_FILE = Path(__file__).with_name("prices.json")
EMULATED = {"ecommerce-local"}
# Resource types that cost nothing while the environment is idle, and why.
FREE_WHEN_IDLE = {
    "aws_api_gateway_": "API Gateway REST: per request only (no cache cluster configured)",
    "aws_lambda_": "Lambda: per request and GB-second only (no provisioned concurrency)",
    "aws_iam_": "IAM: free",
    "aws_cloudwatch_log_group": "Logs: per GB ingested and stored (usage)",
    "aws_sns_topic": "SNS: per message (usage)",
    "aws_flow_log": "VPC flow logs: per GB of logs ingested (usage)",
    "aws_vpc": "VPC: free",
    "aws_subnet": "subnets: free",
    "aws_route": "route tables and routes: free",
    "aws_internet_gateway": "internet gateway: free (no public IPv4 attached here)",
    "aws_security_group": "security groups: free",
    "aws_default_security_group": "security groups: free",
    "aws_vpc_security_group_": "security group rules: free",
    "aws_kms_alias": "KMS aliases: free",
    "aws_appautoscaling_": "Application Auto Scaling: free (the capacity it sets is priced)",
    "aws_wafv2_web_acl_logging_configuration": "WAF logs: per GB ingested (usage)",
    "aws_cognito_": "Cognito user pools: per monthly active user only (priced by sign_in_cost)",
    "aws_sqs_queue": "SQS: per request (usage; Lambda's idle polling is in the events table)",
    "aws_cloudwatch_event_": "EventBridge: per event put (usage, in the events table)",
    "aws_scheduler_schedule": "EventBridge Scheduler: per invocation (in the events table)",
    "aws_sesv2_email_identity": "SES: per mail sent (usage, in the events table)",
}
# Prod sizes (monthly active users) the sign-in table also prices.
PROD_MAU_SIZES = (10_000, 100_000, 1_000_000)


@dataclass
class Line:
    """One fixed monthly cost of one environment."""

    category: str
    what: str
    quantity: float
    unit: str
    monthly: float


def load_prices(path: Path = PRICES_FILE) -> dict[str, Any]:
    """The price file, checked for the keys this module uses."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for name, entry in data["prices"].items():
        if not {"price", "unit", "source"} <= entry.keys():
            raise ValueError(f"The price '{name}' in {path} needs a price, a unit and a source.")
    return data


def _price(prices: dict[str, Any], name: str) -> float:
    return prices["prices"][name]["price"]


def _assume(prices: dict[str, Any], name: str) -> float:
    return prices["assumptions"][name]["value"]


def table_capacity(config: dict[str, Any]) -> list[tuple[str, int, int, int, int]]:
    """(name, RCU, WCU, max RCU, max WCU) of every provisioned table and index."""
    resources = config.get("resource", {})
    ceilings: dict[tuple[str, str], int] = {}
    for target in resources.get("aws_appautoscaling_target", {}).values():
        kind = "read" if "ReadCapacity" in target["scalable_dimension"] else "write"
        ceilings[(target["resource_id"], kind)] = int(target["max_capacity"])
    rows = []
    for table_def in resources.get("aws_dynamodb_table", {}).values():
        if table_def.get("billing_mode", "PROVISIONED") != "PROVISIONED":
            continue
        name = table_def["name"]
        parts = [(name, f"table/{name}", table_def)]
        parts += [
            (f"{name}/{index['name']}", f"table/{name}/index/{index['name']}", index)
            for index in table_def.get("global_secondary_index", [])
        ]
        for label, resource_id, spec in parts:
            read, write = int(spec.get("read_capacity", 0)), int(spec.get("write_capacity", 0))
            rows.append(
                (
                    label,
                    read,
                    write,
                    ceilings.get((resource_id, "read"), read),
                    ceilings.get((resource_id, "write"), write),
                )
            )
    return rows


def _alarm_metrics(alarm: dict[str, Any]) -> tuple[int, bool]:
    queries = alarm.get("metric_query") or []
    metrics = sum(1 for query in queries if query.get("metric")) if queries else 1
    periods = [alarm.get("period", 60)] + [
        q["metric"].get("period", 60) for q in queries if q.get("metric")
    ]
    return metrics, min(int(p) for p in periods) < 60


def fixed_costs(  # pylint: disable=too-many-locals,too-many-branches
    config: dict[str, Any], prices: dict[str, Any], *, capacity: str = "floor"
) -> tuple[list[Line], list[str]]:
    """The fixed monthly costs of one synthesized stack, and the resource types not priced.

    ``capacity``: ``floor`` prices provisioned capacity as synthesized (the auto scaling floor),
    ``ceiling`` at the auto scaling maximum.
    """
    hours = prices["hours_per_month"]
    resources = config.get("resource", {})
    lines: list[Line] = []
    rcu, wcu = (
        _price(prices, "dynamodb_provisioned_rcu_hour"),
        _price(prices, "dynamodb_provisioned_wcu_hour"),
    )
    for name, floor_read, floor_write, max_read, max_write in table_capacity(config):
        ceiling = capacity == "ceiling"
        read, write = (max_read, max_write) if ceiling else (floor_read, floor_write)
        lines.append(
            Line(
                "DynamoDB provisioned capacity",
                f"{name} RCU",
                read,
                "RCU-month",
                read * rcu * hours,
            )
        )
        lines.append(
            Line(
                "DynamoDB provisioned capacity",
                f"{name} WCU",
                write,
                "WCU-month",
                write * wcu * hours,
            )
        )
    for key in resources.get("aws_kms_key", {}).values():
        lines.append(
            Line(
                "KMS keys",
                key.get("description", "key")[:40],
                1,
                "key-month",
                _price(prices, "kms_key_month"),
            )
        )
    for endpoint in resources.get("aws_vpc_endpoint", {}).values():
        if endpoint.get("vpc_endpoint_type", "Gateway") != "Interface":
            continue
        service = endpoint["service_name"].rsplit(".", 1)[-1]
        zones = len(endpoint.get("subnet_ids") or [])
        lines.append(
            Line(
                f"{service.upper()} interface endpoint",
                f"{service} x {zones} AZ",
                zones,
                "AZ-month",
                zones * hours * _price(prices, "interface_endpoint_az_hour"),
            )
        )
    for kind, price, label in (
        ("aws_nat_gateway", "nat_gateway_hour", "NAT gateways"),
        ("aws_eip", "public_ipv4_hour", "public IPv4 addresses"),
    ):
        count = len(resources.get(kind, {}))
        if count:
            lines.append(Line(label, kind, count, "month", count * hours * _price(prices, price)))
    alarms = resources.get("aws_cloudwatch_metric_alarm", {}).values()
    standard = high = 0
    for alarm in alarms:
        metrics, high_resolution = _alarm_metrics(alarm)
        if high_resolution:
            high += metrics
        else:
            standard += metrics
    if standard:
        lines.append(
            Line(
                "CloudWatch alarms",
                f"{len(alarms)} alarms",
                standard,
                "metric-month",
                standard * _price(prices, "cloudwatch_alarm_metric_month"),
            )
        )
    if high:
        lines.append(
            Line(
                "CloudWatch alarms",
                "high resolution",
                high,
                "metric-month",
                high * _price(prices, "cloudwatch_alarm_high_resolution_metric_month"),
            )
        )
    dashboards = len(resources.get("aws_cloudwatch_dashboard", {}))
    if dashboards:
        lines.append(
            Line(
                "CloudWatch dashboards",
                "dashboard",
                dashboards,
                "month",
                dashboards * _price(prices, "cloudwatch_dashboard_month"),
            )
        )
    for acl in resources.get("aws_wafv2_web_acl", {}).values():
        rules = len(acl.get("rule") or [])
        lines.append(
            Line(
                "WAF",
                acl.get("name", "web ACL"),
                1 + rules,
                "ACL+rules",
                _price(prices, "waf_web_acl_month") + rules * _price(prices, "waf_rule_month"),
            )
        )
    secrets = len(resources.get("aws_secretsmanager_secret", {}))
    if secrets:
        lines.append(
            Line(
                "Secrets Manager",
                "secrets",
                secrets,
                "secret-month",
                secrets * _price(prices, "secrets_manager_secret_month"),
            )
        )
    priced = {
        "aws_dynamodb_table",
        "aws_kms_key",
        "aws_vpc_endpoint",
        "aws_nat_gateway",
        "aws_eip",
        "aws_cloudwatch_metric_alarm",
        "aws_cloudwatch_dashboard",
        "aws_wafv2_web_acl",
        "aws_secretsmanager_secret",
        "aws_secretsmanager_secret_version",
        "aws_wafv2_web_acl_association",
    }
    unpriced = sorted(
        kind
        for kind in resources
        if kind not in priced and not any(kind.startswith(prefix) for prefix in FREE_WHEN_IDLE)
    )
    stage_cache = any(
        stage.get("cache_cluster_enabled")
        for stage in resources.get("aws_api_gateway_stage", {}).values()
    )
    provisioned_concurrency = "aws_lambda_provisioned_concurrency_config" in resources
    if stage_cache:
        unpriced.append("aws_api_gateway_stage (cache cluster enabled)")
    if provisioned_concurrency:
        unpriced.append("aws_lambda_provisioned_concurrency_config")
    return lines, unpriced


def by_category(lines: list[Line]) -> dict[str, float]:
    """Monthly totals per category, largest first."""
    totals: dict[str, float] = defaultdict(float)
    for line in lines:
        totals[line.category] += line.monthly
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


def order_cost(  # pylint: disable=too-many-locals
    configs: dict[str, dict[str, Any]], prices: dict[str, Any], *, with_key: bool
) -> tuple[list[list[Any]], float, dict[str, Any]]:
    """Rows of the per-million cost of one ``POST /orders`` (one line item) in ``prod``."""
    config = configs.get("ecommerce-prod") or next(iter(configs.values()))
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
    cpu_scale = _assume(prices, "lambda_cpu_full_vcpu_mb") / memory_mb
    call_ms = _assume(prices, "dynamodb_call_latency_ms")
    duration_ms = math.ceil((own_ms or 10.0) * cpu_scale + calls * call_ms)
    gb_s = memory_mb / 1024 * duration_ms / 1000
    utilization = _assume(prices, "provisioned_utilization")
    per_wru_provisioned = _price(prices, "dynamodb_provisioned_wcu_hour") / 3600 / utilization
    per_rru_provisioned = _price(prices, "dynamodb_provisioned_rcu_hour") / 3600 / utilization
    condition_wru = _assume(prices, "transaction_condition_check_wru")
    # One line item: the transaction checks the user, takes the product's stock (its category
    # index projects every attribute, so the stock change writes the index too) and puts the
    # order (whose user index gets the new item).
    transaction_wru = condition_wru + 2 + 2
    index_wru = 2
    million = 1_000_000
    rows = [
        [
            "API Gateway REST request",
            "1 request",
            _price(prices, "api_gateway_rest_requests_million"),
        ],
        ["Lambda invocation", "1 request", _price(prices, "lambda_requests_million")],
        [
            "Lambda duration",
            f"{duration_ms} ms x {memory_mb} MB = {gb_s:.4f} GB-s",
            gb_s * million * _price(prices, "lambda_gb_second"),
        ],
        [
            "DynamoDB BatchGetItem (provisioned)",
            "1 RRU (consistent)",
            million * per_rru_provisioned,
        ],
        [
            "DynamoDB TransactWriteItems (provisioned)",
            f"{transaction_wru:g} WRU + {index_wru} index WRU",
            (transaction_wru + index_wru) * million * per_wru_provisioned,
        ],
    ]
    if with_key:
        rows.append(
            [
                "Idempotency PutItem + UpdateItem (on-demand)",
                "2 WRU",
                2 * _price(prices, "dynamodb_on_demand_write_million"),
            ]
        )
    if config["resource"].get("aws_wafv2_web_acl"):
        rows.append(["WAF request inspection", "1 request", _price(prices, "waf_requests_million")])
    rows += [
        [
            "X-Ray traces (sampled)",
            f"{_assume(prices, 'xray_sampled_fraction'):.0%} of requests",
            _assume(prices, "xray_sampled_fraction")
            * _price(prices, "xray_traces_recorded_million"),
        ],
        [
            "CloudWatch Logs ingestion",
            f"{_assume(prices, 'log_bytes_per_request')} bytes",
            _assume(prices, "log_bytes_per_request")
            * million
            / 1e9
            * _price(prices, "cloudwatch_logs_ingest_gb"),
        ],
        [
            "Data transfer out",
            f"{_assume(prices, 'response_bytes')} bytes",
            _assume(prices, "response_bytes")
            * million
            / 1e9
            * _price(prices, "data_transfer_out_gb"),
        ],
    ]
    total = sum(row[2] for row in rows)
    on_demand_ddb = (transaction_wru + index_wru) * _price(
        prices, "dynamodb_on_demand_write_million"
    ) + _price(prices, "dynamodb_on_demand_read_million")
    details = {
        "route": route,
        "memory_mb": memory_mb,
        "dynamodb_calls": calls,
        "measured_handler_own_ms": own_ms,
        "billed_duration_ms": duration_ms,
        "duration_source": "measured handler own time (bench/results/requests.json) scaled to the "
        "function's CPU share, plus the assumed latency per DynamoDB call"
        if own_ms is not None
        else "no per-request measurement found: 10 ms of handler time assumed",
        "dynamodb_if_tables_on_demand_per_million": on_demand_ddb,
    }
    return rows, total, details


def mau_cost(users: int, tiers: list[list[Any]], *, free_tier: bool = True) -> float:
    """The monthly cost of ``users`` MAU on a tiered price list (``[[up to, price], ...]``, the
    last tier unbounded). Without ``free_tier`` a free first tier is billed at the next price."""
    steps = [(tier[0], tier[1]) for tier in tiers]
    if not free_tier and len(steps) > 1 and steps[0][1] == 0:
        steps[0] = (steps[0][0], steps[1][1])
    cost, below = 0.0, 0
    for limit, price in steps:
        upto = users if limit is None else min(users, limit)
        if upto > below:
            cost += (upto - below) * price
            below = upto
    return cost


def sign_in_cost(
    configs: dict[str, dict[str, Any]], prices: dict[str, Any]
) -> tuple[list[list[Any]], list[list[Any]]]:
    """Rows per environment (plan, MAU assumed, with and without the free MAUs), and prod's
    Lite plan next to Essentials at other sizes."""
    assumed = _assume(prices, "monthly_active_users")
    rows = []
    for stack, config in configs.items():
        pools = config.get("resource", {}).get("aws_cognito_user_pool", {}).values()
        for pool in pools:
            plan = pool.get("user_pool_tier", "ESSENTIALS")
            tiers = prices["prices"][f"cognito_{plan.lower()}_mau"]["tiers"]
            users = assumed.get(stack, 0)
            rows.append(
                [
                    stack.removeprefix("ecommerce-"),
                    plan,
                    users,
                    mau_cost(users, tiers),
                    mau_cost(users, tiers, free_tier=False),
                ]
            )
    lite = prices["prices"]["cognito_lite_mau"]["tiers"]
    essentials = prices["prices"]["cognito_essentials_mau"]["tiers"]
    sizes = [
        [users, mau_cost(users, lite), mau_cost(users, essentials)]
        for users in (assumed.get("ecommerce-prod", 0), *PROD_MAU_SIZES)
    ]
    return rows, sizes


def _synthesize() -> Path:
    # pylint: disable=import-outside-toplevel
    from bench.synth_bench import run_case  # noqa: PLC0415

    keep = Path(tempfile.mkdtemp(prefix="bench-cost-"))
    run_case("all four environments", keep)
    return keep


def main(argv: list[str] | None = None) -> dict[str, Any]:  # pylint: disable=too-many-locals
    """Print the fixed costs, the cuts, and the order's cost; write ``results/cost.json``."""
    parser = argparse.ArgumentParser(prog="python -m bench.cost", description=__doc__)
    parser.add_argument(
        "--from",
        dest="source",
        type=arguments.existing_dir,
        help="a directory holding stacks/*/cdk.tf.json (default: synthesize)",
    )
    args = parser.parse_args(argv)
    prices = load_prices()
    source = args.source or _synthesize()
    files = sorted(source.glob("stacks/*/cdk.tf.json"))
    if not files:
        raise SystemExit(f"There is no stacks/*/cdk.tf.json under {source}; synthesize first.")
    configs = {path.parent.name: json.loads(path.read_text(encoding="utf-8")) for path in files}

    summary: dict[str, Any] = {}
    rows = []
    categories: list[str] = []
    for stack, config in configs.items():
        lines, unpriced = fixed_costs(config, prices)
        ceiling, _ = fixed_costs(config, prices, capacity="ceiling")
        totals = by_category(lines)
        categories += [c for c in totals if c not in categories]
        summary[stack] = {
            "fixed_monthly": sum(line.monthly for line in lines),
            "at_autoscaling_max_monthly": sum(line.monthly for line in ceiling),
            "by_category": totals,
            "lines": [line.__dict__ for line in lines],
            "not_priced": unpriced,
            "emulated": stack in EMULATED,
        }
    header = ["category", *[s.removeprefix("ecommerce-") for s in configs]]
    for category in categories:
        rows.append([category, *[summary[s]["by_category"].get(category, 0.0) for s in configs]])
    rows.append(["TOTAL fixed per month", *[summary[s]["fixed_monthly"] for s in configs]])
    rows.append(
        ["  at auto scaling max", *[summary[s]["at_autoscaling_max_monthly"] for s in configs]]
    )
    print(
        table(
            f"Fixed monthly cost per environment, from the synthesized configuration (USD, "
            f"{prices['region']}, {prices['hours_per_month']} h; local runs on the emulator, so "
            "its column is what it would cost on AWS)",
            header,
            rows,
        )
    )
    unpriced = sorted({kind for s in summary.values() for kind in s["not_priced"]})
    print(f"Resource types not priced: {', '.join(unpriced) if unpriced else 'none'}.")

    real = {s: v for s, v in summary.items() if not v["emulated"]}
    largest = max(
        ((s, c, v) for s, d in real.items() for c, v in d["by_category"].items()),
        key=lambda item: item[2],
    )
    cuts = _cuts(configs, prices, summary)
    print()
    print(
        table(
            "What would cut the fixed cost (USD per month, each cut alone)",
            ["cut", *[s.removeprefix("ecommerce-") for s in real], "saved, all three"],
            cuts,
        )
    )
    sign_in_rows, sizes = sign_in_cost(configs, prices)
    print()
    print(
        table(
            "Sign-in: what the Cognito user pool adds per month (USD; nothing while nobody signs "
            "in; the authorizer is free)",
            ["environment", "plan", "MAU assumed", "with the free MAUs", "without"],
            sign_in_rows,
        )
    )
    print(
        table(
            "Prod's pool at other sizes (USD per month, the account's free MAUs deducted)",
            ["MAU", "Lite (this stack)", "Essentials"],
            sizes,
        )
    )
    order_rows, order_total, order_details = order_cost(configs, prices, with_key=True)
    print()
    print(
        table(
            f"One order ({order_details['route']}, one line item) in prod, per million orders "
            f"(USD; Lambda {order_details['memory_mb']} MB, billed "
            f"{order_details['billed_duration_ms']} ms)",
            ["component", "per order", "per million"],
            [*order_rows, ["TOTAL", "", order_total]],
        )
    )
    print(
        f"Duration: {order_details['duration_source']}. DynamoDB if the tables were on-demand: "
        f"${order_details['dynamodb_if_tables_on_demand_per_million']:.2f} per million orders."
    )
    events = {
        stack: events_cost(config, prices)
        for stack, config in configs.items()
        if "aws_lambda_event_source_mapping" in config.get("resource", {})
    }
    _print_events(events, prices)
    share = largest[2] / real[largest[0]]["fixed_monthly"]
    print(
        f"\nLargest fixed cost: {largest[1]} in {largest[0]}, ${largest[2]:,.2f} per month "
        f"({share:.0%} of that environment's fixed cost)."
    )
    data = {
        "prices_as_of": prices["as_of"],
        "environments": summary,
        "largest": {"stack": largest[0], "category": largest[1], "monthly": largest[2]},
        "cuts": cuts,
        "sign_in": {"per_environment": sign_in_rows, "prod_sizes": sizes},
        "order": {"rows": order_rows, "total_per_million": order_total, **order_details},
        "events": events,
    }
    write_json("cost", data)
    return data


def _print_events(events: dict[str, Any], prices: dict[str, Any]) -> None:
    """The order events' monthly cost per environment: fixed rows, then the orders'."""
    stacks = list(events)
    first = events[stacks[0]]
    rows = [
        [what, *[events[s]["fixed"][i][1] for s in stacks]]
        for i, (what, _) in enumerate(first["fixed"])
    ]
    per_day = prices["assumptions"]["orders_per_day"]["value"]
    rows += [
        [f"{what} ({first['orders_per_month']:,.0f} orders)", *[
            events[s]["per_order"][i][1] * events[s]["orders_per_month"] for s in stacks
        ]]
        for i, (what, _) in enumerate(first["per_order"])
    ]  # fmt: skip
    rows.append(["TOTAL per month", *[events[s]["monthly"] for s in stacks]])
    print()
    print(
        table(
            f"What the order events add per month at {per_day:,} orders a day (USD; the first "
            f"rows cost the same with no order; counts as in {stacks[0]}; local: what it would "
            "cost on AWS)",
            ["component", *[s.removeprefix("ecommerce-") for s in stacks]],
            rows,
        )
    )


def _cuts(  # pylint: disable=too-many-locals
    configs: dict[str, dict[str, Any]], prices: dict[str, Any], summary: dict[str, Any]
) -> list[list[Any]]:
    """Each candidate cut's saving per real environment, computed from the same price lines."""
    real = [s for s in configs if s not in EMULATED]
    hours = prices["hours_per_month"]
    rcu = _price(prices, "dynamodb_provisioned_rcu_hour")
    wcu = _price(prices, "dynamodb_provisioned_wcu_hour")

    def category(stack: str, name: str) -> float:
        return sum(v for c, v in summary[stack]["by_category"].items() if c == name)

    def floor_of(stack: str, units: int) -> float:
        rows = table_capacity(configs[stack])
        current = category(stack, "DynamoDB provisioned capacity")
        return current - sum(
            min(r, units) * rcu * hours + min(w, units) * wcu * hours for _, r, w, _, _ in rows
        )

    def endpoints(stack: str) -> float:
        return sum(v for c, v in summary[stack]["by_category"].items() if "endpoint" in c)

    cuts = {
        "tables on-demand (PAY_PER_REQUEST)": lambda s: category(
            s, "DynamoDB provisioned capacity"
        ),
        "capacity floor 5/5 (auto scaling min 5)": lambda s: floor_of(s, 5),
        "capacity floor 1/1 on indexes and tables": lambda s: floor_of(s, 1),
        "no interface endpoints (KMS, EventBridge, SNS, SES)": endpoints,
    }
    rows = []
    for name, saving in cuts.items():
        savings = [round(saving(stack), 2) for stack in real]
        rows.append([name, *savings, sum(savings)])
    return rows


if __name__ == "__main__":
    main()
