"""Who the local cloud is to AWS clients: its credentials, a default region, and boto3 sessions
that can only ever reach the emulator.

The emulator enforces IAM (``localcloud.emulator.moto_iam``), so it accepts only credentials it
knows. These
are fixed, so that nothing local can sign a request for a real account and every tool (the
runner's cdktf and Terraform, the gateway, the ``user``/``token`` commands, the tests, a person's
scripts that source ``.localcloud/env``) uses the same ones: the account's administrator. The
functions' workers get their own role's session instead (``localcloud.lambdas.role_sessions``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import boto3

ADMIN_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "LOCALCLOUDADMIN00000",
    "AWS_SECRET_ACCESS_KEY": "local-cloud-administrator-not-a-secret",
}
"""The emulator's administrator (an IAM user allowed everything): an access key without a session
token, as a user signs with."""
LAMBDA_SERVICE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "LOCALCLOUDLAMBDA0000",
    "AWS_SECRET_ACCESS_KEY": "local-cloud-lambda-service-not-a-secret",
}
"""Who the local gateway is when it plays the Lambda service: it may only assume roles whose trust
policy names ``lambda.amazonaws.com``."""
SCHEDULER_SERVICE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "LOCALCLOUDSCHEDULER0",
    "AWS_SECRET_ACCESS_KEY": "local-cloud-scheduler-service-not-a-secret",
}
"""Who the local cloud's triggers are when they play EventBridge Scheduler: they may only assume
roles whose trust policy names ``scheduler.amazonaws.com``."""
UNSET = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
"""A session token left in the environment would be sent with the administrator's key, which the
emulator refuses (a user's key has none)."""
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


def session(
    region: str = DEFAULT_REGION, credentials: Mapping[str, str] | None = None
) -> boto3.session.Session:
    """A boto3 session with ``credentials`` (by default the administrator's) in ``region`` (give
    its clients the emulator's ``endpoint_url``)."""
    # boto3 here, not at the top: every tool's parser reads this module (the default region), and
    # a wrong command line is refused before boto3's half a second of imports.
    # pylint: disable-next=import-outside-toplevel
    import boto3.session  # noqa: PLC0415

    credentials = ADMIN_CREDENTIALS if credentials is None else credentials
    return boto3.session.Session(
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=credentials.get("AWS_SESSION_TOKEN"),
        region_name=region,
    )
