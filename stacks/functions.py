"""The store's Lambda functions, one per resource, each with its own least-privilege role."""

from collections.abc import Mapping
from dataclasses import dataclass

from cdktf import AssetType, TerraformAsset
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.lambda_function import (
    LambdaFunction,
    LambdaFunctionEnvironment,
    LambdaFunctionTracingConfig,
    LambdaFunctionVpcConfig,
)
from constructs import Construct

from handlers.store import manifest, settings
from stacks.iam import assume_role_policy, policy_document, statement

RUNTIME = "python3.12"
# AWS-managed policies whose actions take no resource-level permissions (ENIs, X-Ray segments).
MANAGED_POLICIES = (
    "service-role/AWSLambdaVPCAccessExecutionRole",
    "AWSXRayDaemonWriteAccess",
)


@dataclass(frozen=True)
class FunctionsProps:
    """Inputs of ``Functions``."""

    prefix: str
    environment: str
    partition: str
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
    specs: tuple[manifest.FunctionSpec, ...] = manifest.ALL


class Functions(Construct):
    """One Lambda per resource (products, users, orders) from the ``handlers/`` directory.

    Each function runs in the private subnets with X-Ray active and reserved concurrency, logs to
    its own encrypted log group, and assumes a role of its own whose inline policy grants exactly
    the DynamoDB actions that ``handlers/store/manifest.py`` lists, on exactly those tables and
    their indexes, plus the key for pagination tokens and its own log group.
    """

    def __init__(self, scope: Construct, construct_id: str, props: FunctionsProps):
        super().__init__(scope, construct_id)
        self.asset = TerraformAsset(self, "code", path=props.source_dir, type=AssetType.ARCHIVE)
        self.functions: dict[str, LambdaFunction] = {}
        self.roles: dict[str, IamRole] = {}
        self.log_groups: dict[str, CloudwatchLogGroup] = {}
        for spec in props.specs:
            self._function(spec, props)

    def _function(self, spec: manifest.FunctionSpec, props: FunctionsProps) -> None:
        name = f"{props.prefix}-{spec.name}"
        log_group = CloudwatchLogGroup(
            self,
            f"{spec.name}-logs",
            name=f"/aws/lambda/{name}",
            retention_in_days=props.log_retention_days,
            kms_key_id=props.kms_key_arn,
        )
        role = IamRole(
            self,
            f"{spec.name}-role",
            name=f"{name}-role",
            assume_role_policy=assume_role_policy("lambda.amazonaws.com"),
        )
        policy = IamRolePolicy(
            self,
            f"{spec.name}-policy",
            role=role.id,
            name=f"{name}-access",
            policy=self.policy(spec, props, log_group.arn),
        )
        attachments = [
            IamRolePolicyAttachment(
                self,
                f"{spec.name}-{managed.rsplit('/', 1)[-1]}",
                role=role.name,
                policy_arn=f"arn:{props.partition}:iam::aws:policy/{managed}",
            )
            for managed in MANAGED_POLICIES
        ]
        variables = {
            grant.env_var: props.tables[grant.table.name].name for grant in spec.grants
        } | {
            settings.PAGINATION_KEY_ID: props.kms_key_arn,
            settings.CORS_ALLOWED_ORIGINS: ",".join(props.cors_allowed_origins),
            settings.ENVIRONMENT: props.environment,
            settings.LOG_LEVEL: props.log_level,
            settings.SERVICE_NAME: name,
        }
        self.functions[spec.name] = LambdaFunction(
            self,
            spec.name,
            function_name=name,
            description=f"Store API: /{spec.name} routes",
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
            environment=LambdaFunctionEnvironment(variables=variables),
            tracing_config=LambdaFunctionTracingConfig(mode="Active"),
            vpc_config=LambdaFunctionVpcConfig(
                subnet_ids=props.subnet_ids, security_group_ids=props.security_group_ids
            ),
            # The log group must exist (with its retention and key) before Lambda creates one.
            depends_on=[log_group, policy, *attachments],
        )
        self.roles[spec.name] = role
        self.log_groups[spec.name] = log_group

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
                        [f"{table_arn}/index/{index.name}" for index in grant.table.indexes],
                    )
                )
        statements.append(statement(["kms:Decrypt", "kms:Encrypt"], props.kms_key_arn))
        statements.append(
            statement(["logs:CreateLogStream", "logs:PutLogEvents"], f"{log_group_arn}:*")
        )
        return policy_document(*statements)
