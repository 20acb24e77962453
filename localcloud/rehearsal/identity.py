"""Who each step is: the emulator's administrator, or a CI role whose credentials come as
GitHub's come, from ``AssumeRoleWithWebIdentity`` with a token of GitHub's OIDC issuer for the
repository, ref and GitHub environment of the job (``configure-aws-credentials`` does the same
with the job's token).
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass

import botocore.exceptions
from botocore import UNSIGNED
from botocore.config import Config

from localcloud.base import aws

ISSUER = "https://token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
ADMINISTRATOR = "localcloud-administrator"


@dataclass(frozen=True)
class Job:
    """What GitHub's token says of a job: its repository, ref and GitHub environment."""

    repository: str
    ref: str = "refs/heads/main"
    environment: str | None = None
    pull_request: bool = False

    @property
    def subject(self) -> str:
        """The token's ``sub`` claim, in GitHub's default format."""
        if self.environment:
            context = f"environment:{self.environment}"
        elif self.pull_request:
            context = "pull_request"
        else:
            context = f"ref:{self.ref}"
        return f"repo:{self.repository}:{context}"

    def claims(self, now: float | None = None) -> dict:
        """The token's claims, as GitHub writes them for this job."""
        issued = int(time.time() if now is None else now)
        owner = self.repository.split("/")[0]
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": self.subject,
            "repository": self.repository,
            "repository_owner": owner,
            "ref": self.ref,
            "ref_type": "branch",
            "event_name": "pull_request" if self.pull_request else "push",
            "iat": issued,
            "nbf": issued,
            "exp": issued + 300,
        }
        if self.environment:
            claims["environment"] = self.environment
        return claims


def _segment(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def token(job: Job) -> str:
    """A JWT with the job's claims (not signed: the emulator verifies claims, not signatures)."""
    header = {"alg": "RS256", "typ": "JWT", "kid": "localcloud"}
    return f"{_segment(header)}.{_segment(job.claims())}.{_segment({'sig': 'none'})}"


class RefusedError(Exception):
    """The role's trust policy refused the job's token."""


def assume(endpoint_url: str, region: str, role_arn: str, job: Job, session: str) -> dict:
    """The role's credentials for ``job``, as environment variables."""
    sts = aws.session(region).client(
        "sts", endpoint_url=endpoint_url, config=Config(signature_version=UNSIGNED)
    )
    try:
        found = sts.assume_role_with_web_identity(
            RoleArn=role_arn,
            RoleSessionName=session,
            WebIdentityToken=token(job),
            DurationSeconds=3600,
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
