"""Network: subnets per zone, routes, endpoints, the functions' security group, flow logs."""

import json

import pytest
from cdktf import Testing

from stacks.base.config import load
from stacks.store.network import subnet_cidrs
from stacks.store.store_stack import StoreStack


def test_subnets_per_zone(env):
    subnets = env.resources("aws_subnet")
    zones = env.config.az_count
    assert len([s for s in subnets.values() if s["tags"]["tier"] == "public"]) == zones
    assert len([s for s in subnets.values() if s["tags"]["tier"] == "private"]) == zones
    assert all(s.get("map_public_ip_on_launch") is not True for s in subnets.values())
    # By zone ID, the same physical zone in every account; never by name.
    assert all("availability_zone" not in s for s in subnets.values())
    zones = sorted({s["availability_zone_id"] for s in subnets.values()})
    assert zones == sorted(env.config.zone_ids)
    assert env.json.get("data", {}).get("aws_availability_zones") is None


def test_only_public_route_table_reaches_the_internet(env):
    routes = env.resources("aws_route")
    assert len(routes) == 1
    route = next(iter(routes.values()))
    assert route["destination_cidr_block"] == "0.0.0.0/0"
    assert "aws_internet_gateway" in route["gateway_id"]
    assert "public-rt" in route["route_table_id"]
    assert env.resources("aws_nat_gateway") == {}


def test_dynamodb_gateway_endpoint_on_private_route_tables(env):
    endpoint = env.one("aws_vpc_endpoint", "dynamodb")
    assert endpoint["vpc_endpoint_type"] == "Gateway"
    assert endpoint["service_name"] == f"com.amazonaws.{env.config.region}.dynamodb"
    assert len(endpoint["route_table_ids"]) == env.config.az_count
    assert all("private" in rt for rt in endpoint["route_table_ids"])


@pytest.mark.parametrize("service", ["kms", "events", "sns", "email"])
def test_interface_endpoints_in_private_subnets(env, service):
    # KMS for the functions' keys; EventBridge, SNS and SES's API for the event functions.
    endpoint = env.one("aws_vpc_endpoint", f"{service}-endpoint")
    assert endpoint["service_name"] == f"com.amazonaws.{env.config.region}.{service}"
    assert endpoint["vpc_endpoint_type"] == "Interface"
    assert endpoint["private_dns_enabled"] is True
    # dev: the first zone only (its idle cost); the others: every zone of the network.
    zones = {"dev": [0], "staging": [0, 1], "prod": [0, 1, 2], "local": [0, 1]}
    subnets = env.resources("aws_subnet")
    named = [subnets[ref.split(".")[1]]["tags"]["Name"] for ref in endpoint["subnet_ids"]]
    assert named == [f"{env.config.prefix}-private-{index}" for index in zones[env.config.name]]


def test_functions_security_group_is_egress_only_and_described(env):
    assert env.resources("aws_security_group_rule") == {}
    egress = env.resources("aws_vpc_security_group_egress_rule")
    assert len(egress) == 2
    for rule in egress.values():
        assert "functions-sg" in rule["security_group_id"]
        assert rule["description"]
        assert (rule["from_port"], rule["to_port"], rule["ip_protocol"]) == (443, 443, "tcp")
        assert "cidr_ipv4" not in rule
    ingress = env.resources("aws_vpc_security_group_ingress_rule")
    assert len(ingress) == 1
    rule = next(iter(ingress.values()))
    assert "endpoints-sg" in rule["security_group_id"]
    assert "functions-sg" in rule["referenced_security_group_id"]
    for group in env.resources("aws_security_group").values():
        assert "ingress" not in group and "egress" not in group
        assert group["description"]


def test_rule_description_drift_ignored_only_where_configured(env):
    rules = [
        *env.resources("aws_vpc_security_group_egress_rule").values(),
        *env.resources("aws_vpc_security_group_ingress_rule").values(),
    ]
    ignored = env.config.ignore_rule_description_drift
    assert ignored is (env.config.name == "local")  # only the emulator drifts
    expected = {"ignore_changes": ["description"]} if ignored else None
    assert all(rule.get("lifecycle") == expected for rule in rules)


def test_default_security_group_locked_down(env):
    default = env.one("aws_default_security_group")
    assert default["ingress"] == [] and default["egress"] == []


def test_flow_logs(env):
    flow = env.one("aws_flow_log")
    assert flow["traffic_type"] == "ALL"
    group = env.one("aws_cloudwatch_log_group", "flow-logs")
    assert group["retention_in_days"] == env.config.log_retention_days
    assert "aws_kms_key" in group["kms_key_id"]


def test_flow_log_role_has_what_aws_lists_and_is_waited_for(env):
    """AWS's flow logs guide lists the least the role needs; the flow log is created only
    after the role's policy, or its first deliveries are refused."""
    [(key, policy)] = [
        (k, p) for k, p in env.resources("aws_iam_role_policy").items() if "flow-logs" in k
    ]
    statements = json.loads(policy["policy"])["Statement"]
    granted = {action: s["Resource"] for s in statements for action in s["Action"]}
    assert set(granted) == {
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "logs:DescribeLogGroups",
        "logs:DescribeLogStreams",
    }
    [group] = [k for k in env.resources("aws_cloudwatch_log_group") if "flow-logs" in k]
    arn = f"${{aws_cloudwatch_log_group.{group}.arn}}"
    assert granted["logs:DescribeLogGroups"] == "*"
    assert granted["logs:PutLogEvents"] == [arn, f"{arn}:*"]
    assert f"aws_iam_role_policy.{key}" in env.one("aws_flow_log")["depends_on"]


@pytest.mark.parametrize("zones", [2, 3, 6])
def test_subnet_cidrs_do_not_overlap(zones):
    public, private = subnet_cidrs("10.0.0.0/16", zones)
    assert len(set(public + private)) == 2 * zones
    assert public[0] == "10.0.0.0/20" and private[0] == "10.0.128.0/20"


def test_a_region_whose_zone_ids_are_not_1_2_3():
    config = load("prod", {"ECOMMERCE_REGION": "ap-northeast-1"})
    synth = json.loads(Testing.synth(StoreStack(Testing.app(), config)))
    zones = sorted(
        s["availability_zone_id"]
        for key, s in synth["resource"]["aws_subnet"].items()
        if key.startswith("network_private-")
    )
    assert zones == ["apne1-az1", "apne1-az2", "apne1-az4"]
