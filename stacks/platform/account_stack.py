"""The account-level stack: what exists once per AWS account and region, for every environment."""

from dataclasses import asdict

from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from constructs import Construct

from stacks.base.aws_stack import AwsStack
from stacks.base.config import PROJECT, EnvironmentConfig
from stacks.base.delivery_config import (
    GITHUB_OIDC_AUDIENCE,
    GITHUB_OIDC_URL,
    AccountConfig,
    CiAccess,
)
from stacks.base.iam import PolicyScope, managed_policy_arn
from stacks.platform.api_gateway_logging import ApiGatewayLogging, ApiGatewayLoggingProps
from stacks.platform.ci_permissions import CiScope, deploy_policies, plan_policies
from stacks.platform.ci_test_permissions import suite_policies
from stacks.platform.github_ci import CiRoleSpec, GitHubCi, GitHubCiProps
from stacks.platform.role_boundary import boundary_document


def ci_role_name(environment: str, duty: str) -> str:
    """``ecommerce-ci-<env>-<duty>``: outside the environment's own ``ecommerce-<env>-*`` names,
    so that no deploy role can change its own permissions."""
    return f"{PROJECT}-ci-{environment}-{duty}"


class AccountStack(AwsStack):
    """``ecommerce-account``: API Gateway's CloudWatch role and account setting, each
    environment's permissions boundary, GitHub's OIDC provider and, per environment, the plan and
    deploy roles CI assumes. Deployed by hand by an administrator, before the environments (their
    stages log through the account setting, and their roles carry the boundaries)."""

    def __init__(self, scope: Construct, config: AccountConfig):
        super().__init__(
            scope, config.stack_name, state=config.state, region=config.region, tags=config.tags
        )
        self.config = config
        self.api_gateway_logging = None
        self.github = None
        self.boundaries: dict[str, IamPolicy] = {}
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
        self._boundaries(config)
        if config.github_repository:
            self._github(config)
        else:
            print(
                f"{config.stack_name}: no ECOMMERCE_GITHUB_REPOSITORY set, so no GitHub OIDC "
                "provider and no CI roles"
            )

    def _boundaries(self, config: AccountConfig) -> None:
        """Each environment's permissions boundary, under the name its configuration gives."""
        for environment in config.environments:
            if environment.permissions_boundary is None:
                continue
            self.boundaries[environment.name] = IamPolicy(
                self,
                f"{environment.name}-role-boundary",
                name=environment.permissions_boundary,
                description=f"The most any IAM role of {environment.prefix} may do",
                policy=boundary_document(self._where(environment)),
            )
            self.output(
                f"{environment.name.capitalize()}RoleBoundaryArn",
                self.boundaries[environment.name].arn,
                f"The permissions boundary of every IAM role of {environment.prefix}.",
            )

    def _github(self, config: AccountConfig) -> None:
        specs = []
        for access in config.ci:
            scope = self._scope(access)
            # Each role: its duty, what it does, who may assume it, what it may do.
            roles = [
                ("deploy", f"CI deploys {scope.prefix}", access.deploy_subjects, deploy_policies),
                (
                    "plan",
                    f"CI reads {scope.prefix} (diff, drift)",
                    access.plan_subjects,
                    plan_policies,
                ),
            ]
            if access.integration_tests:
                roles.append(
                    (
                        "test",
                        f"CI's integration suite against {scope.prefix}",
                        access.deploy_subjects,
                        suite_policies,
                    )
                )
            specs += [
                CiRoleSpec(
                    name=ci_role_name(access.environment, duty),
                    description=f"{does} from {config.github_repository}",
                    subjects=tuple(f"repo:{config.github_repository}:{s}" for s in subjects),
                    policies=policies(scope),
                )
                for duty, does, subjects, policies in roles
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
        duties = (
            ("deploy", "deploys"),
            ("plan", "plans (diff, drift)"),
            ("test", "runs the integration suite against"),
        )
        for access in config.ci:
            for duty, does in duties[: 3 if access.integration_tests else 2]:
                self.output(
                    f"{access.environment.capitalize()}{duty.capitalize()}RoleArn",
                    self.github.roles[ci_role_name(access.environment, duty)].arn,
                    f"The role CI assumes when it {does} {access.environment}.",
                )

    def _where(self, environment: EnvironmentConfig) -> PolicyScope:
        return PolicyScope(
            partition=self.partition,
            region=environment.region,
            account_id=self.account_id,
            environment=environment.name,
            prefix=environment.prefix,
            sender_identity=environment.events.sender_address,
        )

    def _scope(self, access: CiAccess) -> CiScope:
        environment = self.config.environment(access.environment)
        state = self.config.state
        return CiScope(
            **asdict(self._where(environment)),
            layer_arns=tuple(filter(None, (environment.powertools_layer_arn,))),
            state_bucket=self.config.state_bucket,
            state_region=state.region or self.config.region,
            # Validated to be set for every environment CI deploys (stacks/base/delivery_config.py).
            permissions_boundary=managed_policy_arn(
                self.partition, self.account_id, environment.permissions_boundary
            ),
        )
