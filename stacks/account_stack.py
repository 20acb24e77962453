"""The account-level stack: what exists once per AWS account and region, for every environment."""

from constructs import Construct

from stacks.api_gateway_logging import ApiGatewayLogging, ApiGatewayLoggingProps
from stacks.aws_stack import AwsStack
from stacks.ci_permissions import CiScope, deploy_policies, plan_policies
from stacks.config import PROJECT
from stacks.delivery_config import (
    GITHUB_OIDC_AUDIENCE,
    GITHUB_OIDC_URL,
    AccountConfig,
    CiAccess,
)
from stacks.github_ci import CiRoleSpec, GitHubCi, GitHubCiProps


def ci_role_name(environment: str, duty: str) -> str:
    """``ecommerce-ci-<env>-<duty>``: outside the environment's own ``ecommerce-<env>-*`` names,
    so that no deploy role can change its own permissions."""
    return f"{PROJECT}-ci-{environment}-{duty}"


class AccountStack(AwsStack):
    """``ecommerce-account``: API Gateway's CloudWatch role and account setting, GitHub's OIDC
    provider and, per environment, the plan and deploy roles CI assumes. Deployed by hand by an
    administrator, before the environments (their stages log through the account setting)."""

    def __init__(self, scope: Construct, config: AccountConfig):
        super().__init__(
            scope, config.stack_name, state=config.state, region=config.region, tags=config.tags
        )
        self.config = config
        self.api_gateway_logging = None
        self.github = None
        if config.manage_api_gateway_account:
            self.api_gateway_logging = ApiGatewayLogging(
                self,
                "api-gateway-logging",
                ApiGatewayLoggingProps(
                    role_name=f"{PROJECT}-apigateway-cloudwatch", partition=self.partition
                ),
            )
            self.output(
                "ApiGatewayCloudWatchRoleArn",
                self.api_gateway_logging.role.arn,
                "The role API Gateway writes every stage's logs in this account and region with.",
            )
        if config.github_repository:
            self._github(config)
        else:
            print(
                f"{config.stack_name}: no ECOMMERCE_GITHUB_REPOSITORY set, so no GitHub OIDC "
                "provider and no CI roles"
            )

    def _github(self, config: AccountConfig) -> None:
        specs = []
        for access in config.ci:
            scope = self._scope(access)
            subject = f"repo:{config.github_repository}:"
            specs += [
                CiRoleSpec(
                    name=ci_role_name(access.environment, "deploy"),
                    description=f"CI deploys {scope.prefix} from {config.github_repository}",
                    subjects=tuple(subject + s for s in access.deploy_subjects),
                    policies=deploy_policies(scope),
                ),
                CiRoleSpec(
                    name=ci_role_name(access.environment, "plan"),
                    description=f"CI reads {scope.prefix} (diff, drift) from "
                    f"{config.github_repository}",
                    subjects=tuple(subject + s for s in access.plan_subjects),
                    policies=plan_policies(scope),
                ),
            ]
        self.github = GitHubCi(
            self,
            "github",
            GitHubCiProps(
                url=GITHUB_OIDC_URL,
                audience=GITHUB_OIDC_AUDIENCE,
                thumbprints=config.oidc_thumbprints,
                roles=tuple(specs),
            ),
        )
        self.output(
            "GitHubOidcProviderArn",
            self.github.provider.arn,
            "GitHub Actions' OpenID Connect provider, which the CI roles trust.",
        )
        for access in config.ci:
            for duty, does in (("deploy", "deploys"), ("plan", "plans (diff, drift)")):
                self.output(
                    f"{access.environment.capitalize()}{duty.capitalize()}RoleArn",
                    self.github.roles[ci_role_name(access.environment, duty)].arn,
                    f"The role CI assumes when it {does} {access.environment}.",
                )

    def _scope(self, access: CiAccess) -> CiScope:
        environment = self.config.environment(access.environment)
        state = self.config.state
        return CiScope(
            partition=self.partition,
            region=environment.region,
            account_id=self.account_id,
            environment=environment.name,
            prefix=environment.prefix,
            layer_arns=tuple(filter(None, (environment.powertools_layer_arn,))),
            state_bucket=self.config.state_bucket,
            state_region=state.region or self.config.region,
            integration_tests=access.integration_tests,
        )
