"""The deployed network: subnets, routes, the DynamoDB endpoint, the functions' security group."""

import pytest


@pytest.fixture(scope="module")
def route_tables(aws, outputs):
    """Route tables of the VPC, by the subnet ids they are associated with."""
    tables = aws("ec2").describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [outputs["VpcId"]]}]
    )["RouteTables"]
    by_subnet = {}
    for table in tables:
        for association in table.get("Associations", []):
            if association.get("SubnetId"):
                by_subnet[association["SubnetId"]] = table
    return by_subnet


def _reaches_internet(table) -> bool:
    return any(
        r.get("DestinationCidrBlock") == "0.0.0.0/0" and r.get("GatewayId", "").startswith("igw-")
        for r in table["Routes"]
    )


def test_vpc(aws, outputs, config):
    vpc = aws("ec2").describe_vpcs(VpcIds=[outputs["VpcId"]])["Vpcs"][0]
    assert vpc["CidrBlock"] == outputs["VpcCidr"] == config.vpc_cidr


def test_subnets_belong_to_the_vpc_one_per_zone(aws, outputs, config):
    ids = outputs["PublicSubnetIds"] + outputs["PrivateSubnetIds"]
    subnets = aws("ec2").describe_subnets(SubnetIds=ids)["Subnets"]
    assert {s["VpcId"] for s in subnets} == {outputs["VpcId"]}
    for group in ("PublicSubnetIds", "PrivateSubnetIds"):
        zones = {s["AvailabilityZoneId"] for s in subnets if s["SubnetId"] in outputs[group]}
        # The zones the configuration names by ID, whatever names this account gives them.
        assert zones == set(config.zone_ids)


def test_public_and_private_split_by_their_routes(route_tables, outputs):
    for subnet in outputs["PublicSubnetIds"]:
        assert _reaches_internet(route_tables[subnet]), subnet
    for subnet in outputs["PrivateSubnetIds"]:
        assert not _reaches_internet(route_tables[subnet]), subnet
        assert not any(r.get("NatGatewayId") for r in route_tables[subnet]["Routes"])


def test_dynamodb_endpoint_serves_the_private_route_tables(aws, outputs, route_tables):
    endpoints = aws("ec2").describe_vpc_endpoints(
        Filters=[{"Name": "vpc-id", "Values": [outputs["VpcId"]]}]
    )["VpcEndpoints"]
    dynamodb = [e for e in endpoints if e["ServiceName"].endswith(".dynamodb")]
    assert len(dynamodb) == 1
    assert dynamodb[0]["VpcEndpointType"] == "Gateway"
    private = {route_tables[s]["RouteTableId"] for s in outputs["PrivateSubnetIds"]}
    assert set(dynamodb[0]["RouteTableIds"]) == private


def test_functions_security_group_is_egress_only_https(aws, outputs):
    group = aws("ec2").describe_security_groups(GroupIds=[outputs["SecurityGroupId"]])[
        "SecurityGroups"
    ][0]
    assert group["VpcId"] == outputs["VpcId"]
    assert group["IpPermissions"] == []
    assert group["IpPermissionsEgress"], "the functions need HTTPS to DynamoDB and KMS"
    for rule in group["IpPermissionsEgress"]:
        assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 443, 443)
        assert not rule.get("IpRanges"), "no egress to arbitrary addresses"


def test_default_security_group_has_no_rules(aws, outputs):
    group = aws("ec2").describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [outputs["VpcId"]]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"][0]
    assert group["IpPermissions"] == [] and group["IpPermissionsEgress"] == []


def test_flow_logs_on(aws, outputs):
    logs = aws("ec2").describe_flow_logs(
        Filters=[{"Name": "resource-id", "Values": [outputs["VpcId"]]}]
    )["FlowLogs"]
    assert len(logs) == 1 and logs[0]["TrafficType"] == "ALL"
