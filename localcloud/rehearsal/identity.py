"""Who each step is: the emulator's administrator, or a CI role whose credentials come as
GitHub's come: the job asks for a token (the emulator's stand-in for GitHub's OIDC issuer,
``localcloud.emulator.github_oidc``) for its repository, ref and GitHub environment, then calls
``AssumeRoleWithWebIdentity`` with it, unsigned, as ``configure-aws-credentials`` does. The
role's trust policy decides.
"""

from __future__ import annotations

from dataclasses import dataclass

import botocore.exceptions
from botocore import UNSIGNED
from botocore.config import Config

from localcloud.base import aws
from localcloud.emulator import github_oidc

ADMINISTRATOR = "localcloud-administrator"


@dataclass(frozen=True)
class Job:
    """What GitHub's token says of a job: its repository, ref, GitHub environment and event."""

    repository: str
    ref: str = "refs/heads/main"
    environment: str | None = None
    pull_request: bool = False

    @property
    def event_name(self) -> str:
        """The workflow's trigger, as the token's ``event_name`` says it."""
        return "pull_request" if self.pull_request else "push"

    @property
    def subject(self) -> str:
        """The token's ``sub`` claim, in GitHub's default format."""
        return github_oidc.subject(self.repository, self.ref, self.environment, self.event_name)


class RefusedError(Exception):
    """The role's trust policy refused the job's token."""


def assume(endpoint_url: str, region: str, role_arn: str, job: Job, session: str) -> dict:
    """The role's credentials for ``job``, as environment variables."""
    token = github_oidc.request_token(
        endpoint_url, job.repository, job.ref, job.environment, job.event_name
    )
    sts = aws.session(region).client(
        "sts", endpoint_url=endpoint_url, config=Config(signature_version=UNSIGNED)
    )
    try:
        found = sts.assume_role_with_web_identity(
            RoleArn=role_arn, RoleSessionName=session, WebIdentityToken=token, DurationSeconds=3600
        )["Credentials"]
    except botocore.exceptions.ClientError as error:
        raise RefusedError(
            f"{job.subject} may not assume {role_arn}: {error.response['Error'].get('Message')}"
        ) from None
    return {
        "AWS_ACCESS_KEY_ID": found["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": found["SecretAccessKey"],
        "AWS_SESSION_TOKEN": found["SessionToken"],
    }
