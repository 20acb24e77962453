"""The order events' plumbing: the bus, its rules, the queues and their dead-letter queues, the
expiry schedule, the low-stock topic and the sender's mail identity."""

import json
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_event_bus import CloudwatchEventBus
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import (
    CloudwatchEventTarget,
    CloudwatchEventTargetDeadLetterConfig,
    CloudwatchEventTargetRetryPolicy,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.scheduler_schedule import (
    SchedulerSchedule,
    SchedulerScheduleFlexibleTimeWindow,
    SchedulerScheduleTarget,
    SchedulerScheduleTargetDeadLetterConfig,
    SchedulerScheduleTargetRetryPolicy,
)
from cdktf_cdktf_provider_aws.sesv2_email_identity import Sesv2EmailIdentity
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy
from constructs import Construct

from handlers.store.spec import events as event_spec
from handlers.store.spec import manifest
from handlers.store.spec import table_schemas as table_specs
from stacks.base.config import Events as EventsConfig
from stacks.base.iam import assume_role_policy, policy_document, statement

# The queues, ``<prefix>-<queue>``, and the consumer each one feeds (its ``OWN_QUEUE``).
NOTIFICATIONS, LOW_STOCK, EXPIRY = "notifications", "low-stock", "expiry"
QUEUE_OF = {
    manifest.NOTIFIER.name: NOTIFICATIONS,
    manifest.STOCK_ALERTS.name: LOW_STOCK,
    manifest.EXPIRER.name: EXPIRY,
}
QUEUES = tuple(QUEUE_OF.values())
# The dead-letter queues of delivery itself, ``<prefix>-<name>-dlq``: what the bus's rules could
# not deliver to their queues, and the expiry schedule's firings it could not deliver. (A queue's
# own dead-letter queue holds what its consumer failed; the publisher's, the stream records.)
BUS_DLQ, SCHEDULE_DLQ = "events", "schedule"
DELIVERY_DLQS = (BUS_DLQ, SCHEDULE_DLQ)
# The tables whose change streams a ``TABLE_STREAMS`` reader (the publisher) reads.
STREAMED_TABLES = (table_specs.ORDERS, table_specs.PRODUCTS)
# SQS keeps a message at most 14 days: a dead-letter queue keeps it that long for a person to
# look at; a queue keeps it 4 days (SQS's default), far beyond its consumers' retries.
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
QUEUE_RETENTION_SECONDS = 4 * 24 * 3600
# AWS's advice for a queue feeding a Lambda function: a visibility timeout six times the
# function's timeout, so that a batch retried by the mapping is not delivered twice meanwhile.
VISIBILITY_FACTOR = 6
# What the scheduler role may do, and what the expiry schedule sends (the expirer reads no field
# of it: each message means "expire what is due now").
SCHEDULER_ACTIONS = ("sqs:SendMessage",)
EXPIRY_MESSAGE = {"task": "expire-orders"}


def queue_name(prefix: str, name: str) -> str:
    """A queue's name: ``<prefix>-<name>``; its dead-letter queue's adds ``-dlq``."""
    return f"{prefix}-{name}"


def dead_letter_queue_name(prefix: str, name: str) -> str:
    """The name of queue ``name``'s dead-letter queue."""
    return f"{queue_name(prefix, name)}-dlq"


def bus_name(prefix: str) -> str:
    """The environment's event bus."""
    return f"{prefix}-events"


def topic_name(prefix: str) -> str:
    """The low-stock topic."""
    return f"{prefix}-low-stock"


def schedule_name(prefix: str) -> str:
    """The expiry schedule."""
    return f"{prefix}-expire-orders"


def scheduler_role_name(prefix: str) -> str:
    """The role the scheduler sends the expiry message with."""
    return f"{prefix}-scheduler-role"


def rate(minutes: int) -> str:
    """A scheduler rate expression (its unit is singular for 1)."""
    return f"rate({minutes} minute{'' if minutes == 1 else 's'})"


# Each rule: the queue it delivers to and its pattern (handlers/store/spec/events.py). Two rules
# feed the notifications queue rather than one with ``$or``: plain patterns, read alike by every
# EventBridge implementation.
_PLACED, _STATUS = event_spec.NOTIFICATION_PATTERNS
RULES = {
    "notify-placed": (NOTIFICATIONS, _PLACED),
    "notify-status": (NOTIFICATIONS, _STATUS),
    "low-stock": (LOW_STOCK, event_spec.STOCK_LOW_PATTERNS[0]),
}


@dataclass(frozen=True)
class EventsProps:
    """Inputs of ``Events``."""

    prefix: str
    config: EventsConfig
    # The consumers' timeout: each queue's visibility timeout is six times it.
    function_timeout_seconds: int
    kms_key_arn: str
    # ARN of the managed policy bounding the scheduler's role; None: no boundary.
    permissions_boundary: str | None
    # The streams of ``STREAMED_TABLES`` (what a ``TABLE_STREAMS`` grant names).
    stream_arns: tuple[str, ...] = ()


class Events(Construct):
    """The bus the publisher puts the order events on, and everything between it and the
    consumers.

    One SQS queue per consumer (notifications, low stock, expiry), each with a dead-letter queue
    that takes a message after the configured number of deliveries, plus the dead-letter queue of
    the publisher's streams. The queues are encrypted (SQS-managed keys, which EventBridge and the
    scheduler can write to with no key grant). Rules on the bus deliver to the notifications and
    low-stock queues, each queue's policy letting only its own rules send; an EventBridge
    Scheduler schedule sends the expiry queue a message every few minutes through a role that
    may send to that queue only. Every delivery, the rules' and the schedule's, is retried as
    configured and then dead-lettered: the rules' to the bus's dead-letter queue (whose policy
    admits the rules only), the schedule's to a dead-letter queue of its own. The low-stock
    topic (encrypted with the environment's key) mails the configured admins; the sender's SES
    identity is created here and verified by its owner (docs/operations.md).
    """

    def __init__(self, scope: Construct, construct_id: str, props: EventsProps):
        super().__init__(scope, construct_id)
        self.props = props
        prefix = props.prefix
        self.bus = CloudwatchEventBus(self, "bus", name=bus_name(prefix))
        self.dead_letter_queues: dict[str, SqsQueue] = {
            name: self._queue(f"{name}-dlq", dead_letter_queue_name(prefix, name), None)
            for name in (*QUEUES, "publisher", *DELIVERY_DLQS)
        }
        self.queues: dict[str, SqsQueue] = {
            name: self._queue(name, queue_name(prefix, name), self.dead_letter_queues[name])
            for name in QUEUES
        }
        self.rules = {key: self._rule(key, pattern) for key, (_, pattern) in RULES.items()}
        self._deliveries()
        self.schedule = self._schedule()
        self.topic = SnsTopic(
            self, "low-stock-topic", name=topic_name(prefix), kms_master_key_id=props.kms_key_arn
        )
        self.subscriptions = [
            SnsTopicSubscription(
                self,
                f"low-stock-email-{index}",
                topic_arn=self.topic.arn,
                protocol="email",
                endpoint=address,
            )
            for index, address in enumerate(props.config.low_stock_subscribers)
        ]
        self.sender = Sesv2EmailIdentity(self, "sender", email_identity=props.config.sender_address)

    def access_arns(self, spec: manifest.FunctionSpec) -> dict[str, tuple[str, ...]]:
        """What each of the manifest's logical resources is for function ``spec``: its own
        queue, and the environment's bus, topic, identity, streams, key and publisher DLQ."""
        props = self.props
        own = QUEUE_OF.get(spec.name)
        return {
            manifest.BUS: (self.bus.arn,),
            manifest.LOW_STOCK_TOPIC: (self.topic.arn,),
            manifest.SENDER_IDENTITY: (self.sender.arn,),
            manifest.PUBLISHER_DLQ: (self.dead_letter_queues["publisher"].arn,),
            manifest.TABLE_STREAMS: props.stream_arns,
            manifest.ENVIRONMENT_KEY: (props.kms_key_arn,),
        } | ({manifest.OWN_QUEUE: (self.queues[own].arn,)} if own else {})

    def _queue(self, construct_id: str, name: str, dead_letter: SqsQueue | None) -> SqsQueue:
        props = self.props
        return SqsQueue(
            self,
            construct_id,
            name=name,
            sqs_managed_sse_enabled=True,
            visibility_timeout_seconds=VISIBILITY_FACTOR * props.function_timeout_seconds,
            message_retention_seconds=QUEUE_RETENTION_SECONDS
            if dead_letter
            else DLQ_RETENTION_SECONDS,
            # Compact, as SQS gives it back: otherwise every plan shows a whitespace change.
            redrive_policy=json.dumps(
                {
                    "deadLetterTargetArn": dead_letter.arn,
                    "maxReceiveCount": props.config.max_receive_count,
                },
                separators=(",", ":"),
            )
            if dead_letter
            else None,
        )

    def _rule(self, key: str, pattern: dict) -> CloudwatchEventRule:
        return CloudwatchEventRule(
            self,
            f"{key}-rule",
            name=f"{self.props.prefix}-{key}",
            description=f"Order events to the {RULES[key][0]} queue",
            event_bus_name=self.bus.name,
            event_pattern=json.dumps(pattern),
        )

    def _deliveries(self) -> None:
        """Each rule's target (retried as configured, then dead-lettered), and each fed queue's
        policy: only its own rules may send. The bus's dead-letter queue admits all the rules."""
        config = self.props.config
        dead_letter = self.dead_letter_queues[BUS_DLQ]
        for key, (queue, _) in RULES.items():
            CloudwatchEventTarget(
                self,
                f"{key}-target",
                rule=self.rules[key].name,
                event_bus_name=self.bus.name,
                target_id=queue,
                arn=self.queues[queue].arn,
                dead_letter_config=CloudwatchEventTargetDeadLetterConfig(arn=dead_letter.arn),
                retry_policy=CloudwatchEventTargetRetryPolicy(
                    maximum_retry_attempts=config.delivery_retry_attempts,
                    maximum_event_age_in_seconds=config.delivery_max_event_age_seconds,
                ),
            )
        for queue in sorted({queue for queue, _ in RULES.values()}):
            rules = [self.rules[key].arn for key, (q, _) in RULES.items() if q == queue]
            self._rules_only(f"{queue}-policy", self.queues[queue], rules)
        self._rules_only(
            f"{BUS_DLQ}-dlq-policy", dead_letter, [rule.arn for rule in self.rules.values()]
        )

    def _rules_only(self, construct_id: str, queue: SqsQueue, rules: list[str]) -> None:
        """A queue policy: EventBridge may send to ``queue`` on behalf of ``rules`` only."""
        SqsQueuePolicy(
            self,
            construct_id,
            queue_url=queue.url,
            policy=policy_document(
                {
                    "Sid": "OnlyItsRules",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue.arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": rules}},
                }
            ),
        )

    def _schedule(self) -> SchedulerSchedule:
        """Every ``expiry_rate_minutes``, a message to the expiry queue, sent as a role of its
        own that may send to that queue and to the schedule's dead-letter queue only (the
        scheduler dead-letters a firing as the schedule's role)."""
        props = self.props
        queue, dead_letter = self.queues[EXPIRY], self.dead_letter_queues[SCHEDULE_DLQ]
        role = IamRole(
            self,
            "scheduler-role",
            name=scheduler_role_name(props.prefix),
            assume_role_policy=assume_role_policy("scheduler.amazonaws.com"),
            permissions_boundary=props.permissions_boundary,
        )
        policy = IamRolePolicy(
            self,
            "scheduler-policy",
            role=role.id,
            name=f"{props.prefix}-scheduler-send",
            policy=policy_document(
                statement(list(SCHEDULER_ACTIONS), [queue.arn, dead_letter.arn])
            ),
        )
        self.scheduler_role = role
        return SchedulerSchedule(
            self,
            "expire-orders",
            name=schedule_name(props.prefix),
            description="Cancels the PENDING orders older than the environment's limit",
            schedule_expression=rate(props.config.expiry_rate_minutes),
            flexible_time_window=SchedulerScheduleFlexibleTimeWindow(mode="OFF"),
            target=SchedulerScheduleTarget(
                arn=queue.arn,
                role_arn=role.arn,
                input=json.dumps(EXPIRY_MESSAGE),
                dead_letter_config=SchedulerScheduleTargetDeadLetterConfig(arn=dead_letter.arn),
                retry_policy=SchedulerScheduleTargetRetryPolicy(
                    maximum_retry_attempts=props.config.delivery_retry_attempts,
                    maximum_event_age_in_seconds=props.config.delivery_max_event_age_seconds,
                ),
            ),
            # The scheduler checks the role's permission when the schedule is created.
            depends_on=[policy],
        )
