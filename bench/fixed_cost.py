"""What a synthesized stack costs per month with no traffic at all, priced from one table: how
each priced resource kind is priced (``PRICING``), beside the kinds that cost nothing while idle
(``FREE_WHEN_IDLE``, with why); any other kind is reported as not priced, never dropped."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from bench.prices import unit_price

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


@dataclass
class Line:
    """One fixed monthly cost of one environment."""

    category: str
    what: str
    quantity: float
    unit: str
    monthly: float


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


def _capacity_lines(resources: dict[str, Any], prices: dict[str, Any], capacity: str) -> list[Line]:
    hours = prices["hours_per_month"]
    rcu, wcu = (
        unit_price(prices, "dynamodb_provisioned_rcu_hour"),
        unit_price(prices, "dynamodb_provisioned_wcu_hour"),
    )
    lines = []
    for name, floor_read, floor_write, max_read, max_write in table_capacity(
        {"resource": resources}
    ):
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
    return lines


def _key_lines(resources: dict[str, Any], prices: dict[str, Any], _capacity: str) -> list[Line]:
    return [
        Line(
            "KMS keys",
            key.get("description", "key")[:40],
            1,
            "key-month",
            unit_price(prices, "kms_key_month"),
        )
        for key in resources["aws_kms_key"].values()
    ]


def _endpoint_lines(
    resources: dict[str, Any], prices: dict[str, Any], _capacity: str
) -> list[Line]:
    lines = []
    for endpoint in resources["aws_vpc_endpoint"].values():
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
                zones
                * prices["hours_per_month"]
                * unit_price(prices, "interface_endpoint_az_hour"),
            )
        )
    return lines


def _alarm_lines(resources: dict[str, Any], prices: dict[str, Any], _capacity: str) -> list[Line]:
    alarms = resources["aws_cloudwatch_metric_alarm"].values()
    standard = high = 0
    for alarm in alarms:
        metrics, high_resolution = _alarm_metrics(alarm)
        if high_resolution:
            high += metrics
        else:
            standard += metrics
    lines = []
    for metrics, what, price in (
        (standard, f"{len(alarms)} alarms", "cloudwatch_alarm_metric_month"),
        (high, "high resolution", "cloudwatch_alarm_high_resolution_metric_month"),
    ):
        if metrics:
            lines.append(
                Line(
                    "CloudWatch alarms",
                    what,
                    metrics,
                    "metric-month",
                    metrics * unit_price(prices, price),
                )
            )
    return lines


def _web_acl_lines(resources: dict[str, Any], prices: dict[str, Any], _capacity: str) -> list[Line]:
    lines = []
    for acl in resources["aws_wafv2_web_acl"].values():
        rules = len(acl.get("rule") or [])
        lines.append(
            Line(
                "WAF",
                acl.get("name", "web ACL"),
                1 + rules,
                "ACL+rules",
                unit_price(prices, "waf_web_acl_month")
                + rules * unit_price(prices, "waf_rule_month"),
            )
        )
    return lines


def _per_resource(kind: str, price: str, category: str, what: str, unit: str, *, hourly: bool):
    """A pricer of a kind billed the same for each resource: per month, or per hour."""

    def lines(resources: dict[str, Any], prices: dict[str, Any], _capacity: str) -> list[Line]:
        count = len(resources[kind])
        hours = prices["hours_per_month"] if hourly else 1
        return [Line(category, what, count, unit, count * hours * unit_price(prices, price))]

    return lines


def _priced_with_another(
    _resources: dict[str, Any], _prices: dict[str, Any], _capacity: str
) -> list[Line]:
    return []


# How each priced resource kind is priced: a function of the stack's resources (the kind is
# present), the prices and the capacity to price (floor or ceiling), giving its cost lines, in
# this order. The kinds here are the priced ones; every other kind is free while idle
# (FREE_WHEN_IDLE) or reported as not priced.
PRICING = {
    "aws_dynamodb_table": _capacity_lines,
    "aws_kms_key": _key_lines,
    "aws_vpc_endpoint": _endpoint_lines,
    "aws_nat_gateway": _per_resource(
        "aws_nat_gateway",
        "nat_gateway_hour",
        "NAT gateways",
        "aws_nat_gateway",
        "month",
        hourly=True,
    ),
    "aws_eip": _per_resource(
        "aws_eip", "public_ipv4_hour", "public IPv4 addresses", "aws_eip", "month", hourly=True
    ),
    "aws_cloudwatch_metric_alarm": _alarm_lines,
    "aws_cloudwatch_dashboard": _per_resource(
        "aws_cloudwatch_dashboard",
        "cloudwatch_dashboard_month",
        "CloudWatch dashboards",
        "dashboard",
        "month",
        hourly=False,
    ),
    "aws_wafv2_web_acl": _web_acl_lines,
    "aws_secretsmanager_secret": _per_resource(
        "aws_secretsmanager_secret",
        "secrets_manager_secret_month",
        "Secrets Manager",
        "secrets",
        "secret-month",
        hourly=False,
    ),
    # Billed with the secret and with the web ACL respectively.
    "aws_secretsmanager_secret_version": _priced_with_another,
    "aws_wafv2_web_acl_association": _priced_with_another,
}


def fixed_costs(
    config: dict[str, Any], prices: dict[str, Any], *, capacity: str = "floor"
) -> tuple[list[Line], list[str]]:
    """The fixed monthly costs of one synthesized stack, and the resource types not priced.

    ``capacity``: ``floor`` prices provisioned capacity as synthesized (the auto scaling floor),
    ``ceiling`` at the auto scaling maximum.
    """
    resources = config.get("resource", {})
    lines = [
        line
        for kind, pricer in PRICING.items()
        if resources.get(kind)
        for line in pricer(resources, prices, capacity)
    ]
    unpriced = sorted(
        kind
        for kind in resources
        if kind not in PRICING and not any(kind.startswith(prefix) for prefix in FREE_WHEN_IDLE)
    )
    if any(
        stage.get("cache_cluster_enabled")
        for stage in resources.get("aws_api_gateway_stage", {}).values()
    ):
        unpriced.append("aws_api_gateway_stage (cache cluster enabled)")
    if "aws_lambda_provisioned_concurrency_config" in resources:
        unpriced.append("aws_lambda_provisioned_concurrency_config")
    return lines, unpriced


def by_category(lines: list[Line]) -> dict[str, float]:
    """Monthly totals per category, largest first."""
    totals: dict[str, float] = defaultdict(float)
    for line in lines:
        totals[line.category] += line.monthly
    return dict(sorted(totals.items(), key=lambda item: -item[1]))
