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
synthesized configuration is either known to cost nothing while idle (with why, in
``FREE_WHEN_IDLE`` of bench/fixed_cost.py) or reported as not priced, so that nothing is dropped
silently. Free tiers (25 RCU/WCU,
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
import tempfile
from pathlib import Path
from typing import Any

from bench import command
from bench.events_cost import events_cost
from bench.fixed_cost import by_category, fixed_costs, table_capacity
from bench.order_cost import order_cost
from bench.prices import assumption, load_prices, unit_price
from localcloud.base import arguments

EMULATED = {"ecommerce-local"}
# Prod sizes (monthly active users) the sign-in table also prices.
PROD_MAU_SIZES = (10_000, 100_000, 1_000_000)


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
    assumed = assumption(prices, "monthly_active_users")
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


# The command line: python -m bench.cost.
FLAGS = (
    command.flag(
        "--from",
        dest="source",
        type=arguments.existing_dir,
        help="a directory holding stacks/*/cdk.tf.json (default: synthesize)",
    ),
)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Print the fixed costs, the cuts, and the order's cost; write ``results/cost.json``."""
    return command.run(argv, "bench.cost", __doc__, FLAGS, _measure)


def _measure(args: argparse.Namespace) -> command.Report:
    prices = load_prices()
    source = args.source or _synthesize()
    files = sorted(source.glob("stacks/*/cdk.tf.json"))
    if not files:
        raise SystemExit(f"There is no stacks/*/cdk.tf.json under {source}; synthesize first.")
    configs = {path.parent.name: json.loads(path.read_text(encoding="utf-8")) for path in files}
    report = command.Report("cost")
    summary = _fixed(report, configs, prices)
    real = {s: v for s, v in summary.items() if not v["emulated"]}
    largest = max(
        ((s, c, v) for s, d in real.items() for c, v in d["by_category"].items()),
        key=lambda item: item[2],
    )
    cuts = _cuts(configs, prices, summary)
    report.line()
    report.table(
        "What would cut the fixed cost (USD per month, each cut alone)",
        ["cut", *[s.removeprefix("ecommerce-") for s in real], "saved, all three"],
        cuts,
    )
    sign_in_rows, sizes = _sign_in(report, configs, prices)
    order_rows, order_total, order_details = _order(report, configs, prices)
    events = _events(report, configs, prices)
    share = largest[2] / real[largest[0]]["fixed_monthly"]
    report.line(
        f"\nLargest fixed cost: {largest[1]} in {largest[0]}, ${largest[2]:,.2f} per month "
        f"({share:.0%} of that environment's fixed cost)."
    )
    report.data = {
        "prices_as_of": prices["as_of"],
        "environments": summary,
        "largest": {"stack": largest[0], "category": largest[1], "monthly": largest[2]},
        "cuts": cuts,
        "sign_in": {"per_environment": sign_in_rows, "prod_sizes": sizes},
        "order": {"rows": order_rows, "total_per_million": order_total, **order_details},
        "events": events,
    }
    return report


def _fixed(
    report: command.Report, configs: dict[str, dict[str, Any]], prices: dict[str, Any]
) -> dict[str, Any]:
    """The fixed costs' table and line; each stack's summary."""
    summary: dict[str, Any] = {}
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
    rows = [
        [category, *[summary[s]["by_category"].get(category, 0.0) for s in configs]]
        for category in categories
    ]
    rows.append(["TOTAL fixed per month", *[summary[s]["fixed_monthly"] for s in configs]])
    rows.append(
        ["  at auto scaling max", *[summary[s]["at_autoscaling_max_monthly"] for s in configs]]
    )
    report.table(
        f"Fixed monthly cost per environment, from the synthesized configuration (USD, "
        f"{prices['region']}, {prices['hours_per_month']} h; local runs on the emulator, so "
        "its column is what it would cost on AWS)",
        ["category", *[s.removeprefix("ecommerce-") for s in configs]],
        rows,
    )
    unpriced = sorted({kind for s in summary.values() for kind in s["not_priced"]})
    report.line(f"Resource types not priced: {', '.join(unpriced) if unpriced else 'none'}.")
    return summary


def _sign_in(
    report: command.Report, configs: dict[str, dict[str, Any]], prices: dict[str, Any]
) -> tuple[list[list[Any]], list[list[Any]]]:
    sign_in_rows, sizes = sign_in_cost(configs, prices)
    report.line()
    report.table(
        "Sign-in: what the Cognito user pool adds per month (USD; nothing while nobody signs "
        "in; the authorizer is free)",
        ["environment", "plan", "MAU assumed", "with the free MAUs", "without"],
        sign_in_rows,
    )
    report.table(
        "Prod's pool at other sizes (USD per month, the account's free MAUs deducted)",
        ["MAU", "Lite (this stack)", "Essentials"],
        sizes,
    )
    return sign_in_rows, sizes


def _order(
    report: command.Report, configs: dict[str, dict[str, Any]], prices: dict[str, Any]
) -> tuple[list[list[Any]], float, dict[str, Any]]:
    order_rows, order_total, order_details = order_cost(configs, prices, with_key=True)
    report.line()
    report.table(
        f"One order ({order_details['route']}, one line item) in prod, per million orders "
        f"(USD; Lambda {order_details['memory_mb']} MB, billed "
        f"{order_details['billed_duration_ms']} ms)",
        ["component", "per order", "per million"],
        [*order_rows, ["TOTAL", "", order_total]],
    )
    report.line(
        f"Duration: {order_details['duration_source']}. DynamoDB if the tables were on-demand: "
        f"${order_details['dynamodb_if_tables_on_demand_per_million']:.2f} per million orders."
    )
    return order_rows, order_total, order_details


def _events(
    report: command.Report, configs: dict[str, dict[str, Any]], prices: dict[str, Any]
) -> dict[str, Any]:
    """The order events' monthly cost per environment: fixed rows, then the orders'."""
    events = {
        stack: events_cost(config, prices)
        for stack, config in configs.items()
        if "aws_lambda_event_source_mapping" in config.get("resource", {})
    }
    if not events:
        return events
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
    report.line()
    report.table(
        f"What the order events add per month at {per_day:,} orders a day (USD; the first "
        f"rows cost the same with no order; counts as in {stacks[0]}; local: what it would "
        "cost on AWS)",
        ["component", *[s.removeprefix("ecommerce-") for s in stacks]],
        rows,
    )
    return events


def _cuts(  # pylint: disable=too-many-locals
    configs: dict[str, dict[str, Any]], prices: dict[str, Any], summary: dict[str, Any]
) -> list[list[Any]]:
    """Each candidate cut's saving per real environment, computed from the same price lines."""
    real = [s for s in configs if s not in EMULATED]
    hours = prices["hours_per_month"]
    rcu = unit_price(prices, "dynamodb_provisioned_rcu_hour")
    wcu = unit_price(prices, "dynamodb_provisioned_wcu_hour")

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
