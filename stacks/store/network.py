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

from stacks.base.iam import assume_role_policy, policy_document, statement

HTTPS = 443
# What VPC Flow Logs does with its role (AWS's flow logs guide lists these five as the least it
# needs): all but one on the flow log group and its streams only...
FLOW_LOG_ACTIONS = (
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "logs:DescribeLogStreams",
)
# ...and DescribeLogGroups, which takes no resource ("*" is the only form IAM accepts for it).
FLOW_LOG_RESOURCELESS_ACTIONS = ("logs:DescribeLogGroups",)


def flow_log_group_name(prefix: str) -> str:
    """The log group the VPC's flow logs go to."""
    return f"/vpc/{prefix}/flow-logs"


def flow_log_resources(group_arn: str) -> list[str]:
    """The flow log group and its streams: CloudWatch Logs checks some of the actions against
    the group (``log-group:<name>``), the others against a stream in it."""
    return [group_arn, f"{group_arn}:*"]


@dataclass(frozen=True)
class NetworkProps:
    """Inputs of ``Network``."""

    prefix: str
    region: str
    cidr: str
    # Availability zone IDs (use1-az1), the same physical zones in every account.
    zone_ids: tuple[str, ...]
    log_retention_days: int
    kms_key_arn: str
    # ARN of the managed policy bounding the flow logs' role; None: no boundary.
    permissions_boundary: str | None
    # Rule descriptions the platform may not report back (the emulator's, for rules that name a
    # prefix list or a security group): Terraform must not see that as drift.
    ignore_rule_description_drift: bool = False
    # The AWS services the functions call through interface endpoints (com.amazonaws.<region>.X).
    interface_services: tuple[str, ...] = ("kms",)
    # How many of the zones (the first) hold the interface endpoints; None: every zone.
    interface_endpoint_zones: int | None = None


def subnet_cidrs(cidr: str, zone_count: int) -> tuple[list[str], list[str]]:
    """Public and private subnet CIDRs: the VPC cut in sixteen, publics first, privates from 8."""
    blocks = list(ipaddress.IPv4Network(cidr).subnets(prefixlen_diff=4))
    return (
        [str(b) for b in blocks[:zone_count]],
        [str(b) for b in blocks[8 : 8 + zone_count]],
    )


class Network(Construct):
    """VPC with a public and a private subnet per zone (chosen by zone ID), and no NAT gateway.

    The functions run in the private subnets with one egress-only security group. They reach
    DynamoDB through a gateway endpoint on the private route tables (free) and the other services
    they call through interface endpoints (KMS for pagination tokens and environment decryption;
    EventBridge, SNS and SES for the order events), in every zone or in the first few as
    configured, so the private subnets need no route to the internet at all. The default
    security group is emptied so nothing can use it by accident, and the VPC's flow logs go to
    an encrypted log group.
    """

    def __init__(self, scope: Construct, construct_id: str, props: NetworkProps):
        super().__init__(scope, construct_id)
        self.props = props
        self.vpc = self._vpc()
        self.public_subnets: list[Subnet] = []
        self.private_subnets: list[Subnet] = []
        self.private_route_tables: list[RouteTable] = []
        self._subnets()
        self.dynamodb_endpoint = self._dynamodb_endpoint()
        self.security_group = self._security_group(
            "functions-sg",
            "functions",
            "Store API functions: no inbound, HTTPS out to DynamoDB and KMS only",
        )
        endpoints_sg = self._security_group(
            "endpoints-sg", "endpoints", "Interface endpoints: HTTPS in from the functions only"
        )
        self._https_rules(endpoints_sg)
        self.interface_endpoints = {
            service: self._interface_endpoint(service, endpoints_sg)
            for service in props.interface_services
        }
        self._flow_logs()

    def _vpc(self) -> Vpc:
        """The VPC, its emptied default security group and its internet gateway."""
        prefix = self.props.prefix
        vpc = Vpc(
            self,
            "vpc",
            cidr_block=self.props.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": f"{prefix}-vpc"},
        )
        DefaultSecurityGroup(self, "default-sg", vpc_id=vpc.id, ingress=[], egress=[])
        return vpc

    def _subnets(self) -> None:
        """A public and a private subnet per zone: the publics share one route table to the
        internet gateway, each private has a route table of its own with no route out."""
        prefix = self.props.prefix
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
        public_cidrs, private_cidrs = subnet_cidrs(self.props.cidr, len(self.props.zone_ids))
        for index, zone in enumerate(self.props.zone_ids):
            public = self._subnet(f"public-{index}", zone, public_cidrs[index], "public")
            RouteTableAssociation(
                self, f"public-{index}-rta", subnet_id=public.id, route_table_id=public_rt.id
            )
            private = self._subnet(f"private-{index}", zone, private_cidrs[index], "private")
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

    def _subnet(self, name: str, zone_id: str, cidr: str, tier: str) -> Subnet:
        return Subnet(
            self,
            name,
            vpc_id=self.vpc.id,
            cidr_block=cidr,
            availability_zone_id=zone_id,
            map_public_ip_on_launch=False if tier == "public" else None,
            tags={"Name": f"{self.props.prefix}-{name}", "tier": tier},
        )

    def _dynamodb_endpoint(self) -> VpcEndpoint:
        """DynamoDB through a (free) gateway endpoint on the private route tables."""
        return VpcEndpoint(
            self,
            "dynamodb-endpoint",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{self.props.region}.dynamodb",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in self.private_route_tables],
            tags={"Name": f"{self.props.prefix}-dynamodb"},
        )

    def _security_group(self, construct_id: str, name: str, description: str) -> SecurityGroup:
        """A security group without rules (each rule is a resource of its own)."""
        prefix = self.props.prefix
        return SecurityGroup(
            self,
            construct_id,
            name=f"{prefix}-{name}",
            description=description,
            vpc_id=self.vpc.id,
            tags={"Name": f"{prefix}-{name}"},
        )

    def _https_rules(self, endpoints_sg: SecurityGroup) -> None:
        """HTTPS from the functions to DynamoDB's prefix list and to the interface endpoints,
        and into the endpoints from the functions only."""
        functions_sg = self.security_group.id
        self._https_rule(
            VpcSecurityGroupIngressRule,
            "endpoints-in",
            endpoints_sg.id,
            "HTTPS from the store functions",
            referenced_security_group_id=functions_sg,
        )
        self._https_rule(
            VpcSecurityGroupEgressRule,
            "functions-to-dynamodb",
            functions_sg,
            "HTTPS to DynamoDB through the gateway endpoint",
            prefix_list_id=self.dynamodb_endpoint.prefix_list_id,
        )
        self._https_rule(
            VpcSecurityGroupEgressRule,
            "functions-to-endpoints",
            functions_sg,
            "HTTPS to the interface endpoints",
            referenced_security_group_id=endpoints_sg.id,
        )

    def _https_rule(
        self,
        kind: type[VpcSecurityGroupIngressRule] | type[VpcSecurityGroupEgressRule],
        construct_id: str,
        group_id: str,
        description: str,
        **peer: str,
    ) -> None:
        # Rule descriptions the platform may not report back must not show as drift.
        lifecycle = (
            TerraformResourceLifecycle(ignore_changes=["description"])
            if self.props.ignore_rule_description_drift
            else None
        )
        kind(
            self,
            construct_id,
            security_group_id=group_id,
            description=description,
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            lifecycle=lifecycle,
            **peer,
        )

    def _interface_endpoint(self, service: str, endpoints_sg: SecurityGroup) -> VpcEndpoint:
        """A service (KMS, EventBridge, SNS, SES's API) through an interface endpoint in the
        private subnets, with private DNS, so the functions' calls to it never leave the VPC."""
        return VpcEndpoint(
            self,
            f"{service}-endpoint",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{self.props.region}.{service}",
            vpc_endpoint_type="Interface",
            private_dns_enabled=True,
            # A function in a zone without the endpoint reaches it in another zone.
            subnet_ids=[s.id for s in self.private_subnets[: self.props.interface_endpoint_zones]],
            security_group_ids=[endpoints_sg.id],
            tags={"Name": f"{self.props.prefix}-{service}"},
        )

    def _flow_logs(self) -> None:
        """Every flow of the VPC, into an encrypted log group, through a role of its own."""
        props = self.props
        log_group = CloudwatchLogGroup(
            self,
            "flow-logs",
            name=flow_log_group_name(props.prefix),
            retention_in_days=props.log_retention_days,
            kms_key_id=props.kms_key_arn,
        )
        role = IamRole(
            self,
            "flow-logs-role",
            name=f"{props.prefix}-flow-logs",
            assume_role_policy=assume_role_policy("vpc-flow-logs.amazonaws.com"),
            permissions_boundary=props.permissions_boundary,
        )
        policy = IamRolePolicy(
            self,
            "flow-logs-policy",
            role=role.id,
            name="write-flow-logs",
            policy=policy_document(
                statement(list(FLOW_LOG_ACTIONS), flow_log_resources(log_group.arn)),
                statement(list(FLOW_LOG_RESOURCELESS_ACTIONS), "*"),
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
            # The role alone is not enough: without its policy, the first deliveries (made as
            # soon as the flow log exists) are refused, and the flow log reports an access error.
            depends_on=[policy],
        )
