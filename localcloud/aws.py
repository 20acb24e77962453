"""Who the local cloud is to AWS clients: dummy credentials, a default region, and boto3 sessions
that can only ever reach the emulator.

moto accepts any credentials; these are fixed so that nothing local can sign a request for a real
account, and so that every tool (the runner's cdktf and Terraform, the gateway, the functions'
workers, the ``user``/``token`` commands, the tests) uses the same ones.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import boto3

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
DEFAULT_REGION = "us-east-1"
SCRUBBED = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)
"""Variables that could send a deploy to a real account or change what cdktf shows."""


def region_of(env: Mapping[str, str] = os.environ, chosen: str = "") -> str:
    """``chosen`` if given, else ``$AWS_REGION``, ``$AWS_DEFAULT_REGION``, ``DEFAULT_REGION``."""
    return chosen or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def region_env(region: str) -> dict[str, str]:
    """Both variables that name the region, as Lambda and the AWS CLI set them."""
    return {"AWS_REGION": region, "AWS_DEFAULT_REGION": region}


def session(region: str = DEFAULT_REGION) -> boto3.session.Session:
    """A boto3 session with the dummy credentials in ``region`` (give its clients the
    emulator's ``endpoint_url``)."""
    return boto3.session.Session(
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=region,
    )
