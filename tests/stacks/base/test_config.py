"""The environment matrix as data, its validation and its overrides."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend

from stacks.base.config import (
    ENVIRONMENTS,
    POWERTOOLS_LAYER,
    AutoScaling,
    Capacity,
    ConfigError,
    StateBackend,
    UserPool,
    load,
    load_all,
)
from stacks.base.zones import CONSTRAINED_ZONE_IDS, REGION_ZONE_IDS, allowed_zone_ids


@pytest.mark.parametrize(
    ("name", "capacity", "zones", "retention", "level", "pitr", "protection", "alarms"),
    [
        ("dev", None, 2, 14, "DEBUG", True, False, True),
        ("staging", (10, 10), 2, 30, "INFO", True, False, True),
        ("prod", (50, 50), 3, 365, "INFO", True, True, True),
        ("local", (5, 5), 2, 1, "DEBUG", True, False, False),
    ],
)
def test_matrix(name, capacity, zones, retention, level, pitr, protection, alarms):  # pylint: disable=too-many-arguments,too-many-positional-arguments
    config = load(name, {})
    table = config.table_capacity
    assert ((table.read, table.write) if table else None) == capacity
    assert config.az_count == zones
    assert config.log_retention_days == retention
    assert config.log_level == level
    assert config.point_in_time_recovery is pitr
    assert config.deletion_protection is protection
    assert config.alarms_to_sns is alarms
    assert config.prefix == f"ecommerce-{name}"


def test_every_real_environment_autoscales_from_its_floor():
    maxima = {
        c.name: (c.autoscaling.max_read, c.autoscaling.max_write) if c.autoscaling else None
        for c in load_all({})
    }
    # dev's tables are on demand: nothing to scale.
    assert maxima == {"dev": None, "staging": (40, 40), "prod": (500, 500), "local": None}


def test_zones_are_a_fixed_list_of_ids_in_the_region():
    # Not use1-az3: a constrained zone (below).
    assert load("prod", {}).zone_ids == ("use1-az1", "use1-az2", "use1-az4")
    assert load("dev", {}).zone_ids == ("use1-az1", "use1-az2")
    assert load("dev", {"ECOMMERCE_REGION": "eu-west-1"}).zone_ids == ("euw1-az1", "euw1-az2")


def test_zones_come_from_the_region_table_not_from_numbers():
    # Tokyo has no use for apne1-az3: its zone IDs are az1, az2 and az4.
    tokyo = {"ECOMMERCE_REGION": "ap-northeast-1"}
    assert load("prod", tokyo).zone_ids == ("apne1-az1", "apne1-az2", "apne1-az4")
    assert load("dev", {"ECOMMERCE_REGION": "us-west-1"}).zone_ids == ("usw1-az1", "usw1-az3")


def test_the_region_table_lists_the_emulators_zone_ids():
    """The local cloud deploys onto moto, whatever the region: each row must be the zone IDs moto
    knows for that region (which are AWS's), or CreateSubnet fails there."""
    emulated = {
        region: sorted(zone.zone_id for zone in zones)
        for region, zones in RegionsAndZonesBackend.zones.items()
    }
    assert {region: sorted(ids) for region, ids in REGION_ZONE_IDS.items()} == {
        region: emulated[region] for region in REGION_ZONE_IDS
    }


def test_the_constrained_zones_are_listed_with_their_reason():
    assert set(CONSTRAINED_ZONE_IDS) == {"use1-az3"}
    assert "constrained" in CONSTRAINED_ZONE_IDS["use1-az3"]
    assert "interface endpoint" in CONSTRAINED_ZONE_IDS["use1-az3"]
    assert allowed_zone_ids("us-east-1") == (
        "use1-az1", "use1-az2", "use1-az4", "use1-az5", "use1-az6"
    )  # fmt: skip
    assert allowed_zone_ids("me-central-1") is None


@pytest.mark.parametrize("region", sorted(REGION_ZONE_IDS))
def test_every_default_zone_is_one_the_region_table_allows(region):
    for name in ENVIRONMENTS:
        if len(allowed_zone_ids(region)) < load(name, {}).az_count:
            # us-west-1 has two zones: prod's three fail synth rather than take any other.
            with pytest.raises(ConfigError, match="zones must name at least"):
                load(name, {"ECOMMERCE_REGION": region})
            continue
        config = load(name, {"ECOMMERCE_REGION": region})
        assert len(config.zone_ids) == config.az_count
        for zone in config.zone_ids:
            assert zone in REGION_ZONE_IDS[region] and zone not in CONSTRAINED_ZONE_IDS, (
                f"{config.name} in {region}: {zone}"
            )


def test_a_constrained_zone_fails_naming_the_field_and_the_reason():
    with pytest.raises(ConfigError) as raised:
        load("prod", {"ECOMMERCE_ZONES": "use1-az1,use1-az2,use1-az3"})
    assert raised.value.field_name == "zones"
    assert "must not name a constrained zone: use1-az3 is a constrained zone of us-east-1" in (
        str(raised.value)
    )


def test_zone_override_replaces_the_regions_row():
    environ = {"ECOMMERCE_ZONES": "use1-az4, use1-az5, use1-az6"}
    assert load("prod", environ).zone_ids == ("use1-az4", "use1-az5", "use1-az6")
    assert load("dev", environ).zone_ids == ("use1-az4", "use1-az5")
    unknown = {"ECOMMERCE_REGION": "me-central-1", "ECOMMERCE_ZONES": "mec1-az1,mec1-az2"}
    assert load("dev", unknown).zone_ids == ("mec1-az1", "mec1-az2")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"ECOMMERCE_REGION": "me-central-1"}, "must be set (ECOMMERCE_ZONES) for region"),
        ({"ECOMMERCE_REGION": "ap-northeast-1", "ECOMMERCE_ZONES": "apne1-az3,apne1-az1"},
         "zones must be availability zone IDs of ap-northeast-1: apne1-az1, apne1-az2, apne1-az4"),
        ({"ECOMMERCE_ZONES": "euw1-az1,euw1-az2"},
         "zones must be availability zone IDs of us-east-1"),
        # Names are not IDs: the message says where this account's IDs are listed.
        ({"ECOMMERCE_ZONES": "us-east-1a,us-east-1b"}, "describe-availability-zones"),
        ({"ECOMMERCE_REGION": "me-central-1", "ECOMMERCE_ZONES": "mec1-az1,euw1-az2"},
         "zones must be availability zone IDs of me-central-1"),
        ({"ECOMMERCE_REGION": "me-central-1", "ECOMMERCE_ZONES": "me-central-1a,me-central-1b"},
         "(e.g. mec1-az1)"),
        ({"ECOMMERCE_ZONES": "use1-az1,use1-az1"}, "distinct zones"),
        ({"ECOMMERCE_ZONES": "use1-az1"}, "zones must name at least 2 distinct zones"),
    ],
)  # fmt: skip
def test_bad_zones_fail_naming_the_field(environ, message):
    with pytest.raises(ConfigError) as raised:
        load("dev", environ)
    assert message in str(raised.value)


def test_alarm_subscribers_are_configuration():
    assert load("prod", {}).alarm_emails == () and load("prod", {}).alarm_https_endpoint is None
    config = load(
        "prod",
        {
            "ECOMMERCE_PROD_ALARM_EMAILS": "oncall@example.com, lead@example.com",
            "ECOMMERCE_PROD_ALARM_HTTPS_ENDPOINT": "https://hooks.example.com/alarms",
        },
    )
    assert config.alarm_emails == ("oncall@example.com", "lead@example.com")
    assert config.alarm_https_endpoint == "https://hooks.example.com/alarms"
    # Another environment's variables do not leak in.
    assert load("dev", {"ECOMMERCE_PROD_ALARM_EMAILS": "oncall@example.com"}).alarm_emails == ()


@pytest.mark.parametrize(
    ("environ", "field_name"),
    [
        ({"ECOMMERCE_STAGING_ALARM_EMAILS": "not-an-address"}, "alarm_emails"),
        ({"ECOMMERCE_STAGING_ALARM_HTTPS_ENDPOINT": "http://hooks.example.com"},
         "alarm_https_endpoint"),
        ({"ECOMMERCE_STAGING_ALARM_HTTPS_ENDPOINT": "https://x y"}, "alarm_https_endpoint"),
    ],
)  # fmt: skip
def test_bad_alarm_subscribers_fail_naming_the_field(environ, field_name):
    with pytest.raises(ConfigError) as raised:
        load("staging", environ)
    assert raised.value.field_name == field_name
    assert "'staging'" in str(raised.value)


def test_powertools_layer_ships_the_locked_powertools():
    lock = json.loads(Path(__file__).resolve().parents[3].joinpath("Pipfile.lock").read_text())
    locked = lock["default"]["aws-lambda-powertools"]["version"].removeprefix("==")
    assert POWERTOOLS_LAYER["powertools"] == locked
    arn = load("prod", {}).powertools_layer_arn
    assert arn.endswith(f":{POWERTOOLS_LAYER['layer_version']}")


def test_cors_origins_per_environment():
    configs = {c.name: c for c in load_all({})}
    assert "http://localhost:3000" in configs["dev"].cors_allowed_origins
    assert configs["staging"].cors_allowed_origins == ("https://staging.store.example.com",)
    assert configs["prod"].cors_allowed_origins == ("https://store.example.com",)
    assert configs["local"].cors_allowed_origins == ("*",)


def test_local_takes_no_public_layer_and_real_environments_do():
    configs = {c.name: c for c in load_all({})}
    assert configs["local"].powertools_layer_arn is None
    for name in ("dev", "staging", "prod"):
        assert "AWSLambdaPowertoolsPythonV3-python312" in configs[name].powertools_layer_arn


def test_real_environments_roles_are_bounded_and_locals_are_not():
    configs = {c.name: c for c in load_all({})}
    assert configs["local"].permissions_boundary is None
    for name in ("dev", "staging", "prod"):
        assert configs[name].permissions_boundary == f"ecommerce-{name}-role-boundary"


def test_region_and_cors_overrides():
    config = load(
        "staging",
        {
            "ECOMMERCE_REGION": "eu-west-1",
            "ECOMMERCE_STAGING_CORS_ORIGINS": "https://a.io, https://b.io",
        },
    )
    assert config.region == "eu-west-1"
    assert config.cors_allowed_origins == ("https://a.io", "https://b.io")
    assert ":eu-west-1:" in config.powertools_layer_arn


def test_state_bucket_applies_to_real_environments_only():
    environ = {"ECOMMERCE_STATE_BUCKET": "team-tf-state", "ECOMMERCE_STATE_REGION": "us-west-2"}
    assert load("prod", environ).state == StateBackend(bucket="team-tf-state", region="us-west-2")
    assert load("local", environ).state.bucket is None
    assert load("local", environ).state.local_path == ".localcloud/state/terraform.tfstate"
    assert load("dev", {}).state == StateBackend()


@pytest.mark.parametrize(
    ("change", "field_name"),
    [
        ({"table_capacity": Capacity(0, 5)}, "table_capacity.read"),
        ({"table_capacity": Capacity(5, 0)}, "table_capacity.write"),
        ({"vpc_cidr": "10.0.0.0/33"}, "vpc_cidr"),
        ({"vpc_cidr": "not-a-cidr"}, "vpc_cidr"),
        ({"vpc_cidr": "8.8.0.0/16"}, "vpc_cidr"),
        ({"vpc_cidr": "10.0.0.1/16"}, "vpc_cidr"),
        ({"log_retention_days": 13}, "log_retention_days"),
        ({"log_level": "VERBOSE"}, "log_level"),
        ({"az_count": 1}, "az_count"),
        ({"region": "mars-1"}, "region"),
        ({"cors_allowed_origins": ()}, "cors_allowed_origins"),
        ({"cors_allowed_origins": ("ftp://x",)}, "cors_allowed_origins"),
        ({"powertools_layer_arn": "layer"}, "powertools_layer_arn"),
        ({"lambda_memory_mb": 64}, "lambda_memory_mb"),
        ({"lambda_timeout_seconds": 30}, "lambda_timeout_seconds"),
        ({"reserved_concurrency": 0}, "reserved_concurrency"),
        ({"api_throttle_rate": 0}, "api_throttle_rate"),
        ({"api_throttle_burst": 0}, "api_throttle_burst"),
        ({"kms_deletion_window_days": 3}, "kms_deletion_window_days"),
        ({"waf_rate_limit_per_5_minutes": 99}, "waf_rate_limit_per_5_minutes"),
        ({"state": StateBackend(bucket="Bad_Bucket")}, "state.bucket"),
        ({"permissions_boundary": "arn:aws:iam::1:policy/b"}, "permissions_boundary"),
        ({"permissions_boundary": ""}, "permissions_boundary"),
        ({"permissions_boundary": "b" * 129}, "permissions_boundary"),
        ({"autoscaling": AutoScaling(max_read=1, max_write=500)}, "autoscaling.max_read"),
        ({"autoscaling": AutoScaling(max_read=500, max_write=1)}, "autoscaling.max_write"),
        (
            {"autoscaling": AutoScaling(max_read=500, max_write=500, target_utilization=99)},
            "autoscaling.target_utilization",
        ),
        ({"user_pool": UserPool(tier="FREE")}, "user_pool.tier"),
        ({"user_pool": UserPool(password_min_length=7)}, "user_pool.password_min_length"),
        ({"user_pool": UserPool(password_min_length=100)}, "user_pool.password_min_length"),
        ({"user_pool": UserPool(temporary_password_days=0)}, "user_pool.temporary_password_days"),
        ({"user_pool": UserPool(mfa="SOMETIMES")}, "user_pool.mfa"),
        ({"user_pool": UserPool(id_token_minutes=4)}, "user_pool.id_token_minutes"),
        ({"user_pool": UserPool(access_token_minutes=1441)}, "user_pool.access_token_minutes"),
        ({"user_pool": UserPool(refresh_token_days=0)}, "user_pool.refresh_token_days"),
        ({"user_pool": UserPool(email_sending_account="SES")}, "user_pool.email_sending_account"),
    ],
)
def test_bad_values_name_the_field(change, field_name):
    with pytest.raises(ConfigError) as raised:
        replace(load("prod", {}), **change).validate()
    assert raised.value.field_name == field_name
    assert field_name in str(raised.value)
    assert "'prod'" in str(raised.value)


def test_unknown_environment():
    with pytest.raises(ConfigError, match="name must be one of dev, staging, prod, local"):
        load("qa", {})


def test_bad_override_fails_naming_the_field():
    with pytest.raises(ConfigError, match="cors_allowed_origins"):
        load("dev", {"ECOMMERCE_DEV_CORS_ORIGINS": "javascript:alert(1)"})
    with pytest.raises(ConfigError, match="region"):
        load("dev", {"ECOMMERCE_REGION": "nowhere"})


def test_tags():
    assert load("dev", {}).tags == {
        "project": "ecommerce",
        "environment": "dev",
        "managed-by": "cdktf",
    }


def test_fixed_capacity_without_autoscaling_is_valid():
    config = replace(load("staging", {}), autoscaling=None).validate()
    assert config.autoscaling is None and config.table_capacity == Capacity(10, 10)


def test_dev_saves_its_idle_cost_and_prod_does_not():
    """Dev: tables on demand and the interface endpoints in one zone; the others provisioned
    with auto scaling (local: fixed) and endpoints in every zone."""
    by_name = {c.name: c for c in load_all({})}
    assert (by_name["dev"].table_capacity, by_name["dev"].autoscaling) == (None, None)
    assert by_name["dev"].interface_endpoint_zones == 1
    for name in ("staging", "prod", "local"):
        assert by_name[name].table_capacity is not None
        assert by_name[name].interface_endpoint_zones is None


def test_on_demand_tables_cannot_scale():
    config = replace(load("dev", {}), autoscaling=AutoScaling(max_read=20, max_write=20))
    with pytest.raises(ConfigError, match="autoscaling must be None when table_capacity is None"):
        config.validate()


@pytest.mark.parametrize("zones", [0, 3])
def test_endpoint_zones_are_within_the_network(zones):
    with pytest.raises(ConfigError, match=r"interface_endpoint_zones must be 1\.\.az_count \(2\)"):
        replace(load("dev", {}), interface_endpoint_zones=zones).validate()


def test_index_changes_are_applied_only_when_asked():
    assert load("prod", {}).apply_index_changes is False
    assert load("prod", {"ECOMMERCE_APPLY_INDEX_CHANGES": "1"}).apply_index_changes is True
    assert load("prod", {"ECOMMERCE_APPLY_INDEX_CHANGES": "0"}).apply_index_changes is False
    with pytest.raises(ConfigError, match="apply_index_changes must be 1 or 0"):
        load("prod", {"ECOMMERCE_APPLY_INDEX_CHANGES": "yes"})


def test_user_password_auth_only_in_dev_and_local():
    flows = {c.name: c.user_pool.auth_flows for c in load_all({})}
    everywhere = (
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    )
    assert flows == {
        "dev": (*everywhere, "ALLOW_USER_PASSWORD_AUTH"),
        "staging": everywhere,
        "prod": everywhere,
        "local": (*everywhere, "ALLOW_USER_PASSWORD_AUTH"),
    }


@pytest.mark.parametrize(
    ("name", "sender", "limit", "receives"),
    [
        ("dev", "store@dev.store.example.com", 60, 5),
        ("staging", "store@staging.store.example.com", 240, 5),
        ("prod", "store@store.example.com", 1440, 5),
        ("local", "store@localcloud.test", 60, 3),
    ],
)
def test_events_matrix(name, sender, limit, receives):
    events = load(name, {}).events
    assert (events.sender_address, events.pending_limit_minutes) == (sender, limit)
    assert (events.max_receive_count, events.low_stock_threshold) == (receives, 5)
    assert events.low_stock_subscribers == ()


def test_sender_and_low_stock_subscribers_are_overrides():
    events = load(
        "prod",
        {
            "ECOMMERCE_PROD_SENDER_ADDRESS": " orders@shop.example ",
            "ECOMMERCE_PROD_LOW_STOCK_EMAILS": "a@shop.example,b@shop.example",
        },
    ).events
    assert events.sender_address == "orders@shop.example"
    assert events.low_stock_subscribers == ("a@shop.example", "b@shop.example")
    # Another environment's variables change nothing here.
    assert (
        load("dev", {"ECOMMERCE_PROD_SENDER_ADDRESS": "x@y.example"}).events
        == load("dev", {}).events
    )


@pytest.mark.parametrize(
    ("change", "field_name"),
    [
        ({"sender_address": "not an address"}, "events.sender_address"),
        ({"low_stock_threshold": -1}, "events.low_stock_threshold"),
        ({"pending_limit_minutes": 4}, "events.pending_limit_minutes"),
        ({"pending_limit_minutes": 43201}, "events.pending_limit_minutes"),
        ({"max_receive_count": 0}, "events.max_receive_count"),
        ({"low_stock_subscribers": ("admin",)}, "events.low_stock_subscribers"),
        ({"batch_size": 11}, "events.batch_size"),
        ({"batch_size": 0}, "events.batch_size"),
        ({"batch_window_seconds": 301}, "events.batch_window_seconds"),
        ({"max_message_age_seconds": 59}, "events.max_message_age_seconds"),
        ({"expiry_rate_minutes": 0}, "events.expiry_rate_minutes"),
        # EventBridge's and EventBridge Scheduler's retry bounds: 0..185 attempts, 60..86400 s.
        ({"delivery_retry_attempts": -1}, "events.delivery_retry_attempts"),
        ({"delivery_retry_attempts": 186}, "events.delivery_retry_attempts"),
        ({"delivery_max_event_age_seconds": 59}, "events.delivery_max_event_age_seconds"),
        ({"delivery_max_event_age_seconds": 86401}, "events.delivery_max_event_age_seconds"),
    ],
)
def test_bad_events_values_name_the_field(change, field_name):
    config = load("dev", {})
    with pytest.raises(ConfigError, match=field_name.replace(".", r"\.")) as error:
        replace(config, events=replace(config.events, **change)).validate()
    assert error.value.field_name == field_name


def test_a_batch_window_allows_larger_batches():
    config = load("dev", {})
    events = replace(config.events, batch_size=100, batch_window_seconds=5)
    assert replace(config, events=events).validate().events.batch_size == 100


def test_a_bad_sender_override_fails_naming_the_field():
    with pytest.raises(ConfigError, match=r"events\.sender_address"):
        load("staging", {"ECOMMERCE_STAGING_SENDER_ADDRESS": "nobody"})
