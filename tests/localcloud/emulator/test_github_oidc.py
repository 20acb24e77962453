"""GitHub's OIDC on the emulator: tokens in GitHub's formats, and AssumeRoleWithWebIdentity
refusing as STS does (the expected codes and ``sub`` formats from GitHub's "About security
hardening with OpenID Connect" and STS's AssumeRoleWithWebIdentity reference)."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from joserfc import jwt
from joserfc.jwk import RSAKey

from localcloud.base import aws as localcloud_aws
from localcloud.base import control_api
from localcloud.emulator import github_oidc
from localcloud.emulator.github_oidc import request_token, subject
from tests.localcloud.conftest import REGION

ACCOUNT = "123456789012"
HOST = "token.actions.githubusercontent.com"
PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{HOST}"
REPOSITORY = "acme/shop"


def test_subjects_are_githubs():
    assert (
        subject("acme/shop", "refs/heads/main", "dev", "push") == "repo:acme/shop:environment:dev"
    )
    assert (
        subject("acme/shop", "refs/heads/main", None, "push")
        == "repo:acme/shop:ref:refs/heads/main"
    )
    assert (
        subject("acme/shop", "refs/pull/7/merge", None, "pull_request")
        == "repo:acme/shop:pull_request"
    )


@pytest.fixture(scope="module")
def role(emulator):
    """GitHub's provider in the account, and a role that trusts a job of REPOSITORY in its
    ``dev`` environment."""
    iam = localcloud_aws.session(REGION).client("iam", endpoint_url=emulator.url)
    if PROVIDER not in [
        p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    ]:
        iam.create_open_id_connect_provider(
            Url=f"https://{HOST}", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["f" * 40]
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
                        f"{HOST}:sub": f"repo:{REPOSITORY}:environment:dev",
                    }
                },
            }
        ],
    }
    name = f"gh-{uuid.uuid4().hex[:8]}"
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def _sts(emulator):
    return boto3.client(
        "sts",
        region_name=REGION,
        endpoint_url=emulator.url,
        config=Config(signature_version=UNSIGNED),
    )


def _assume(emulator, role_arn, token):
    return _sts(emulator).assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="gha", WebIdentityToken=token
    )


def _refused(call) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"]


def test_a_job_the_trust_policy_names_gets_the_roles_credentials(emulator, role):
    found = _assume(emulator, role, request_token(emulator.url, REPOSITORY, environment="dev"))
    credentials = found["Credentials"]
    session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )
    caller = session.client("sts", endpoint_url=emulator.url).get_caller_identity()["Arn"]
    assert caller == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role.rpartition('/')[2]}/gha"


def test_a_job_the_trust_policy_does_not_name_is_refused(emulator, role):
    for asked in (
        {"environment": "prod"},
        {"ref": "refs/heads/main"},
        {"event_name": "pull_request"},
    ):
        token = request_token(emulator.url, REPOSITORY, **asked)
        assert _refused(lambda t=token: _assume(emulator, role, t)) == "AccessDenied"
    other = request_token(emulator.url, "someone/else", environment="dev")
    assert _refused(lambda: _assume(emulator, role, other)) == "AccessDenied"


def test_tokens_the_emulator_did_not_sign_or_for_another_audience_are_invalid(emulator, role):
    stranger = RSAKey.generate_key(2048, parameters={"kid": "x"})
    claims = {
        "iss": f"https://{HOST}",
        "aud": "sts.amazonaws.com",
        "sub": f"repo:{REPOSITORY}:environment:dev",
        "exp": 2**40,
    }
    forged = jwt.encode({"alg": "RS256", "kid": "x"}, claims, stranger)
    assert _refused(lambda: _assume(emulator, role, forged)) == "InvalidIdentityToken"
    assert _refused(lambda: _assume(emulator, role, "not-a-token")) == "InvalidIdentityToken"
    asked = {"repository": REPOSITORY, "environment": "dev", "audience": "someone-else"}
    wrong = control_api.call(emulator.url + github_oidc.TOKEN_PATH, "POST", asked)["token"]
    assert _refused(lambda: _assume(emulator, role, wrong)) == "InvalidIdentityToken"


def test_the_emulator_publishes_the_key_it_signs_with(emulator):
    token = request_token(emulator.url, REPOSITORY)
    keys = control_api.call(emulator.url + github_oidc.JWKS_PATH, "GET")["keys"]
    decoded = jwt.decode(token, RSAKey.import_key(keys[0]), algorithms=["RS256"])
    assert decoded.claims["iss"] == f"https://{HOST}"
    assert decoded.claims["aud"] == "sts.amazonaws.com"
    assert decoded.claims["sub"] == f"repo:{REPOSITORY}:ref:refs/heads/main"


def test_a_request_without_a_repository_is_refused(emulator):
    with pytest.raises(control_api.Refused):
        control_api.call(emulator.url + github_oidc.TOKEN_PATH, "POST", {"ref": "refs/heads/main"})
