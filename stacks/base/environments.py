"""The environment matrix as data: what every environment shares, then one row per environment
with what differs. ``stacks.base.config`` builds each EnvironmentConfig from it (adding the values
that follow from the name and the region: the Powertools layer's ARN and the role boundary's
name, which a row may replace) and validates it; the rows are in the order the app synthesizes
them (dev, staging, prod, local)."""

from stacks.base.settings import AutoScaling, Capacity, Events, StateBackend, UserPool

COMMON_VALUES = {
    "az_count": 2,
    "table_capacity": Capacity(5, 5),
    # Capacity follows load between the provisioned floor and four times it.
    "autoscaling": AutoScaling(max_read=20, max_write=20),
    "log_level": "INFO",
    "point_in_time_recovery": True,
    "deletion_protection": False,
    "alarms_to_sns": True,
}

ENVIRONMENT_VALUES = {
    "dev": {
        "vpc_cidr": "10.10.0.0/16",
        # Idle most of the time: tables on demand cost nothing then (staging keeps prod's
        # provisioned capacity and its auto scaling), and the interface endpoints stand in one
        # zone (functions of the other zone reach them there; that zone's failure stops the
        # events and KMS in dev). docs/benchmarks.md has the costs.
        "table_capacity": None,
        "autoscaling": None,
        "interface_endpoint_zones": 1,
        "log_retention_days": 14,
        "log_level": "DEBUG",
        "cors_allowed_origins": ("http://localhost:3000", "https://dev.store.example.com"),
        "user_pool": UserPool(allow_user_password_auth=True),
        # A delivery that fails shows in the dead-letter queue within a quarter of an hour.
        "events": Events(
            sender_address="store@dev.store.example.com",
            delivery_retry_attempts=10,
            delivery_max_event_age_seconds=900,
        ),
    },
    "staging": {
        "vpc_cidr": "10.20.0.0/16",
        "table_capacity": Capacity(10, 10),
        "autoscaling": AutoScaling(max_read=40, max_write=40),
        "log_retention_days": 30,
        "cors_allowed_origins": ("https://staging.store.example.com",),
        "events": Events(
            sender_address="store@staging.store.example.com",
            pending_limit_minutes=240,
            delivery_retry_attempts=50,
            delivery_max_event_age_seconds=3600,
        ),
    },
    "prod": {
        "vpc_cidr": "10.30.0.0/16",
        "az_count": 3,
        "table_capacity": Capacity(50, 50),
        "autoscaling": AutoScaling(max_read=500, max_write=500),
        "log_retention_days": 365,
        "deletion_protection": True,
        "cors_allowed_origins": ("https://store.example.com",),
        "reserved_concurrency": 50,
        "api_throttle_rate": 500.0,
        "api_throttle_burst": 1000,
        "waf_rate_limit_per_5_minutes": 10000,
        # Sign-up codes and password resets through SES, as the sender identity: Cognito's own
        # sender has a small daily cap, not meant for production.
        "user_pool": UserPool(email_sending_account="DEVELOPER"),
        # AWS's own retry defaults (185 attempts over 24 hours): a late mail beats a lost one.
        "events": Events(
            sender_address="store@store.example.com",
            pending_limit_minutes=1440,
            delivery_retry_attempts=185,
            delivery_max_event_age_seconds=86400,
        ),
    },
    "local": {
        "vpc_cidr": "10.40.0.0/16",
        "log_retention_days": 1,
        "log_level": "DEBUG",
        # moto has no Application Auto Scaling tagging API, which the provider needs.
        "autoscaling": None,
        "cors_allowed_origins": ("*",),
        # Everything on the machine is one address: the fuzz gate alone sends 1,700 to
        # 2,900 requests in two minutes from it, after the integration suite's.
        "waf_rate_limit_per_5_minutes": 5000,
        "alarms_to_sns": False,
        # The emulator does not hold AWS's public layers; the local gateway runs the
        # functions with Powertools from the project's own environment.
        "powertools_layer_arn": None,
        "kms_deletion_window_days": 7,
        "ignore_rule_description_drift": True,
        # Always a throwaway file of its own, never beside the real environments' state.
        "state": StateBackend(local_path=".localcloud/state/terraform.tfstate"),
        "user_pool": UserPool(allow_user_password_auth=True),
        # The emulator runs no account stack, so there is no boundary to carry.
        "permissions_boundary": None,
        # Failures reach the dead-letter queues within the integration suite's deadlines.
        "events": Events(
            sender_address="store@localcloud.test",
            max_receive_count=3,
            delivery_retry_attempts=2,
            delivery_max_event_age_seconds=60,
        ),
    },
}
