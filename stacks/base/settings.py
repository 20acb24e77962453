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
    # Who sends the pool's mail (sign-up codes, password resets): COGNITO_DEFAULT, Cognito's own
    # sender, whose small daily cap AWS says is not for production; or DEVELOPER, SES with the
    # environment's sender identity (``Events.sender_address``), which must be verified, and
    # out of SES's sandbox to reach customers (docs/operations.md).
    email_sending_account: str = "COGNITO_DEFAULT"

    @property
    def auth_flows(self) -> tuple[str, ...]:
        """The app client's explicit auth flows."""
        return AUTH_FLOWS + ((USER_PASSWORD_AUTH,) if self.allow_user_password_auth else ())


@dataclass(frozen=True)
class Events:  # pylint: disable=too-many-instance-attributes  # one per setting
    """Order events: the mail sender, the low-stock and expiry rules, and the queues' delivery."""

    # The address the customers' mail comes from: an SES identity the stack creates, which its
    # owner verifies (docs/operations.md).
    sender_address: str = "store@example.com"
    # A product whose stock an order takes to this or below is reported to the admins.
    low_stock_threshold: int = 5
    # A PENDING order older than this is cancelled (reason EXPIRED) and its stock returned.
    pending_limit_minutes: int = 60
    # Deliveries of one message before SQS moves it to the queue's dead-letter queue.
    max_receive_count: int = 5
    # Who the low-stock topic notifies (each address confirms by mail).
    low_stock_subscribers: tuple[str, ...] = ()
    # Each event source mapping's batch: at most this many records, gathered for at most this
    # long (0: deliver at once).
    batch_size: int = 10
    batch_window_seconds: int = 0
    # The queues' age alarm: the oldest message waiting longer than this pages.
    max_message_age_seconds: int = 300
    # How often the expiry schedule fires.
    expiry_rate_minutes: int = 5
    # How the bus's targets and the expiry schedule retry a delivery that fails: at most this
    # many attempts, for at most this long (both services' bounds: 0..185 and 60..86400 s), then
    # the event goes to the dead-letter queue. A refused delivery (a queue policy that does not
    # admit the rule, a deleted queue) is not retried by AWS: it goes there at once.
    delivery_retry_attempts: int = 185
    delivery_max_event_age_seconds: int = 86400


@dataclass(frozen=True)
class StateBackend:
    """Where Terraform keeps the stack's state: an S3 bucket, or a local file path."""

    bucket: str | None = None
    region: str | None = None
    local_path: str | None = None
