"""GitHub's OIDC provider and the CI roles: who may assume which role, and with what."""

import json

import pytest

from stacks.base.delivery_config import GITHUB_OIDC_THUMBPRINTS

HOST = "token.actions.githubusercontent.com"
REPO = "repo:acme/store-api:"


def _roles(account_synth) -> dict[str, dict]:
    return {
        r["name"]: r
        for r in account_synth.resources("aws_iam_role").values()
        if r["name"].startswith("ecommerce-ci-")
    }


def test_oidc_provider(account_synth):
    provider = account_synth.one("aws_iam_openid_connect_provider")
    assert provider["url"] == f"https://{HOST}"
    assert provider["client_id_list"] == ["sts.amazonaws.com"]
    assert provider["thumbprint_list"] == list(GITHUB_OIDC_THUMBPRINTS)
    assert GITHUB_OIDC_THUMBPRINTS == (
        "6938fd4d98bab03faadb97b34396831e3780aea1",
        "1c58a3a8518e8759bf075b76b750d4f2df264fcd",
    )


def test_a_plan_and_a_deploy_role_per_environment_and_devs_test_role(account_synth):
    assert sorted(_roles(account_synth)) == sorted(
        [
            *(
                f"ecommerce-ci-{env}-{duty}"
                for env in ("dev", "staging", "prod")
                for duty in ("deploy", "plan")
            ),
            # The integration suite's, behind dev's GitHub environment as the deploy is.
            "ecommerce-ci-dev-test",
        ]
    )


@pytest.mark.parametrize(
    ("role", "subjects"),
    [
        ("ecommerce-ci-dev-deploy", ["environment:dev"]),
        ("ecommerce-ci-dev-test", ["environment:dev"]),
        ("ecommerce-ci-staging-deploy", ["environment:staging"]),
        ("ecommerce-ci-prod-deploy", ["environment:prod"]),
        ("ecommerce-ci-dev-plan", ["pull_request", "ref:refs/heads/main"]),
        ("ecommerce-ci-staging-plan", ["pull_request", "ref:refs/heads/main"]),
        ("ecommerce-ci-prod-plan", ["pull_request", "ref:refs/heads/main"]),
    ],
)
def test_trust_is_this_repository_and_exact_subjects(account_synth, role, subjects):
    trust = json.loads(_roles(account_synth)[role]["assume_role_policy"])
    [grant] = trust["Statement"]
    assert grant["Effect"] == "Allow"
    assert grant["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert list(grant["Principal"]) == ["Federated"]
    assert grant["Principal"]["Federated"].startswith("${aws_iam_openid_connect_provider.github_")
    # StringEquals only: no StringLike, so no wildcard anywhere in the trust.
    assert list(grant["Condition"]) == ["StringEquals"]
    condition = grant["Condition"]["StringEquals"]
    assert condition[f"{HOST}:aud"] == "sts.amazonaws.com"
    assert condition[f"{HOST}:sub"] == [REPO + s for s in subjects]


def test_protected_environments_deploy_only_from_their_github_environment(account_synth):
    roles = _roles(account_synth)
    for env in ("staging", "prod"):
        trust = json.loads(roles[f"ecommerce-ci-{env}-deploy"]["assume_role_policy"])
        subjects = trust["Statement"][0]["Condition"]["StringEquals"][f"{HOST}:sub"]
        assert subjects == [f"{REPO}environment:{env}"]
        assert not any("pull_request" in s or "*" in s for s in subjects)


def test_roles_carry_only_their_own_policies(account_synth):
    roles = _roles(account_synth)
    attachments = [
        a
        for a in account_synth.resources("aws_iam_role_policy_attachment").values()
        if "github" in a["role"]
    ]
    # No AWS-managed policy (AdministratorAccess, PowerUserAccess, ...): only the stack's own.
    assert attachments and all(
        a["policy_arn"].startswith("${aws_iam_policy.github_") for a in attachments
    )
    policies = {
        p["name"]
        for p in account_synth.resources("aws_iam_policy").values()
        if p["name"].startswith("ecommerce-ci-")
    }
    assert policies == {
        f"ecommerce-ci-{env}-{doc}"
        for env in ("dev", "staging", "prod")
        for doc in ("deploy-read", "deploy-write", "deploy-platform", "plan-read")
    } | {"ecommerce-ci-dev-test-read", "ecommerce-ci-dev-test-suite"}
    for role in roles.values():
        assert role["max_session_duration"] == 3600
        assert "inline_policy" not in role and "managed_policy_arns" not in role
