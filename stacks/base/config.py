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

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from stacks.base import config_checks
from stacks.base.config_checks import ENVIRONMENTS, ConfigError
from stacks.base.environments import COMMON_VALUES, ENVIRONMENT_VALUES
from stacks.base.settings import (
    AutoScaling,
    Capacity,
    Events,
    StateBackend,
    UserPool,
)
from stacks.base.zones import allowed_zone_ids

PROJECT = "ecommerce"

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
        return config_checks.validate(self)


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
