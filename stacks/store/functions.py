"""The store's Lambda functions, one per resource, each with its own least-privilege role."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf import AssetType, Postcondition, TerraformAsset, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_lambda_layer_version import DataAwsLambdaLayerVersion
from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.lambda_function import (
    LambdaFunction,
    LambdaFunctionEnvironment,
    LambdaFunctionTracingConfig,
    LambdaFunctionVpcConfig,
)
from constructs import Construct

from handlers.store.spec import manifest, settings
from stacks.base.iam import assume_role_policy, policy_document, statement

RUNTIME = "python3.12"
# What a function's role grants besides its tables (stacks/platform/role_boundary.py bounds every
# role of the environment by the same actions): the environment's key, its own log group's streams,
# and what Lambda does with the role to place the function in the network.
KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt")
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
CREATE_INTERFACE = "ec2:CreateNetworkInterface"
INTERFACE_ACTIONS = (
    "ec2:AssignPrivateIpAddresses",
    "ec2:DeleteNetworkInterface",
    "ec2:UnassignPrivateIpAddresses",
)
# Listing a table's streams (what Lambda's mapping does with the stream reader's role) takes no
# resource ARN: IAM applies it on "*" only.
STREAM_LISTING = "dynamodb:ListStreams"
# Actions that accept no resource ARN, so "Resource": "*" is the only form IAM takes for them:
# X-Ray's segment upload, and EC2's Describe* (Lambda's documentation: DescribeNetworkInterfaces
# "only works if it's allowed on all resources").
RESOURCELESS_ACTIONS = (
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
)


def log_group_name(prefix: str, spec: manifest.FunctionSpec) -> str:
    """The function's log group: Lambda's default name for ``<prefix>-<name>``."""
    return f"/aws/lambda/{prefix}-{spec.name}"


@dataclass(frozen=True)
class FunctionsProps:  # pylint: disable=too-many-instance-attributes  # one per setting
    """Inputs of ``Functions``."""

    prefix: str
    environment: str
    partition: str
    region: str
    account_id: str
    source_dir: str
    tables: Mapping[str, DynamodbTable]
    kms_key_arn: str
    subnet_ids: list[str]
    security_group_ids: list[str]
    memory_mb: int
    timeout_seconds: int
    reserved_concurrency: int
    log_retention_days: int
    log_level: str
    cors_allowed_origins: tuple[str, ...]
    layers: tuple[str, ...]
    # The Powertools release each layer must ship (checked at plan time against its description).
    layer_release: str
    # ARN of the managed policy bounding each function's role; None: no boundary.
    permissions_boundary: str | None
    specs: tuple[manifest.FunctionSpec, ...] = manifest.ALL
    # For each function, the ARNs of the manifest's logical resources (stacks/events.py), and
    # the event settings' values by their names: what the event functions' specs name.
    access_arns: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    event_settings: Mapping[str, str] = field(default_factory=dict)


class Functions(Construct):
    """One Lambda per function of the manifest (the API's and the events') from ``handlers/``.

    Each function runs in the private subnets with X-Ray active and reserved concurrency, logs to
    its own encrypted log group, and assumes a role of its own whose inline policy grants exactly
    the DynamoDB actions that ``handlers/store/spec/manifest.py`` lists, on exactly those tables
    and their indexes, what reading its event source takes (its queue, or its tables' streams),
    its actions on the event resources it names, plus the key for pagination tokens and its own
    log group. A second inline
    policy grants what the platform needs: network interfaces in the functions' own subnets and
    security groups, and X-Ray uploads. No AWS-managed policy is attached.
    """

    def __init__(self, scope: Construct, construct_id: str, props: FunctionsProps):
        super().__init__(scope, construct_id)
        self.asset = TerraformAsset(self, "code", path=props.source_dir, type=AssetType.ARCHIVE)
        self.functions: dict[str, LambdaFunction] = {}
        self.roles: dict[str, IamRole] = {}
        self.log_groups: dict[str, CloudwatchLogGroup] = {}
        self._check_layers(props.layers, props.layer_release)
        for spec in props.specs:
            self._function(spec, props)

    def _check_layers(self, layers: tuple[str, ...], release: str) -> None:
        """Fail `terraform plan` when a layer does not ship the Powertools release the tests ran
        against. The public layer's description ends with the release it ships."""
        for index, arn in enumerate(layers):
            name, _, version = arn.rpartition(":")
            DataAwsLambdaLayerVersion(
                self,
                f"layer-{index}",
                layer_name=name,
                version=int(version),
                lifecycle=TerraformResourceLifecycle(
                    postcondition=[
                        Postcondition(
                            condition=f'${{endswith(self.description, " {release}")}}',
                            error_message=(
                                f"Lambda layer {arn} does not ship Powertools {release}, the "
                                "release Pipfile.lock pins: set POWERTOOLS_LAYER in "
                                "stacks/base/config.py to the layer version that does."
                            ),
                        )
                    ]
                ),
            )

    def _function(self, spec: manifest.FunctionSpec, props: FunctionsProps) -> None:
        name = f"{props.prefix}-{spec.name}"
        log_group = CloudwatchLogGroup(
            self,
            f"{spec.name}-logs",
            name=log_group_name(props.prefix, spec),
            retention_in_days=props.log_retention_days,
            kms_key_id=props.kms_key_arn,
        )
        role, policies = self._role(spec, props, log_group.arn)
        self.functions[spec.name] = LambdaFunction(
            self,
            spec.name,
            function_name=name,
            description=f"Store events: {spec.name}"
            if spec.access
            else f"Store API: /{spec.name} routes",
            role=role.arn,
            runtime=RUNTIME,
            handler=spec.handler,
            filename=self.asset.path,
            source_code_hash=self.asset.asset_hash,
            memory_size=props.memory_mb,
            timeout=props.timeout_seconds,
            reserved_concurrent_executions=props.reserved_concurrency,
            layers=list(props.layers) or None,
            kms_key_arn=props.kms_key_arn,
            environment=LambdaFunctionEnvironment(variables=self.environment(spec, props)),
            tracing_config=LambdaFunctionTracingConfig(mode="Active"),
            vpc_config=LambdaFunctionVpcConfig(
                subnet_ids=props.subnet_ids, security_group_ids=props.security_group_ids
            ),
            # The log group must exist (with its retention and key) before Lambda creates one.
            depends_on=[log_group, *policies],
        )
        self.roles[spec.name] = role
        self.log_groups[spec.name] = log_group

    def _role(
        self, spec: manifest.FunctionSpec, props: FunctionsProps, log_group_arn: str
    ) -> tuple[IamRole, list[IamRolePolicy]]:
        """The function's own role and its two inline policies: its access, and the runtime's."""
        name = f"{props.prefix}-{spec.name}"
        role = IamRole(
            self,
            f"{spec.name}-role",
            name=f"{name}-role",
            assume_role_policy=assume_role_policy("lambda.amazonaws.com"),
            permissions_boundary=props.permissions_boundary,
        )
        access = IamRolePolicy(
            self,
            f"{spec.name}-policy",
            role=role.id,
            name=f"{name}-access",
            policy=self.policy(spec, props, log_group_arn),
        )
        runtime = IamRolePolicy(
            self,
            f"{spec.name}-runtime-policy",
            role=role.id,
            name=f"{name}-runtime",
            policy=self.runtime_policy(props),
        )
        return role, [access, runtime]

    @staticmethod
    def environment(spec: manifest.FunctionSpec, props: FunctionsProps) -> dict[str, str]:
        """The function's configuration, by the names in ``handlers/store/spec/settings.py``."""
        return (
            {grant.env_var: props.tables[grant.table.name].name for grant in spec.grants}
            | {
                settings.PAGINATION_KEY_ID: props.kms_key_arn,
                settings.CORS_ALLOWED_ORIGINS: ",".join(props.cors_allowed_origins),
                settings.ENVIRONMENT: props.environment,
                settings.LOG_LEVEL: props.log_level,
                settings.SERVICE_NAME: f"{props.prefix}-{spec.name}",
            }
            | {name: props.event_settings[name] for name in spec.environment}
        )

    @staticmethod
    def runtime_policy(props: FunctionsProps) -> str:
        """What Lambda itself needs for the function: its network interfaces and X-Ray.

        In place of AWSLambdaVPCAccessExecutionRole (logs:* and ec2 actions, all on "*"):
        an interface may be created only in the functions' own subnets with their own security
        groups; the interface actions name this account and region's interfaces, whose ids do
        not exist before Lambda creates them.
        """
        ec2 = f"arn:{props.partition}:ec2:{props.region}:{props.account_id}"
        interfaces = f"{ec2}:network-interface/*"
        return policy_document(
            statement(
                CREATE_INTERFACE,
                [interfaces]
                + [f"{ec2}:subnet/{subnet}" for subnet in props.subnet_ids]
                + [f"{ec2}:security-group/{group}" for group in props.security_group_ids],
            ),
            statement(list(INTERFACE_ACTIONS), interfaces),
            statement(list(RESOURCELESS_ACTIONS), "*"),
        )

    @staticmethod
    def policy(spec: manifest.FunctionSpec, props: FunctionsProps, log_group_arn: str) -> str:
        """The function's inline policy: its grants, the key, its own log group. No wildcards."""
        statements = []
        for grant in spec.grants:
            table_arn = props.tables[grant.table.name].arn
            statements.append(statement(sorted(grant.actions), table_arn))
            if grant.index_actions:
                statements.append(
                    statement(
                        sorted(grant.index_actions),
                        [f"{table_arn}/index/{index.name}" for index in grant.indexes],
                    )
                )
        statements += Functions._event_statements(spec, props)
        statements.append(statement(list(KEY_ACTIONS), props.kms_key_arn))
        statements.append(statement(list(LOG_ACTIONS), f"{log_group_arn}:*"))
        return policy_document(*statements)

    @staticmethod
    def _event_statements(spec: manifest.FunctionSpec, props: FunctionsProps) -> list[dict]:
        """Its access to the event resources (its queue, the streams, the bus...), each on the
        ARNs the stack gives that logical resource; listing streams takes no ARN."""
        statements = []
        for access in spec.access:
            named = sorted(set(access.actions) - {STREAM_LISTING})
            statements.append(statement(named, list(props.access_arns[spec.name][access.resource])))
            if STREAM_LISTING in access.actions:
                statements.append(statement(STREAM_LISTING, "*"))
        return statements
