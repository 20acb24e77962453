"""One typed, validated configuration per environment: the environment matrix as data.

Everything that differs between dev, staging, prod and local is a field here; constructs never ask
which environment they are in. A bad value raises ``ConfigError`` naming the field, which fails
synth before anything is written.

Overrides come from environment variables only (read by ``main.py`` and passed in as a mapping, so
this module reads no global state):

- ``ECOMMERCE_REGION``: AWS region of every environment (default ``us-east-1``).
- ``ECOMMERCE_ZONES``: comma-separated availability zone IDs of the region (``use1-az1``), in
  place of its row in ``REGION_ZONE_IDS`` (required for a region that table does not know); each
  environment takes the first ``az_count`` of them.
- ``ECOMMERCE_<ENV>_ALARM_EMAILS`` / ``ECOMMERCE_<ENV>_ALARM_HTTPS_ENDPOINT``: who the alarms of
  one environment notify (comma-separated addresses; one HTTPS URL).
- ``ECOMMERCE_<ENV>_SENDER_ADDRESS`` / ``ECOMMERCE_<ENV>_LOW_STOCK_EMAILS``: the address one
  environment's mail comes from; who its low-stock topic notifies (comma-separated addresses).
- ``ECOMMERCE_<ENV>_CORS_ORIGINS``: comma-separated allowed origins of one environment.
- ``ECOMMERCE_APPLY_INDEX_CHANGES=1``: for the one deploy that changes an index of an auto-scaled
  table, which Terraform otherwise does not plan (docs/operations.md, "Changing an index").
- ``ECOMMERCE_STATE_BUCKET`` (and optional ``ECOMMERCE_STATE_REGION``): S3 bucket for the
  Terraform state of dev, staging and prod, locked with an S3 lock file. Unset: local state.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from handlers.store.spec.cors import origin_pattern
from stacks.base.environments import COMMON_VALUES, ENVIRONMENT_VALUES
from stacks.base.settings import (
    AutoScaling,
    Capacity,
    Events,
    StateBackend,
    UserPool,
)

PROJECT = "ecommerce"
ENVIRONMENTS = tuple(ENVIRONMENT_VALUES)

# The values CloudWatch Logs accepts for retentionInDays.
LOG_RETENTION_DAYS = frozenset(
    (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
     3288, 3653)
)  # fmt: skip
LOG_LEVELS = frozenset(("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_ORIGIN = re.compile(r"^(\*|https?://[A-Za-z0-9.-]+(:\d{1,5})?)$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# An IAM policy name: IAM's characters and length.
_POLICY_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")
_LAYER_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[A-Za-z0-9_-]+:\d+$")
USER_POOL_TIERS = frozenset(("LITE", "ESSENTIALS", "PLUS"))
MFA_MODES = frozenset(("OFF", "OPTIONAL", "ON"))
EMAIL_SENDING_ACCOUNTS = frozenset(("COGNITO_DEFAULT", "DEVELOPER"))
_EMAIL = re.compile(r"^[^@\s,]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d{1,5})?(/[^\s]*)?$")
# Powertools for AWS Lambda (Python) v3, public layer published by AWS (account 017000801446).
# The layer's version number and the Powertools release it ships, as explicit data: the release
# must be the one Pipfile.lock pins (a unit test reads the lock), and the stack checks at plan
# time that the layer's description names that release (stacks/store/functions.py), so a wrong
# number fails `cdktf plan` instead of deploying other code than the tests ran.
POWERTOOLS_LAYER = {"powertools": "3.37.0", "layer_version": 27}
POWERTOOLS_LAYER_ARN = (
    "arn:aws:lambda:{region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:"
    f"{POWERTOOLS_LAYER['layer_version']}"
)
# Each region's availability zone IDs, for the regions this project has been checked against.
# Zones are chosen by ID, never by name: a name (us-east-1a) maps to a different physical zone in
# each account, an ID (use1-az1) is the same zone in every account, so dev, staging and prod, in
# accounts of their own, span the same zones. IDs are not always az1, az2, az3 (us-west-1 has
# az1 and az3), so they are never derived; a region missing here needs ECOMMERCE_ZONES.
REGION_ZONE_IDS = {
    "us-east-1": ("use1-az1", "use1-az2", "use1-az3", "use1-az4", "use1-az5", "use1-az6"),
    "us-east-2": ("use2-az1", "use2-az2", "use2-az3"),
    "us-west-1": ("usw1-az1", "usw1-az3"),
    "us-west-2": ("usw2-az1", "usw2-az2", "usw2-az3", "usw2-az4"),
    "ca-central-1": ("cac1-az1", "cac1-az2", "cac1-az4"),
    "eu-west-1": ("euw1-az1", "euw1-az2", "euw1-az3"),
    "eu-west-2": ("euw2-az1", "euw2-az2", "euw2-az3"),
    "eu-west-3": ("euw3-az1", "euw3-az2", "euw3-az3"),
    "eu-central-1": ("euc1-az1", "euc1-az2", "euc1-az3"),
    "eu-north-1": ("eun1-az1", "eun1-az2", "eun1-az3"),
    "ap-northeast-1": ("apne1-az1", "apne1-az2", "apne1-az4"),
    "ap-northeast-2": ("apne2-az1", "apne2-az2", "apne2-az3", "apne2-az4"),
    "ap-southeast-1": ("apse1-az1", "apse1-az2", "apse1-az3"),
    "ap-southeast-2": ("apse2-az1", "apse2-az2", "apse2-az3"),
    "ap-south-1": ("aps1-az1", "aps1-az2", "aps1-az3"),
    "sa-east-1": ("sae1-az1", "sae1-az2", "sae1-az3"),
}  # fmt: skip
# Zones of those rows that no default uses and no override may name, each with the reason. A
# constrained zone is one where AWS offers no new instance types and not every service: an
# interface endpoint whose service lacks the zone fails to create, and so would the network.
# (The other constrained zones AWS names, usw1-az2, cac1-az3 and apne1-az3, are not offered to
# new accounts at all, so the rows above leave them out.)
CONSTRAINED_ZONE_IDS = {
    "use1-az3": "a constrained zone of us-east-1: AWS offers no new instance types there and "
    "not every service (an interface endpoint of a service missing there fails to create)",
}
_ZONE_ID = re.compile(r"^[a-z]+\d+-az\d+$")


def allowed_zone_ids(region: str) -> tuple[str, ...] | None:
    """The zone IDs of ``region`` a network may use, in order: its row of ``REGION_ZONE_IDS``
    without the constrained zones; None for a region the table does not know."""
    row = REGION_ZONE_IDS.get(region)
    return None if row is None else tuple(z for z in row if z not in CONSTRAINED_ZONE_IDS)


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the field."""

    def __init__(self, env: str, field_name: str, problem: str):
        super().__init__(f"invalid configuration for environment '{env}': {field_name} {problem}")
        self.field_name = field_name


@dataclass(frozen=True)
class EnvironmentConfig:  # pylint: disable=too-many-instance-attributes  # the matrix
    """Everything one environment's stack needs; validated by ``validate``."""

    name: str
    region: str
    vpc_cidr: str
    az_count: int
    # Provisioned capacity of each table and index; None: every table on demand (billed per
    # request, nothing while idle, never throttled below its account limits).
    table_capacity: Capacity | None
    autoscaling: AutoScaling | None
    log_retention_days: int
    log_level: str
    point_in_time_recovery: bool
    deletion_protection: bool
    cors_allowed_origins: tuple[str, ...]
    alarms_to_sns: bool
    # Public Powertools layer; None where the platform cannot take it (the emulator), in which
    # case the runtime provides Powertools itself.
    powertools_layer_arn: str | None
    lambda_memory_mb: int = 256
    lambda_timeout_seconds: int = 10
    reserved_concurrency: int = 10
    api_throttle_rate: float = 50.0
    api_throttle_burst: int = 100
    kms_deletion_window_days: int = 30
    # Requests one client address may make in 5 minutes before the firewall blocks it.
    waf_rate_limit_per_5_minutes: int = 2000
    # The emulator forgets the descriptions of security group rules that name a prefix list or a
    # group; ignore that drift there so `terraform plan` right after a deploy is clean.
    ignore_rule_description_drift: bool = False
    state: StateBackend = field(default_factory=StateBackend)
    user_pool: UserPool = field(default_factory=UserPool)
    # The region's usable zone IDs (ECOMMERCE_ZONES); empty: its row in REGION_ZONE_IDS. The
    # network spans the first az_count of them.
    zones: tuple[str, ...] = ()
    # Who the alarm topic notifies: email addresses (each confirms by mail) and/or one HTTPS
    # endpoint (which must confirm the subscription). None at all is allowed, and said at synth.
    alarm_emails: tuple[str, ...] = ()
    alarm_https_endpoint: str | None = None
    # The customer-managed policy (by name) that bounds every IAM role the stack creates: at most
    # what the environment's roles may ever do, so that CI, which writes those roles' policies,
    # cannot grant more (docs/delivery.md). ``ecommerce-account`` creates it. None: no boundary
    # (`local`, whose emulator runs no account stack).
    permissions_boundary: str | None = None
    events: Events = field(default_factory=Events)
    # How many of the network's zones (the first) hold the interface endpoints: None, every
    # zone. Fewer cost less (each endpoint is billed per zone-hour) and lose the endpoints, so
    # the calls to KMS, EventBridge, SNS and SES, when their zones fail.
    interface_endpoint_zones: int | None = None
    # Set for the one deploy that changes an index of an auto-scaled table
    # (ECOMMERCE_APPLY_INDEX_CHANGES=1): Terraform sees the indexes again (stacks/store/tables.py).
    apply_index_changes: bool = False

    @property
    def prefix(self) -> str:
        """Prefix of every resource name: ``ecommerce-<env>``."""
        return f"{PROJECT}-{self.name}"

    @property
    def zone_ids(self) -> tuple[str, ...]:
        """The IDs of the zones the network spans: a fixed list, so it never grows when AWS
        adds a zone."""
        return (self.zones or allowed_zone_ids(self.region) or ())[: self.az_count]

    @property
    def stack_name(self) -> str:
        """Name of the environment's TerraformStack."""
        return self.prefix

    @property
    def tags(self) -> dict[str, str]:
        """Tags that the provider's default tags put on every resource."""
        return {"project": PROJECT, "environment": self.name, "managed-by": "cdktf"}

    def validate(self) -> EnvironmentConfig:
        """Check every field; raise ``ConfigError`` naming the first bad one."""
        checks = self._identity_checks() + self._limit_checks() + self._zone_and_subscriber_checks()
        for name, ok, problem in checks:
            if not ok:
                raise ConfigError(self.name, name, problem)
        if self.autoscaling is not None:
            self._validate_autoscaling(self.autoscaling)
        self._validate_user_pool(self.user_pool)
        self._validate_events(self.events)
        return self

    def _identity_checks(self) -> tuple[tuple[str, bool, str], ...]:
        """(field, valid, problem) of where and how the environment runs: name, network, logs,
        origins, layer."""
        return (
            ("name", self.name in ENVIRONMENTS, f"must be one of {', '.join(ENVIRONMENTS)}"),
            ("region", bool(_REGION.match(self.region)), "must look like 'us-east-1'"),
            ("vpc_cidr", _is_private_network(self.vpc_cidr), "must be a private /16../24 CIDR"),
            ("az_count", 2 <= self.az_count <= 6, "must be between 2 and 6"),
            (
                "interface_endpoint_zones",
                self.interface_endpoint_zones is None
                or 1 <= self.interface_endpoint_zones <= self.az_count,
                f"must be 1..az_count ({self.az_count}), or None for every zone",
            ),
            *self._capacity_checks(),
            (
                "log_retention_days",
                self.log_retention_days in LOG_RETENTION_DAYS,
                f"must be one of CloudWatch's values {sorted(LOG_RETENTION_DAYS)}",
            ),
            ("log_level", self.log_level in LOG_LEVELS, f"must be one of {sorted(LOG_LEVELS)}"),
            (
                "cors_allowed_origins",
                bool(self.cors_allowed_origins)
                and all(_ORIGIN.match(o) for o in self.cors_allowed_origins),
                "must be '*' or a list of http(s)://host[:port] origins",
            ),
            (
                "cors_allowed_origins",
                len(origin_pattern(self.cors_allowed_origins)) <= 200,
                "must fit the firewall's origin rule (a regular expression of at most 200 "
                "characters, AWS WAF's limit): list fewer origins",
            ),
            (
                "powertools_layer_arn",
                self.powertools_layer_arn is None
                or bool(_LAYER_ARN.match(self.powertools_layer_arn)),
                "must be a Lambda layer version ARN",
            ),
        )

    def _limit_checks(self) -> tuple[tuple[str, bool, str], ...]:
        """(field, valid, problem) of the numeric limits, the state bucket and the boundary."""
        return (
            ("lambda_memory_mb", 128 <= self.lambda_memory_mb <= 10240, "must be 128..10240"),
            ("lambda_timeout_seconds", 1 <= self.lambda_timeout_seconds <= 29, "must be 1..29"),
            ("reserved_concurrency", self.reserved_concurrency >= 1, "must be at least 1"),
            ("api_throttle_rate", self.api_throttle_rate > 0, "must be positive"),
            ("api_throttle_burst", self.api_throttle_burst >= 1, "must be at least 1"),
            ("kms_deletion_window_days", 7 <= self.kms_deletion_window_days <= 30, "must be 7..30"),
            (
                "waf_rate_limit_per_5_minutes",
                100 <= self.waf_rate_limit_per_5_minutes <= 2_000_000_000,
                "must be 100..2000000000 (WAF's bounds)",
            ),
            (
                "state.bucket",
                self.state.bucket is None or bool(_BUCKET.match(self.state.bucket)),
                "must be a valid S3 bucket name",
            ),
            (
                "permissions_boundary",
                self.permissions_boundary is None
                or bool(_POLICY_NAME.match(self.permissions_boundary)),
                "must be an IAM policy name (1..128 of letters, digits and +=,.@_-)",
            ),
        )

    def _validate_events(self, events: Events) -> None:
        checks = (
            ("sender_address", bool(_EMAIL.match(events.sender_address)), "must be an address"),
            ("low_stock_threshold", events.low_stock_threshold >= 0, "must be 0 or more"),
            (
                "pending_limit_minutes",
                events.expiry_rate_minutes <= events.pending_limit_minutes <= 43200,
                "must be at least expiry_rate_minutes and at most 43200 (30 days)",
            ),
            ("max_receive_count", 1 <= events.max_receive_count <= 1000, "must be 1..1000 (SQS)"),
            (
                "low_stock_subscribers",
                all(_EMAIL.match(e) for e in events.low_stock_subscribers),
                "must be email addresses",
            ),
            # SQS event source mappings: at most 10 records without a window (Lambda's rule).
            (
                "batch_size",
                1 <= events.batch_size <= (10000 if events.batch_window_seconds else 10),
                "must be 1..10, or 1..10000 with a batch window (Lambda)",
            ),
            ("batch_window_seconds", 0 <= events.batch_window_seconds <= 300, "must be 0..300"),
            (
                "max_message_age_seconds",
                60 <= events.max_message_age_seconds <= 1209600,
                "must be 60..1209600 (SQS keeps a message 14 days at most)",
            ),
            ("expiry_rate_minutes", 1 <= events.expiry_rate_minutes <= 1440, "must be 1..1440"),
            (
                "delivery_retry_attempts",
                0 <= events.delivery_retry_attempts <= 185,
                "must be 0..185 (EventBridge and EventBridge Scheduler)",
            ),
            (
                "delivery_max_event_age_seconds",
                60 <= events.delivery_max_event_age_seconds <= 86400,
                "must be 60..86400 (EventBridge and EventBridge Scheduler)",
            ),
        )
        for name, ok, problem in checks:
            if not ok:
                raise ConfigError(self.name, f"events.{name}", problem)

    def _validate_user_pool(self, pool: UserPool) -> None:
        checks = (
            ("tier", pool.tier in USER_POOL_TIERS, f"must be one of {sorted(USER_POOL_TIERS)}"),
            (
                "password_min_length",
                8 <= pool.password_min_length <= 99,
                "must be 8..99 (Cognito allows up to 99; fewer than 8 is too weak for a shop)",
            ),
            ("temporary_password_days", 1 <= pool.temporary_password_days <= 365, "must be 1..365"),
            ("mfa", pool.mfa in MFA_MODES, f"must be one of {sorted(MFA_MODES)}"),
            ("id_token_minutes", 5 <= pool.id_token_minutes <= 1440, "must be 5..1440 (Cognito)"),
            (
                "access_token_minutes",
                5 <= pool.access_token_minutes <= 1440,
                "must be 5..1440 (Cognito)",
            ),
            (
                "refresh_token_days",
                1 <= pool.refresh_token_days <= 3650,
                "must be 1..3650 (Cognito)",
            ),
            (
                "email_sending_account",
                pool.email_sending_account in EMAIL_SENDING_ACCOUNTS,
                f"must be one of {sorted(EMAIL_SENDING_ACCOUNTS)} (Cognito)",
            ),
        )
        for name, ok, problem in checks:
            if not ok:
                raise ConfigError(self.name, f"user_pool.{name}", problem)

    def _zone_and_subscriber_checks(self) -> tuple[tuple[str, bool, str], ...]:
        known = REGION_ZONE_IDS.get(self.region)
        zones = self.zones or allowed_zone_ids(self.region) or ()
        constrained = [z for z in zones if z in CONSTRAINED_ZONE_IDS]
        return (
            (
                "zones",
                bool(self.zones) or known is not None,
                f"must be set (ECOMMERCE_ZONES) for region {self.region}, whose zone IDs this "
                f"project does not know (known: {', '.join(sorted(REGION_ZONE_IDS))})",
            ),
            (
                "zones",
                len(zones) >= self.az_count and len(set(zones)) == len(zones),
                f"must name at least {self.az_count} distinct zones of {self.region} "
                f"(az_count {self.az_count})",
            ),
            (
                "zones",
                not constrained,
                "must not name a constrained zone: "
                + "; ".join(f"{z} is {CONSTRAINED_ZONE_IDS[z]}" for z in constrained),
            ),
            (
                "zones",
                all(_ZONE_ID.match(z) for z in zones)
                and len({z.rpartition("-az")[0] for z in zones}) == 1
                and (known is None or set(zones) <= set(known)),
                f"must be availability zone IDs of {self.region}"
                + (
                    f": {', '.join(allowed_zone_ids(self.region) or ())}"
                    if known
                    else " (e.g. mec1-az1)"
                )
                + "; names such as us-east-1a differ between accounts (`aws ec2 "
                "describe-availability-zones` lists each zone's ZoneId)",
            ),
            (
                "alarm_emails",
                all(_EMAIL.match(e) for e in self.alarm_emails),
                "must be email addresses",
            ),
            (
                "alarm_https_endpoint",
                self.alarm_https_endpoint is None
                or bool(_HTTPS_URL.match(self.alarm_https_endpoint)),
                "must be an https:// URL",
            ),
        )

    def _capacity_checks(self) -> tuple[tuple[str, bool, str], ...]:
        capacity = self.table_capacity
        if capacity is None:
            return (
                (
                    "autoscaling",
                    self.autoscaling is None,
                    "must be None when table_capacity is None (tables on demand scale themselves)",
                ),
            )
        return (
            ("table_capacity.read", 1 <= capacity.read <= 40000, "must be 1..40000"),
            ("table_capacity.write", 1 <= capacity.write <= 40000, "must be 1..40000"),
        )

    def _validate_autoscaling(self, scaling: AutoScaling) -> None:
        assert self.table_capacity is not None  # _capacity_checks: scaling needs a capacity
        if scaling.max_read < self.table_capacity.read:
            raise ConfigError(self.name, "autoscaling.max_read", "must be >= table_capacity.read")
        if scaling.max_write < self.table_capacity.write:
            raise ConfigError(self.name, "autoscaling.max_write", "must be >= table_capacity.write")
        if not 20 <= scaling.target_utilization <= 90:
            raise ConfigError(self.name, "autoscaling.target_utilization", "must be 20..90")


def _is_private_network(cidr: str) -> bool:
    try:
        network = ipaddress.IPv4Network(cidr, strict=True)
    except ValueError:
        return False
    return network.is_private and 16 <= network.prefixlen <= 24


def _derived(name: str, region: str) -> dict:
    """The defaults that follow from the environment's name and region (a row may replace them)."""
    return {
        "name": name,
        "region": region,
        "powertools_layer_arn": POWERTOOLS_LAYER_ARN.format(region=region),
        "permissions_boundary": f"{PROJECT}-{name}-role-boundary",
    }


def _defaults(name: str, region: str) -> EnvironmentConfig:
    if name not in ENVIRONMENT_VALUES:
        raise ConfigError(name, "name", f"must be one of {', '.join(ENVIRONMENTS)}")
    return EnvironmentConfig(**_derived(name, region) | COMMON_VALUES | ENVIRONMENT_VALUES[name])


def load(name: str, overrides: Mapping[str, str] | None = None) -> EnvironmentConfig:
    """Build and validate one environment's configuration, applying environment overrides."""
    env = overrides or {}
    region = env.get("ECOMMERCE_REGION", "us-east-1")
    config = _defaults(name, region)
    origins = env.get(f"ECOMMERCE_{name.upper()}_CORS_ORIGINS")
    if origins is not None:
        config = replace(config, cors_allowed_origins=_listed(origins))
    config = replace(config, zones=_listed(env.get("ECOMMERCE_ZONES")))
    prefix = f"ECOMMERCE_{name.upper()}_"
    emails = _listed(env.get(f"{prefix}ALARM_EMAILS"))
    endpoint = env.get(f"{prefix}ALARM_HTTPS_ENDPOINT", "").strip()
    config = replace(
        config,
        alarm_emails=emails or config.alarm_emails,
        alarm_https_endpoint=endpoint or config.alarm_https_endpoint,
    )
    config = replace(config, events=_events(config.events, env, prefix))
    apply = env.get("ECOMMERCE_APPLY_INDEX_CHANGES", "").strip()
    if apply not in ("", "0", "1"):
        raise ConfigError(
            name, "apply_index_changes", "must be 1 or 0 (ECOMMERCE_APPLY_INDEX_CHANGES)"
        )
    config = replace(config, apply_index_changes=apply == "1")
    bucket = env.get("ECOMMERCE_STATE_BUCKET")
    if bucket and config.state.local_path is None:
        config = replace(
            config, state=StateBackend(bucket=bucket, region=env.get("ECOMMERCE_STATE_REGION"))
        )
    return config.validate()


def _events(events: Events, env: Mapping[str, str], prefix: str) -> Events:
    sender = env.get(f"{prefix}SENDER_ADDRESS", "").strip()
    subscribers = _listed(env.get(f"{prefix}LOW_STOCK_EMAILS"))
    return replace(
        events,
        sender_address=sender or events.sender_address,
        low_stock_subscribers=subscribers or events.low_stock_subscribers,
    )


def _listed(raw: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (raw or "").split(",") if item.strip())


def load_all(overrides: Mapping[str, str] | None = None) -> tuple[EnvironmentConfig, ...]:
    """Every environment's configuration, in the order dev, staging, prod, local."""
    return tuple(load(name, overrides) for name in ENVIRONMENTS)
