"""API Gateway's account-wide CloudWatch role: one per AWS account and region."""

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.api_gateway_account import ApiGatewayAccount
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from stacks.base.iam import assume_role_policy


@dataclass(frozen=True)
class ApiGatewayLoggingProps:
    """Inputs of ``ApiGatewayLogging``."""

    role_name: str
    partition: str


class ApiGatewayLogging(Construct):
    """The role API Gateway writes execution and access logs with, set as the account's setting.

    The setting is one per account and region, whatever the number of APIs: a single stack must
    own it, or environments sharing an account overwrite it in turn and destroying one of them
    removes it from the others.
    """

    def __init__(self, scope: Construct, construct_id: str, props: ApiGatewayLoggingProps):
        super().__init__(scope, construct_id)
        self.role = IamRole(
            self,
            "role",
            name=props.role_name,
            assume_role_policy=assume_role_policy("apigateway.amazonaws.com"),
        )
        attachment = IamRolePolicyAttachment(
            self,
            "role-policy",
            role=self.role.name,
            policy_arn=(
                f"arn:{props.partition}:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs"
            ),
        )
        self.account = ApiGatewayAccount(
            self, "account", cloudwatch_role_arn=self.role.arn, depends_on=[attachment]
        )
