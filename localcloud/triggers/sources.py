"""The event source mappings and schedules deployed on the emulator, read back as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"


@dataclass(frozen=True)
class Mapping:  # pylint: disable=too-many-instance-attributes
    """One enabled event source mapping, as Lambda's poller reads its configuration."""

    uuid: str
    function_name: str
    source_arn: str
    batch_size: int
    window_s: float
    report_item_failures: bool
    starting_position: str = "TRIM_HORIZON"
    bisect_on_error: bool = False
    max_retry_attempts: int = -1
    """-1: retried until the records expire (Lambda's default for streams)."""
    on_failure_arn: str | None = None
    function_arn: str = ""

    @property
    def kind(self) -> str:
        """``sqs`` or ``dynamodb`` (the service of its source)."""
        return self.source_arn.split(":")[2]

    @classmethod
    def from_configuration(cls, config: dict) -> Mapping:
        """A mapping from ``ListEventSourceMappings``' entry."""
        destination = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
            "Destination"
        )
        retries = config.get("MaximumRetryAttempts")
        return cls(
            uuid=config["UUID"],
            function_name=config["FunctionArn"].split(":")[6],
            source_arn=config["EventSourceArn"],
            batch_size=int(config.get("BatchSize") or 10),
            window_s=float(config.get("MaximumBatchingWindowInSeconds") or 0),
            report_item_failures=REPORT_BATCH_ITEM_FAILURES
            in (config.get("FunctionResponseTypes") or []),
            starting_position=config.get("StartingPosition") or "TRIM_HORIZON",
            bisect_on_error=bool(config.get("BisectBatchOnFunctionError")),
            max_retry_attempts=-1 if retries is None else int(retries),
            on_failure_arn=destination,
            function_arn=config["FunctionArn"],
        )


@dataclass(frozen=True)
class Schedule:
    """One enabled EventBridge Scheduler schedule and its target."""

    name: str
    group: str
    expression: str
    target_arn: str
    role_arn: str
    payload: str
    created: float
    """When it was created (seconds since the epoch): rate schedules count from there."""
    start: float | None = None
    end: float | None = None
    zone: str = "UTC"
    arn: str = ""
    retry_attempts: int = 185
    """MaximumRetryAttempts of its target's retry policy (the scheduler's default: 185)."""
    max_age_s: float = 86400.0
    """MaximumEventAgeInSeconds of its target's retry policy (the default: a day)."""
    dead_letter_arn: str = ""
    """The queue its failed firings go to ("": none, they are dropped)."""

    @classmethod
    def from_configuration(cls, config: dict) -> Schedule:
        """A schedule from ``GetSchedule``'s answer."""
        target = config.get("Target") or {}
        retry = target.get("RetryPolicy") or {}
        return cls(
            name=config["Name"],
            group=config.get("GroupName") or "default",
            expression=config.get("ScheduleExpression") or "",
            target_arn=target.get("Arn") or "",
            role_arn=target.get("RoleArn") or "",
            payload=target.get("Input") or "",
            created=_epoch(config.get("CreationDate")) or 0.0,
            start=_epoch(config.get("StartDate")),
            end=_epoch(config.get("EndDate")),
            zone=config.get("ScheduleExpressionTimezone") or "UTC",
            arn=config.get("Arn") or "",
            retry_attempts=int(retry.get("MaximumRetryAttempts", 185)),
            max_age_s=float(retry.get("MaximumEventAgeInSeconds", 86400)),
            dead_letter_arn=(target.get("DeadLetterConfig") or {}).get("Arn") or "",
        )


def _epoch(value) -> float | None:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    return None


@dataclass
class Deployed:
    """Everything that triggers functions, as deployed now."""

    mappings: list[Mapping] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)

    @property
    def functions(self) -> set[str]:
        """The functions the mappings invoke."""
        return {m.function_name for m in self.mappings}

    def fingerprint(self) -> tuple:
        """What changes when a redeploy changes any of it."""
        return (tuple(sorted(map(repr, self.mappings))), tuple(sorted(map(repr, self.schedules))))


def read_deployed(lambda_client, scheduler_client) -> Deployed:
    """The enabled mappings and schedules on the emulator."""
    mappings = []
    for page in lambda_client.get_paginator("list_event_source_mappings").paginate():
        for config in page.get("EventSourceMappings", []):
            if config.get("State", "Enabled") == "Enabled":
                mappings.append(Mapping.from_configuration(config))
    schedules = []
    for page in scheduler_client.get_paginator("list_schedules").paginate():
        for listed in page.get("Schedules", []):
            if listed.get("State") != "ENABLED":
                continue
            found = scheduler_client.get_schedule(
                Name=listed["Name"], GroupName=listed.get("GroupName") or "default"
            )
            schedules.append(Schedule.from_configuration(found))
    return Deployed(mappings, schedules)
