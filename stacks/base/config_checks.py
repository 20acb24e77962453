"""The checks of one environment's configuration: each field's valid values, and the error that
names the first bad one (``EnvironmentConfig.validate``).

The formats and the sets of values the services accept live here, beside the checks that use
them; ``stacks.base.config`` holds the matrix itself.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING

from handlers.store.spec.cors import origin_pattern
from stacks.base.environments import ENVIRONMENT_VALUES
from stacks.base.settings import AutoScaling, Events, UserPool
from stacks.base.zones import _ZONE_ID, CONSTRAINED_ZONE_IDS, REGION_ZONE_IDS, allowed_zone_ids

if TYPE_CHECKING:
    from stacks.base.config import EnvironmentConfig

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


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the field."""

    def __init__(self, env: str, field_name: str, problem: str):
        super().__init__(f"invalid configuration for environment '{env}': {field_name} {problem}")
        self.field_name = field_name


def validate(config: EnvironmentConfig) -> EnvironmentConfig:
    """Check every field of ``config``; raise ``ConfigError`` naming the first bad one."""
    checks = _identity_checks(config) + _limit_checks(config) + _zone_and_subscriber_checks(config)
    for name, ok, problem in checks:
        if not ok:
            raise ConfigError(config.name, name, problem)
    if config.autoscaling is not None:
        _validate_autoscaling(config, config.autoscaling)
    _validate_user_pool(config, config.user_pool)
    _validate_events(config, config.events)
    return config


def _identity_checks(config: EnvironmentConfig) -> tuple[tuple[str, bool, str], ...]:
    """(field, valid, problem) of where and how the environment runs: name, network, logs,
    origins, layer."""
    return (
        ("name", config.name in ENVIRONMENTS, f"must be one of {', '.join(ENVIRONMENTS)}"),
        ("region", bool(_REGION.match(config.region)), "must look like 'us-east-1'"),
        ("vpc_cidr", _is_private_network(config.vpc_cidr), "must be a private /16../24 CIDR"),
        ("az_count", 2 <= config.az_count <= 6, "must be between 2 and 6"),
        (
            "interface_endpoint_zones",
            config.interface_endpoint_zones is None
            or 1 <= config.interface_endpoint_zones <= config.az_count,
            f"must be 1..az_count ({config.az_count}), or None for every zone",
        ),
        *_capacity_checks(config),
        (
            "log_retention_days",
            config.log_retention_days in LOG_RETENTION_DAYS,
            f"must be one of CloudWatch's values {sorted(LOG_RETENTION_DAYS)}",
        ),
        ("log_level", config.log_level in LOG_LEVELS, f"must be one of {sorted(LOG_LEVELS)}"),
        (
            "cors_allowed_origins",
            bool(config.cors_allowed_origins)
            and all(_ORIGIN.match(o) for o in config.cors_allowed_origins),
            "must be '*' or a list of http(s)://host[:port] origins",
        ),
        (
            "cors_allowed_origins",
            len(origin_pattern(config.cors_allowed_origins)) <= 200,
            "must fit the firewall's origin rule (a regular expression of at most 200 "
            "characters, AWS WAF's limit): list fewer origins",
        ),
        (
            "powertools_layer_arn",
            config.powertools_layer_arn is None
            or bool(_LAYER_ARN.match(config.powertools_layer_arn)),
            "must be a Lambda layer version ARN",
        ),
    )


def _limit_checks(config: EnvironmentConfig) -> tuple[tuple[str, bool, str], ...]:
    """(field, valid, problem) of the numeric limits, the state bucket and the boundary."""
    return (
        ("lambda_memory_mb", 128 <= config.lambda_memory_mb <= 10240, "must be 128..10240"),
        ("lambda_timeout_seconds", 1 <= config.lambda_timeout_seconds <= 29, "must be 1..29"),
        ("reserved_concurrency", config.reserved_concurrency >= 1, "must be at least 1"),
        ("api_throttle_rate", config.api_throttle_rate > 0, "must be positive"),
        ("api_throttle_burst", config.api_throttle_burst >= 1, "must be at least 1"),
        ("kms_deletion_window_days", 7 <= config.kms_deletion_window_days <= 30, "must be 7..30"),
        (
            "waf_rate_limit_per_5_minutes",
            100 <= config.waf_rate_limit_per_5_minutes <= 2_000_000_000,
            "must be 100..2000000000 (WAF's bounds)",
        ),
        (
            "state.bucket",
            config.state.bucket is None or bool(_BUCKET.match(config.state.bucket)),
            "must be a valid S3 bucket name",
        ),
        (
            "permissions_boundary",
            config.permissions_boundary is None
            or bool(_POLICY_NAME.match(config.permissions_boundary)),
            "must be an IAM policy name (1..128 of letters, digits and +=,.@_-)",
        ),
    )


def _validate_events(config: EnvironmentConfig, events: Events) -> None:
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
            raise ConfigError(config.name, f"events.{name}", problem)


def _validate_user_pool(config: EnvironmentConfig, pool: UserPool) -> None:
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
            raise ConfigError(config.name, f"user_pool.{name}", problem)


def _zone_and_subscriber_checks(config: EnvironmentConfig) -> tuple[tuple[str, bool, str], ...]:
    known = REGION_ZONE_IDS.get(config.region)
    zones = config.zones or allowed_zone_ids(config.region) or ()
    constrained = [z for z in zones if z in CONSTRAINED_ZONE_IDS]
    return (
        (
            "zones",
            bool(config.zones) or known is not None,
            f"must be set (ECOMMERCE_ZONES) for region {config.region}, whose zone IDs this "
            f"project does not know (known: {', '.join(sorted(REGION_ZONE_IDS))})",
        ),
        (
            "zones",
            len(zones) >= config.az_count and len(set(zones)) == len(zones),
            f"must name at least {config.az_count} distinct zones of {config.region} "
            f"(az_count {config.az_count})",
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
            f"must be availability zone IDs of {config.region}"
            + (
                f": {', '.join(allowed_zone_ids(config.region) or ())}"
                if known
                else " (e.g. mec1-az1)"
            )
            + "; names such as us-east-1a differ between accounts (`aws ec2 "
            "describe-availability-zones` lists each zone's ZoneId)",
        ),
        (
            "alarm_emails",
            all(_EMAIL.match(e) for e in config.alarm_emails),
            "must be email addresses",
        ),
        (
            "alarm_https_endpoint",
            config.alarm_https_endpoint is None
            or bool(_HTTPS_URL.match(config.alarm_https_endpoint)),
            "must be an https:// URL",
        ),
    )


def _capacity_checks(config: EnvironmentConfig) -> tuple[tuple[str, bool, str], ...]:
    capacity = config.table_capacity
    if capacity is None:
        return (
            (
                "autoscaling",
                config.autoscaling is None,
                "must be None when table_capacity is None (tables on demand scale themselves)",
            ),
        )
    return (
        ("table_capacity.read", 1 <= capacity.read <= 40000, "must be 1..40000"),
        ("table_capacity.write", 1 <= capacity.write <= 40000, "must be 1..40000"),
    )


def _validate_autoscaling(config: EnvironmentConfig, scaling: AutoScaling) -> None:
    assert config.table_capacity is not None  # _capacity_checks: scaling needs a capacity
    if scaling.max_read < config.table_capacity.read:
        raise ConfigError(config.name, "autoscaling.max_read", "must be >= table_capacity.read")
    if scaling.max_write < config.table_capacity.write:
        raise ConfigError(config.name, "autoscaling.max_write", "must be >= table_capacity.write")
    if not 20 <= scaling.target_utilization <= 90:
        raise ConfigError(config.name, "autoscaling.target_utilization", "must be 20..90")


def _is_private_network(cidr: str) -> bool:
    try:
        network = ipaddress.IPv4Network(cidr, strict=True)
    except ValueError:
        return False
    return network.is_private and 16 <= network.prefixlen <= 24
