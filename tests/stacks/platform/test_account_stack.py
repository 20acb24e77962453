"""The account stack: what it holds with and without CI, its state, outputs, valid Terraform."""

import io
import json
import shutil
from contextlib import redirect_stdout
from dataclasses import replace

from cdktf import Testing

from stacks.base.config import StateBackend
from stacks.base.delivery_config import CI_ENVIRONMENTS as ENVIRONMENTS
from stacks.base.delivery_config import load_account
from stacks.platform.account_stack import AccountStack, ci_role_name


def test_state_in_the_bucket_encrypted_and_locked(account_synth):
    assert account_synth.json["terraform"]["backend"] == {
        "s3": {
            "bucket": "acme-tf-state",
            "key": "ecommerce-account/terraform.tfstate",
            "region": "us-east-1",
            "encrypt": True,
            "kms_key_id": "alias/ecommerce-terraform-state",
            "use_lockfile": True,
        }
    }


def test_outputs_name_every_role(account_synth):
    assert sorted(account_synth.json["output"]) == sorted(
        [
            "ApiGatewayCloudWatchRoleArn",
            "GitHubOidcProviderArn",
            *(
                f"{env}{duty}RoleArn"
                for env in ("Dev", "Staging", "Prod")
                for duty in ("Deploy", "Plan")
            ),
            # Only dev runs the integration suite, as a role of its own.
            "DevTestRoleArn",
            *(f"{env}RoleBoundaryArn" for env in ("Dev", "Staging", "Prod")),
        ]
    )


def test_ci_role_names_sit_outside_the_environments_names():
    assert ci_role_name("prod", "deploy") == "ecommerce-ci-prod-deploy"
    assert not ci_role_name("prod", "deploy").startswith("ecommerce-prod-")


def test_role_policies_scope_the_configured_bucket(account_synth):
    documents = [
        json.loads(p["policy"]) for p in account_synth.resources("aws_iam_policy").values()
    ]
    resources = json.dumps(documents)
    assert "arn:${data.aws_partition.partition.partition}:s3:::acme-tf-state" in resources
    assert "${data.aws_caller_identity.identity.account_id}" in resources


def test_without_a_repository_no_oidc_and_it_says_so():
    out = io.StringIO()
    with redirect_stdout(out):
        stack = AccountStack(Testing.app(), load_account({}))
    assert "no ECOMMERCE_GITHUB_REPOSITORY set" in out.getvalue()
    synth = json.loads(Testing.synth(stack))
    assert set(synth["resource"]) == {
        "aws_api_gateway_account",
        "aws_iam_policy",
        "aws_iam_role",
        "aws_iam_role_policy_attachment",
    }
    # The environments' boundaries are there with or without CI: every environment's roles
    # carry one, whoever deploys them.
    assert _policy_names(synth) == {f"ecommerce-{e}-role-boundary" for e in ENVIRONMENTS}
    assert "backend" not in synth["terraform"]


def _policy_names(synth: dict) -> set[str]:
    return {p["name"] for p in synth["resource"].get("aws_iam_policy", {}).values()}


def test_the_api_gateway_setting_is_configuration():
    config = load_account({})
    stack = AccountStack(Testing.app(), replace(config, manage_api_gateway_account=False))
    assert set(json.loads(Testing.synth(stack))["resource"]) == {"aws_iam_policy"}


def test_boundaries_are_configuration():
    config = load_account({})
    unbounded = replace(config.environment("dev"), permissions_boundary=None)
    renamed = replace(config.environment("prod"), permissions_boundary="acme-prod-boundary")
    environments = (unbounded, config.environment("staging"), renamed)
    stack = AccountStack(Testing.app(), replace(config, environments=environments))
    synth = json.loads(Testing.synth(stack))
    assert _policy_names(synth) == {"ecommerce-staging-role-boundary", "acme-prod-boundary"}
    assert "DevRoleBoundaryArn" not in synth["output"]
    assert synth["output"]["ProdRoleBoundaryArn"]["value"] == (
        "${aws_iam_policy.prod-role-boundary.arn}"
    )


def test_valid_terraform():
    assert shutil.which("terraform"), "terraform must be on PATH"
    config = load_account(
        {"ECOMMERCE_GITHUB_REPOSITORY": "acme/store-api", "ECOMMERCE_STATE_BUCKET": "b-b-b"}
    )
    # The S3 backend would need AWS to initialize; validate the configuration with local state.
    stack = AccountStack(Testing.app(), replace(config, state=StateBackend()))
    assert Testing.to_be_valid_terraform(Testing.full_synth(stack))
