"""GitHub Actions' way into AWS without stored keys: the OIDC provider and the roles CI assumes."""

from collections.abc import Mapping
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from stacks.base.iam import policy_document


@dataclass(frozen=True)
class CiRoleSpec:
    """One role CI assumes: who may (full `sub` claim values) and what it may do."""

    name: str
    description: str
    subjects: tuple[str, ...]
    # Policy documents by name suffix, each attached as a customer-managed policy.
    policies: Mapping[str, str]


@dataclass(frozen=True)
class GitHubCiProps:
    """Inputs of ``GitHubCi``."""

    url: str
    audience: str
    thumbprints: tuple[str, ...]
    roles: tuple[CiRoleSpec, ...]


def web_identity_trust(provider_arn: str, host: str, audience: str, subjects) -> str:
    """A trust policy: tokens of ``provider_arn`` for ``audience`` whose `sub` is one of
    ``subjects`` exactly (StringEquals: no wildcard can widen it)."""
    return policy_document(
        {
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{host}:aud": audience, f"{host}:sub": list(subjects)}},
        }
    )


class GitHubCi(Construct):
    """GitHub's OIDC identity provider (one per account) and a role per CI duty.

    A workflow job with ``id-token: write`` gets a token from GitHub whose `sub` names the
    repository and the job's GitHub environment, branch or pull request; the role accepts only
    the values listed for it, for the STS audience. No access key is stored anywhere.
    """

    def __init__(self, scope: Construct, construct_id: str, props: GitHubCiProps):
        super().__init__(scope, construct_id)
        host = props.url.removeprefix("https://")
        self.provider = IamOpenidConnectProvider(
            self,
            "provider",
            url=props.url,
            client_id_list=[props.audience],
            thumbprint_list=list(props.thumbprints),
        )
        self.roles: dict[str, IamRole] = {}
        for spec in props.roles:
            role = IamRole(
                self,
                spec.name,
                name=spec.name,
                description=spec.description,
                max_session_duration=3600,
                assume_role_policy=web_identity_trust(
                    self.provider.arn, host, props.audience, spec.subjects
                ),
            )
            for suffix, document in spec.policies.items():
                policy = IamPolicy(
                    self,
                    f"{spec.name}-{suffix}",
                    name=f"{spec.name}-{suffix}",
                    policy=document,
                )
                IamRolePolicyAttachment(
                    self, f"{spec.name}-{suffix}-attachment", role=role.name, policy_arn=policy.arn
                )
            self.roles[spec.name] = role
