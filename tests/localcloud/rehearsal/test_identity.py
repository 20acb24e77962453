"""The jobs a rehearsal plays, and their roles' credentials as GitHub's jobs get them."""

import json

import pytest

from localcloud.base import aws
from localcloud.rehearsal.identity import Job, RefusedError, assume
from tests.localcloud.conftest import REGION

HOST = "token.actions.githubusercontent.com"
PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


def test_each_job_is_named_as_githubs_sub_claim_names_it():
    # GitHub's "About security hardening with OpenID Connect": subject claim examples.
    assert Job("acme/store-api", environment="dev").subject == "repo:acme/store-api:environment:dev"
    assert Job("acme/store-api", pull_request=True).subject == "repo:acme/store-api:pull_request"
    assert Job("acme/store-api").subject == "repo:acme/store-api:ref:refs/heads/main"


@pytest.fixture(scope="module")
def role(emulator):
    iam = aws.session(REGION).client("iam", endpoint_url=emulator.url)
    # The session's emulator is shared: another module may have made GitHub's provider already.
    providers = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    made = PROVIDER not in [p["Arn"] for p in providers]
    if made:
        iam.create_open_id_connect_provider(
            Url="https://token.actions.githubusercontent.com",
            ClientIDList=["sts.amazonaws.com"],
            ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"],
        )
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": PROVIDER},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{HOST}:aud": "sts.amazonaws.com",
                        f"{HOST}:sub": "repo:acme/store-api:environment:dev",
                    }
                },
            }
        ],
    }
    name = "rehearsal-identity-test"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    yield f"arn:aws:iam::123456789012:role/{name}"
    iam.delete_role(RoleName=name)
    if made:  # what this module made goes, for the next module that makes it
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=PROVIDER)


def test_the_trusted_job_gets_the_roles_session(emulator, role):
    credentials = assume(emulator.url, REGION, role, Job("acme/store-api", environment="dev"), "it")
    sts = aws.session(REGION, credentials).client("sts", endpoint_url=emulator.url)
    assert sts.get_caller_identity()["Arn"].endswith(":assumed-role/rehearsal-identity-test/it")


@pytest.mark.parametrize(
    "job",
    [
        Job("acme/store-api", environment="prod"),
        Job("acme/store-api", pull_request=True),
        Job("other/repo", environment="dev"),
    ],
)
def test_a_job_the_trust_policy_does_not_name_is_refused(emulator, role, job):
    with pytest.raises(RefusedError, match=f"{job.subject} may not assume {role}"):
        assume(emulator.url, REGION, role, job, "it")
