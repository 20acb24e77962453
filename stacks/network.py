"""The environment's network: where the functions run and how they reach AWS services."""

import ipaddress
from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from stacks.iam import assume_role_policy, policy_document, statement

HTTPS = 443


@dataclass(frozen=True)
class NetworkProps:
    """Inputs of ``Network``."""

    prefix: str
    region: str
    cidr: str
    zones: tuple[str, ...]
    log_retention_days: int
    kms_key_arn: str
    # Rule descriptions the platform may not report back (the emulator's, for rules that name a
    # prefix list or a security group): Terraform must not see that as drift.
    ignore_rule_description_drift: bool = False


def subnet_cidrs(cidr: str, zone_count: int) -> tuple[list[str], list[str]]:
    """Public and private subnet CIDRs: the VPC cut in sixteen, publics first, privates from 8."""
    blocks = list(ipaddress.IPv4Network(cidr).subnets(prefixlen_diff=4))
    return (
        [str(b) for b in blocks[:zone_count]],
        [str(b) for b in blocks[8 : 8 + zone_count]],
    )


class Network(Construct):
    """VPC with a public and a private subnet per zone, and no NAT gateway.

    The functions run in the private subnets with one egress-only security group. They reach
    DynamoDB through a gateway endpoint on the private route tables (free) and KMS through an
    interface endpoint (for pagination tokens and environment decryption), so the private subnets
    need no route to the internet at all. The default security group is emptied so nothing can
    use it by accident, and the VPC's flow logs go to an encrypted log group.
    """

    def __init__(self, scope: Construct, construct_id: str, props: NetworkProps):
        super().__init__(scope, construct_id)
        prefix = props.prefix
        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=props.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": f"{prefix}-vpc"},
        )
        DefaultSecurityGroup(self, "default-sg", vpc_id=self.vpc.id, ingress=[], egress=[])
        igw = InternetGateway(self, "igw", vpc_id=self.vpc.id, tags={"Name": f"{prefix}-igw"})

        public_rt = RouteTable(
            self, "public-rt", vpc_id=self.vpc.id, tags={"Name": f"{prefix}-public"}
        )
        Route(
            self,
            "public-default-route",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
        )
        public_cidrs, private_cidrs = subnet_cidrs(props.cidr, len(props.zones))
        self.public_subnets: list[Subnet] = []
        self.private_subnets: list[Subnet] = []
        self.private_route_tables: list[RouteTable] = []
        for index, zone in enumerate(props.zones):
            public = Subnet(
                self,
                f"public-{index}",
                vpc_id=self.vpc.id,
                cidr_block=public_cidrs[index],
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={"Name": f"{prefix}-public-{index}", "tier": "public"},
            )
            RouteTableAssociation(
                self, f"public-{index}-rta", subnet_id=public.id, route_table_id=public_rt.id
            )
            private = Subnet(
                self,
                f"private-{index}",
                vpc_id=self.vpc.id,
                cidr_block=private_cidrs[index],
                availability_zone=zone,
                tags={"Name": f"{prefix}-private-{index}", "tier": "private"},
            )
            private_rt = RouteTable(
                self,
                f"private-{index}-rt",
                vpc_id=self.vpc.id,
                tags={"Name": f"{prefix}-private-{index}"},
            )
            RouteTableAssociation(
                self, f"private-{index}-rta", subnet_id=private.id, route_table_id=private_rt.id
            )
            self.public_subnets.append(public)
            self.private_subnets.append(private)
            self.private_route_tables.append(private_rt)

        self.dynamodb_endpoint = VpcEndpoint(
            self,
            "dynamodb-endpoint",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{props.region}.dynamodb",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in self.private_route_tables],
            tags={"Name": f"{prefix}-dynamodb"},
        )
        self.security_group = SecurityGroup(
            self,
            "functions-sg",
            name=f"{prefix}-functions",
            description="Store API functions: no inbound, HTTPS out to DynamoDB and KMS only",
            vpc_id=self.vpc.id,
            tags={"Name": f"{prefix}-functions"},
        )
        rule_lifecycle = (
            TerraformResourceLifecycle(ignore_changes=["description"])
            if props.ignore_rule_description_drift
            else None
        )
        endpoints_sg = SecurityGroup(
            self,
            "endpoints-sg",
            name=f"{prefix}-endpoints",
            description="Interface endpoints: HTTPS in from the functions only",
            vpc_id=self.vpc.id,
            tags={"Name": f"{prefix}-endpoints"},
        )
        VpcSecurityGroupIngressRule(
            self,
            "endpoints-in",
            security_group_id=endpoints_sg.id,
            description="HTTPS from the store functions",
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            referenced_security_group_id=self.security_group.id,
            lifecycle=rule_lifecycle,
        )
        VpcSecurityGroupEgressRule(
            self,
            "functions-to-dynamodb",
            security_group_id=self.security_group.id,
            description="HTTPS to DynamoDB through the gateway endpoint",
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            prefix_list_id=self.dynamodb_endpoint.prefix_list_id,
            lifecycle=rule_lifecycle,
        )
        VpcSecurityGroupEgressRule(
            self,
            "functions-to-endpoints",
            security_group_id=self.security_group.id,
            description="HTTPS to the KMS interface endpoint",
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            referenced_security_group_id=endpoints_sg.id,
            lifecycle=rule_lifecycle,
        )
        self.kms_endpoint = VpcEndpoint(
            self,
            "kms-endpoint",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{props.region}.kms",
            vpc_endpoint_type="Interface",
            private_dns_enabled=True,
            subnet_ids=[s.id for s in self.private_subnets],
            security_group_ids=[endpoints_sg.id],
            tags={"Name": f"{prefix}-kms"},
        )
        self._flow_logs(props)

    def _flow_logs(self, props: NetworkProps) -> None:
        log_group = CloudwatchLogGroup(
            self,
            "flow-logs",
            name=f"/vpc/{props.prefix}/flow-logs",
            retention_in_days=props.log_retention_days,
            kms_key_id=props.kms_key_arn,
        )
        role = IamRole(
            self,
            "flow-logs-role",
            name=f"{props.prefix}-flow-logs",
            assume_role_policy=assume_role_policy("vpc-flow-logs.amazonaws.com"),
        )
        IamRolePolicy(
            self,
            "flow-logs-policy",
            role=role.id,
            name="write-flow-logs",
            policy=policy_document(
                statement(
                    ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    f"{log_group.arn}:*",
                )
            ),
        )
        self.flow_log = FlowLog(
            self,
            "flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
        )
