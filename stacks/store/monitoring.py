"""Alarms and a dashboard over the functions, the API, the tables and the event queues."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct


@dataclass(frozen=True)
class MonitoringProps:  # pylint: disable=too-many-instance-attributes  # what is watched
    """Inputs of ``Monitoring``."""

    prefix: str
    region: str
    kms_key_id: str
    function_names: Mapping[str, str]
    function_timeout_seconds: int
    api_name: str
    stage_name: str
    table_names: Mapping[str, str]
    alarms_to_sns: bool
    # Who the topic notifies: email addresses and at most one HTTPS endpoint.
    alarm_emails: tuple[str, ...] = ()
    alarm_https_endpoint: str | None = None
    api_latency_p99_ms: int = 2000
    # The event queues by their logical names (each paged on when its oldest message waits
    # longer than ``max_message_age_seconds``) and the dead-letter queues (paged on as soon as
    # one holds a message).
    queue_names: Mapping[str, str] = field(default_factory=dict)
    dead_letter_queue_names: Mapping[str, str] = field(default_factory=dict)
    max_message_age_seconds: int = 300
    # The order events' bus and its rules by their logical names: each rule paged on as soon as
    # a delivery of it fails for good, is dead-lettered, or could not even be dead-lettered.
    event_bus_name: str = ""
    rule_names: Mapping[str, str] = field(default_factory=dict)


# The AWS/Events metrics of a rule's deliveries that page, by the alarm's suffix: each counts an
# event its target did not get (AWS emits them only when not zero).
DELIVERY_METRICS = {
    "failed-invocations": "FailedInvocations",
    "sent-to-dlq": "InvocationsSentToDlq",
    "dlq-send-failed": "InvocationsFailedToBeSentToDlq",
}


@dataclass(frozen=True)
class _Alarm:
    key: str
    namespace: str
    metric: str
    dimensions: dict[str, str]
    threshold: float
    statistic: str | None = "Sum"
    extended_statistic: str | None = None
    description: str = ""
    # (evaluation periods, datapoints to alarm) of one minute each.
    evaluation: tuple[int, int] = (5, 3)


class Monitoring(Construct):
    """An encrypted SNS topic, the alarms that page on it, and one dashboard.

    Alarms: per function errors, throttles and p99 duration near the timeout; the API stage's 5XX
    and p99 latency; read and write throttles per table; the age of each event queue's oldest
    message, and any message in a dead-letter queue (at once: one is a failed event); per rule of
    the events' bus, any event it failed to deliver (at once). Whether
    alarms notify the topic is the environment's choice (the emulator has no one to page), and
    so is who the topic notifies: one subscription per configured email address and HTTPS
    endpoint (each must confirm it).
    """

    def __init__(self, scope: Construct, construct_id: str, props: MonitoringProps):
        super().__init__(scope, construct_id)
        self.topic = SnsTopic(
            self, "alarms-topic", name=f"{props.prefix}-alarms", kms_master_key_id=props.kms_key_id
        )
        self.subscriptions = self._subscriptions(props)
        actions = [self.topic.arn] if props.alarms_to_sns else []
        self.alarms = {
            alarm.key: self._alarm(props.prefix, alarm, actions) for alarm in self._alarms(props)
        }
        self.dashboard = CloudwatchDashboard(
            self,
            "dashboard",
            dashboard_name=f"{props.prefix}-overview",
            dashboard_body=json.dumps(self._dashboard(props)),
        )

    def _subscriptions(self, props: MonitoringProps) -> list[SnsTopicSubscription]:
        """One per configured email address, and one for the HTTPS endpoint if there is one."""
        endpoints = [("email", address) for address in props.alarm_emails]
        if props.alarm_https_endpoint:
            endpoints.append(("https", props.alarm_https_endpoint))
        return [
            SnsTopicSubscription(
                self,
                f"alarms-{protocol}-{index}",
                topic_arn=self.topic.arn,
                protocol=protocol,
                endpoint=endpoint,
                # Never endpoint_auto_confirms: with it the provider waits for a confirmation
                # that a chat or paging webhook never sends, and the deploy fails. Without it
                # the subscription stays pending until the endpoint's owner confirms it
                # (docs/operations.md), as an email subscription does.
            )
            for index, (protocol, endpoint) in enumerate(endpoints)
        ]

    def _alarm(self, prefix: str, alarm: _Alarm, actions: list[str]) -> CloudwatchMetricAlarm:
        """3 of 5 one-minute periods (or as the alarm says) over the threshold (or at it, for a
        count)."""
        return CloudwatchMetricAlarm(
            self,
            alarm.key,
            alarm_name=f"{prefix}-{alarm.key}",
            alarm_description=alarm.description,
            namespace=alarm.namespace,
            metric_name=alarm.metric,
            dimensions=alarm.dimensions,
            statistic=alarm.statistic,
            extended_statistic=alarm.extended_statistic,
            period=60,
            evaluation_periods=alarm.evaluation[0],
            datapoints_to_alarm=alarm.evaluation[1],
            threshold=alarm.threshold,
            comparison_operator="GreaterThanOrEqualToThreshold"
            if alarm.statistic == "Sum"
            else "GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=actions,
            ok_actions=actions,
        )

    @staticmethod
    def _alarms(props: MonitoringProps) -> list[_Alarm]:
        alarms = []
        for key, name in props.function_names.items():
            dims = {"FunctionName": name}
            alarms += [
                _Alarm(f"{key}-errors", "AWS/Lambda", "Errors", dims, 1, description="Errors"),
                _Alarm(f"{key}-throttles", "AWS/Lambda", "Throttles", dims, 1, description="429s"),
                _Alarm(
                    f"{key}-duration-p99",
                    "AWS/Lambda",
                    "Duration",
                    dims,
                    props.function_timeout_seconds * 1000 * 0.8,
                    statistic=None,
                    extended_statistic="p99",
                    description="p99 duration above 80% of the timeout",
                ),
            ]
        api_dims = {"ApiName": props.api_name, "Stage": props.stage_name}
        alarms += [
            _Alarm("api-5xx", "AWS/ApiGateway", "5XXError", api_dims, 1, description="5XX"),
            _Alarm(
                "api-latency-p99",
                "AWS/ApiGateway",
                "Latency",
                api_dims,
                props.api_latency_p99_ms,
                statistic=None,
                extended_statistic="p99",
                description="p99 latency",
            ),
        ]
        for key, name in props.table_names.items():
            for metric in ("ReadThrottleEvents", "WriteThrottleEvents"):
                alarms.append(
                    _Alarm(
                        f"{key}-{metric.lower().replace('throttleevents', '-throttles')}",
                        "AWS/DynamoDB",
                        metric,
                        {"TableName": name},
                        1,
                        description=f"DynamoDB {metric}",
                    )
                )
        return alarms + Monitoring._queue_alarms(props) + Monitoring._delivery_alarms(props)

    @staticmethod
    def _delivery_alarms(props: MonitoringProps) -> list[_Alarm]:
        # A rule of a custom bus is measured with both dimensions, EventBusName and RuleName
        # (RuleName alone is the default bus's): an alarm on RuleName alone would never fire.
        return [
            _Alarm(
                f"{key}-{suffix}",
                "AWS/Events",
                metric,
                {"EventBusName": props.event_bus_name, "RuleName": name},
                1,
                description=f"An event of rule {key} was not delivered to its queue ({metric})",
                evaluation=(1, 1),
            )
            for key, name in props.rule_names.items()
            for suffix, metric in DELIVERY_METRICS.items()
        ]

    @staticmethod
    def _queue_alarms(props: MonitoringProps) -> list[_Alarm]:
        alarms = [
            _Alarm(
                f"{key}-queue-age",
                "AWS/SQS",
                "ApproximateAgeOfOldestMessage",
                {"QueueName": name},
                props.max_message_age_seconds,
                statistic="Maximum",
                description=f"A message of the {key} queue waits too long",
            )
            for key, name in props.queue_names.items()
        ]
        return alarms + [
            _Alarm(
                f"{key}-dlq-depth",
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                {"QueueName": name},
                0,
                statistic="Maximum",
                description=f"A failed event is in the {key} dead-letter queue",
                evaluation=(1, 1),
            )
            for key, name in props.dead_letter_queue_names.items()
        ]

    @staticmethod
    def _dashboard(props: MonitoringProps) -> dict:
        def widget(title: str, metrics: list, stat: str = "Sum") -> dict:
            return {
                "type": "metric",
                "width": 12,
                "height": 6,
                "properties": {
                    "title": title,
                    "region": props.region,
                    "stat": stat,
                    "period": 60,
                    "metrics": metrics,
                },
            }

        def queues(metric: str, names: Mapping[str, str]) -> list:
            return [["AWS/SQS", metric, "QueueName", name] for name in names.values()]

        functions = list(props.function_names.values())
        tables = list(props.table_names.values())
        api = ["ApiName", props.api_name, "Stage", props.stage_name]
        return {
            "widgets": [
                widget("API requests and errors", [
                    ["AWS/ApiGateway", m, *api] for m in ("Count", "4XXError", "5XXError")
                ]),
                widget("API latency p99", [["AWS/ApiGateway", "Latency", *api]], stat="p99"),
                widget("Function invocations", [
                    ["AWS/Lambda", "Invocations", "FunctionName", f] for f in functions
                ]),
                widget("Function errors and throttles", [
                    ["AWS/Lambda", m, "FunctionName", f]
                    for f in functions for m in ("Errors", "Throttles")
                ]),
                widget("Function duration p99", [
                    ["AWS/Lambda", "Duration", "FunctionName", f] for f in functions
                ], stat="p99"),
                widget("DynamoDB throttles", [
                    ["AWS/DynamoDB", m, "TableName", t]
                    for t in tables for m in ("ReadThrottleEvents", "WriteThrottleEvents")
                ]),
                widget("Event queues: oldest message (s)", queues(
                    "ApproximateAgeOfOldestMessage", props.queue_names
                ), stat="Maximum"),
                widget("Dead-letter queues: messages", queues(
                    "ApproximateNumberOfMessagesVisible", props.dead_letter_queue_names
                ), stat="Maximum"),
                widget("Event deliveries that failed", [
                    ["AWS/Events", m, "EventBusName", props.event_bus_name, "RuleName", r]
                    for r in props.rule_names.values() for m in DELIVERY_METRICS.values()
                ]),
            ]
        }  # fmt: skip
