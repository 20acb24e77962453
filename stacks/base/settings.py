"""The settings groups of an environment's configuration: each a frozen dataclass of one concern
(table capacity, auto scaling, sign-in, Terraform state), the values of which the environment
matrix (stacks/base/environments.py) holds and ``stacks.base.config`` validates."""

from __future__ import annotations

from dataclasses import dataclass

# The app client's sign-in flows everywhere: SRP for apps, refresh, and the admin API's password
# flow for operators and tests; plain USER_PASSWORD_AUTH only where ``allow_user_password_auth``.
AUTH_FLOWS = ("ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH")
USER_PASSWORD_AUTH = "ALLOW_USER_PASSWORD_AUTH"


@dataclass(frozen=True)
class Capacity:
    """Provisioned read and write capacity units of a table and of each of its indexes."""

    read: int
    write: int


@dataclass(frozen=True)
class AutoScaling:
    """Target-tracking auto scaling of provisioned capacity (tables and indexes)."""

    max_read: int
    max_write: int
    target_utilization: float = 70.0


@dataclass(frozen=True)
class UserPool:  # pylint: disable=too-many-instance-attributes  # one per pool setting
    """Sign-in: the environment's Cognito user pool and its one app client."""

    # ALLOW_USER_PASSWORD_AUTH sends the password itself to Cognito: for dev and local only.
    allow_user_password_auth: bool = False
    # Cognito's feature plan; LITE has everything this API uses and costs least per user.
    tier: str = "LITE"
    password_min_length: int = 12
    temporary_password_days: int = 3
    # OPTIONAL: customers may add an authenticator app (TOTP); nobody is forced to.
    mfa: str = "OPTIONAL"
    id_token_minutes: int = 60
    access_token_minutes: int = 60
    refresh_token_days: int = 30

    @property
    def auth_flows(self) -> tuple[str, ...]:
        """The app client's explicit auth flows."""
        return AUTH_FLOWS + ((USER_PASSWORD_AUTH,) if self.allow_user_password_auth else ())


@dataclass(frozen=True)
class StateBackend:
    """Where Terraform keeps the stack's state: an S3 bucket, or a local file path."""

    bucket: str | None = None
    region: str | None = None
    local_path: str | None = None
