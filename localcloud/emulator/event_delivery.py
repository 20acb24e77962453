"""EventBridge's delivery of a rule's events to its SQS targets, as AWS makes it: the wrapper of
moto 5.2.5's ``Rule.send_to_targets`` that the patch book (``localcloud.emulator.patches``) puts
in place, and the deliveries it starts (``configure`` gives them the server's lock and faults).

moto puts every matched event straight into the queue, whatever the queue's policy says, and
never retries or dead-letters. Here, for each SQS target of a matching, enabled rule:

- **Judged by the queue's policy**, as AWS judges EventBridge's ``sqs:SendMessage``: the
  principal ``events.amazonaws.com``, ``aws:SourceArn`` the rule's ARN, ``aws:SourceAccount`` its
  account (``judge``, with ``localcloud.emulator.policy_evaluation``). Only an ``Allow`` admits
  it. A queue encrypted with a KMS key needs the
  key's policy to let ``events.amazonaws.com`` ``kms:GenerateDataKey`` too (SQS's own keys need
  nothing; the AWS-managed ``alias/aws/sqs`` admits no service).
- **Retried** per the target's ``RetryPolicy`` (AWS's default: 185 retries, 24 hours) when the
  failure is one AWS retries (throttling, a 5xx): a fault rule on ``sqs:SendMessage`` hits the
  delivery as it hits a client. AWS backs off exponentially with jitter over minutes; here the
  n-th retry waits ``LOCALCLOUD_EVENTS_RETRY_BASE_S`` (default 1 s) times 2^(n-1), at most 60 s,
  without jitter, and an event's age is read on the local clock (``clock advance`` ages it).
- **Dead-lettered** to the target's ``DeadLetterConfig`` queue at once when refused (no
  permission, no such queue: AWS does not retry those) or when the retries are exhausted: the
  event as the target would have had it, with the attributes AWS adds (``RULE_ARN``,
  ``TARGET_ARN``, ``ERROR_CODE``, ``ERROR_MESSAGE``; ``EXHAUSTED_RETRY_CONDITION`` and
  ``RETRY_ATTEMPTS`` after retries). The dead-letter queue's policy is judged the same way.
- **Counted** in moto's CloudWatch as AWS/Events metrics by ``RuleName`` (and by
  ``EventBusName``, ``RuleName``): ``FailedInvocations``, ``RetryInvocationAttempts``,
  ``InvocationsSentToDlq``, ``InvocationsFailedToBeSentToDlq``; and a line in the emulator's log.

A disabled rule delivers nothing, as on AWS (moto delivered through it anyway). Retries wait in
this process's memory: a restart of the emulator drops them (AWS keeps them).
"""

from __future__ import annotations

import copy
import heapq
import itertools
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends
from moto.core.utils import iso_8601_datetime_without_milliseconds, utcfromtimestamp
from moto.events.models import EventTemplateParser, Rule
from moto.kms.models import kms_backends
from moto.sqs.exceptions import QueueDoesNotExist
from moto.sqs.models import sqs_backends
from moto.utilities.arns import parse_arn

from localcloud.emulator import policy_evaluation
from localcloud.emulator.clock import CLOCK
from localcloud.emulator.policy_evaluation import Decision

SERVICE = "events.amazonaws.com"
BASE_ENV = "LOCALCLOUD_EVENTS_RETRY_BASE_S"
DEFAULT_BASE_S = 1.0
MAX_BACKOFF_S = 60.0
DEFAULT_RETRY = {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}
"""AWS's retry policy for a target that names none."""
SQS_MANAGED_ALIAS = "alias/aws/sqs"


class Refused(Exception):
    """A delivery that failed: AWS's error code, its message, whether AWS retries it."""

    def __init__(self, code: str, message: str, retryable: bool = False):
        super().__init__(message)
        self.code = code
        self.retryable = retryable


def judge(policy: str | None, action: str, resource: str, context: dict) -> tuple[Decision, str]:
    """What a resource's ``policy`` (a queue's, a key's) says of EventBridge doing ``action`` on
    ``resource`` (``localcloud.emulator.policy_evaluation``), and why in words."""
    if not policy:
        return Decision.NEUTRAL, "it has no policy"
    try:
        decision = policy_evaluation.evaluate([policy], action, resource, context, SERVICE)
    except (ValueError, TypeError, AttributeError) as exc:  # AWS would not have stored it
        return Decision.NEUTRAL, f"its policy cannot be read: {exc}"
    said = {
        Decision.ALLOW: "its policy allows it",
        Decision.DENY: "its policy denies it explicitly",
        Decision.NEUTRAL: "no statement of its policy allows it",
    }
    return decision, said[decision]


@dataclass(order=True)
class Delivery:  # pylint: disable=too-many-instance-attributes
    """One event on its way to one target of one rule."""

    due: float
    order: int
    rule_arn: str = field(compare=False)
    rule_name: str = field(compare=False)
    bus_name: str = field(compare=False)
    account: str = field(compare=False)
    target: dict = field(compare=False)
    event: dict = field(compare=False)
    first_at: float = field(compare=False)
    attempts: int = field(default=0, compare=False)
    last_error: Refused | None = field(default=None, compare=False)

    @property
    def context(self) -> dict[str, str]:
        """The condition keys of EventBridge's request for this rule."""
        return {"aws:SourceArn": self.rule_arn, "aws:SourceAccount": self.account}

    @property
    def retry_policy(self) -> dict:
        """The target's retry policy, AWS's defaults for what it leaves out."""
        return DEFAULT_RETRY | (self.target.get("RetryPolicy") or {})

    def body(self) -> str:
        """The event as the queue receives it (its time in ISO 8601, as EventBridge writes it)."""
        if isinstance(self.event, str):  # an input template's text
            return self.event
        event = copy.deepcopy(self.event)
        if isinstance(event.get("time"), (int, float)):
            event["time"] = iso_8601_datetime_without_milliseconds(utcfromtimestamp(event["time"]))
        return json.dumps(event)


class Deliveries:
    """Delivers events to SQS targets, retries them on a thread of its own under the emulator's
    one-request ``lock``, and dead-letters them; ``faults``: the emulator's fault rules."""

    def __init__(self, lock=None, faults=None, now: Callable[[], float] = CLOCK.now, stream=None):
        self.lock = lock or threading.Lock()
        self.faults = faults
        self.now = now
        self.stream = stream or sys.stderr
        self.base_s = float(os.environ.get(BASE_ENV) or DEFAULT_BASE_S)
        self._waiting: list[Delivery] = []
        self._wake = threading.Condition()
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def start(self, rule: Rule, target: dict, event: dict) -> None:
        """The first attempt, made inside the PutEvents request that matched ``rule``."""
        delivery = Delivery(
            due=0.0,
            order=next(self._order),
            rule_arn=rule.arn,
            rule_name=rule.name,
            bus_name=rule.event_bus_name,
            account=rule.account_id,
            target=target,
            event=event,
            first_at=self.now(),
        )
        self.attempt(delivery)

    def attempt(self, delivery: Delivery) -> None:
        """One try of ``delivery``: sent, or retried later, or dead-lettered."""
        policy = delivery.retry_policy
        if (
            delivery.attempts
            and self.now() - delivery.first_at >= policy["MaximumEventAgeInSeconds"]
        ):
            self._failed(delivery, delivery.last_error, "MaximumEventAgeInSeconds")
            return
        delivery.attempts += 1
        try:
            self.send(delivery.target["Arn"], delivery.body(), delivery, None)
        except Refused as refused:
            delivery.last_error = refused
            if not refused.retryable:
                self._failed(delivery, refused, None)
            elif delivery.attempts - 1 >= policy["MaximumRetryAttempts"]:
                self._failed(delivery, refused, "MaximumRetryAttempts")
            else:
                self._metric(delivery, "RetryInvocationAttempts")
                self._later(delivery, refused)

    def send(self, queue_arn: str, body: str, delivery: Delivery, attributes: dict | None) -> None:
        """``body`` into the queue ``queue_arn`` as EventBridge for ``delivery``'s rule, or
        ``Refused``."""
        self._fault()
        arn = parse_arn(queue_arn)
        backend = sqs_backends[arn.account][arn.region]
        try:
            queue = backend.get_queue(arn.resource_id)
        except QueueDoesNotExist:
            raise Refused("NO_RESOURCE", f"The queue {queue_arn} does not exist.") from None
        decision, why = judge(queue.policy, "sqs:SendMessage", queue_arn, delivery.context)
        if decision != Decision.ALLOW:
            raise Refused(
                "NO_PERMISSIONS",
                f"EventBridge may not sqs:SendMessage to {queue_arn} for {delivery.rule_arn}: "
                f"{why}.",
            )
        self._key_admits(queue, arn, delivery)
        group = (delivery.target.get("SqsParameters") or {}).get("MessageGroupId")
        backend.send_message(
            queue_name=arn.resource_id,
            message_body=body,
            message_attributes=attributes,
            group_id=group,
        )

    def _key_admits(self, queue, arn, delivery: Delivery) -> None:
        key_id = getattr(queue, "kms_master_key_id", None)
        if not key_id:
            return
        refusal = Refused(
            "NO_PERMISSIONS",
            f"EventBridge may not use the key {key_id} of {arn.resource_id} "
            "(kms:GenerateDataKey is not allowed to events.amazonaws.com by the key's policy).",
        )
        if key_id == SQS_MANAGED_ALIAS:
            raise refusal
        try:
            key = kms_backends[arn.account][arn.region].describe_key(key_id)
        except Exception:  # pylint: disable=broad-exception-caught  # no such key: refused
            raise refusal from None
        if judge(key.policy, "kms:GenerateDataKey", key.arn, delivery.context)[0] != Decision.ALLOW:
            raise refusal

    def _fault(self) -> None:
        """A fault rule on ``sqs:SendMessage`` hits EventBridge's send as it hits a client's."""
        if self.faults is None or not self.faults.rules:
            return
        rule = self.faults.hit({"target": "AmazonSQS.SendMessage"})
        if rule is None or rule.error is None:
            return
        self._say(f"fault injected: {rule.describe()} (EventBridge's delivery)")
        if "Throttl" in rule.error or rule.status >= 500:
            raise Refused(
                "THROTTLING" if "Throttl" in rule.error else "INTERNAL_ERROR", rule.error, True
            )
        if "NonExistentQueue" in rule.error or "QueueDoesNotExist" in rule.error:
            raise Refused("NO_RESOURCE", rule.error)
        if "AccessDenied" in rule.error:
            raise Refused("NO_PERMISSIONS", rule.error)
        raise Refused("INVALID_PARAMETER", rule.error)

    def _failed(self, delivery: Delivery, refused: Refused, exhausted: str | None) -> None:
        """``delivery`` failed for good: counted, said, and dead-lettered if it has a queue."""
        self._metric(delivery, "FailedInvocations")
        where = (delivery.target.get("DeadLetterConfig") or {}).get("Arn")
        said = (
            f"event delivery failed: event {_event_id(delivery)} of {delivery.rule_arn} to "
            f"{delivery.target['Arn']} after {delivery.attempts} attempt(s): "
            f"{refused.code} {refused}"
        )
        if not where:
            self._say(f"{said}; dropped (the target has no dead-letter queue)")
            return
        attributes = {
            "RULE_ARN": delivery.rule_arn,
            "TARGET_ARN": delivery.target["Arn"],
            "ERROR_CODE": refused.code,
            "ERROR_MESSAGE": str(refused),
        }
        if exhausted:
            attributes |= {
                "EXHAUSTED_RETRY_CONDITION": exhausted,
                "RETRY_ATTEMPTS": str(delivery.attempts - 1),
            }
        typed = {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()}
        try:
            self.send(where, delivery.body(), delivery, typed)
        except Refused as lost:
            self._metric(delivery, "InvocationsFailedToBeSentToDlq")
            self._say(f"{said}; not sent to its dead-letter queue {where}: {lost.code} {lost}")
            return
        self._metric(delivery, "InvocationsSentToDlq")
        self._say(f"{said}; sent to its dead-letter queue {where}")

    def _metric(self, delivery: Delivery, name: str) -> None:
        region = delivery.rule_arn.split(":")[3]
        rule = {"Name": "RuleName", "Value": delivery.rule_name}
        bus = {"Name": "EventBusName", "Value": delivery.bus_name}
        cloudwatch_backends[delivery.account][region].put_metric_data(
            "AWS/Events",
            [
                {"MetricName": name, "Value": 1.0, "Unit": "Count", "Dimensions": dims}
                for dims in ([rule], [bus, rule])
            ],
        )

    def _later(self, delivery: Delivery, refused: Refused) -> None:
        wait = min(self.base_s * 2 ** (delivery.attempts - 1), MAX_BACKOFF_S)
        delivery.due = time.monotonic() + wait
        delivery.order = next(self._order)
        self._say(
            f"event delivery retried in {wait:g} s: event {_event_id(delivery)} of "
            f"{delivery.rule_arn} to {delivery.target['Arn']}, attempt {delivery.attempts} "
            f"failed: {refused.code} {refused}"
        )
        with self._wake:
            heapq.heappush(self._waiting, delivery)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="event-retries", daemon=True)
                self._thread.start()
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._waiting or self._waiting[0].due > time.monotonic():
                    wait = self._waiting[0].due - time.monotonic() if self._waiting else None
                    self._wake.wait(wait)
                delivery = heapq.heappop(self._waiting)
            with self.lock:
                try:
                    self.attempt(delivery)
                except Exception as exc:  # pylint: disable=broad-exception-caught  # said; next
                    self._say(f"event delivery error: {exc!r}")

    def pending(self) -> int:
        """How many deliveries wait for a retry."""
        with self._wake:
            return len(self._waiting)

    def _say(self, line: str) -> None:
        print(line, file=self.stream, flush=True)


def _event_id(delivery: Delivery) -> str:
    return delivery.event.get("id", "?") if isinstance(delivery.event, dict) else "?"


DELIVERIES = Deliveries()
"""The emulator's deliveries (``configure`` gives it the server's lock and fault rules)."""


def delivered_as_aws(original):
    """moto's ``Rule.send_to_targets`` (``original``): its SQS targets go to ``DELIVERIES``."""

    def send_to_targets(self, original_event, transform_input=True):
        if self.state != "ENABLED":
            return None
        queues = [t for t in self.targets if parse_arn(t["Arn"]).service == "sqs"]
        if not queues:
            return original(self, original_event, transform_input)
        if not self.event_pattern.matches_event(original_event):
            return None
        others = copy.copy(self)
        others.targets = [t for t in self.targets if t not in queues]
        if others.targets:
            original(others, original_event, transform_input)
        for target in queues:
            event: Any = copy.deepcopy(original_event)
            if transform_input:
                transformer = target.get("InputTransformer", {})
                event = EventTemplateParser.parse(
                    input_template=transformer.get("InputTemplate"),
                    input_paths_map=transformer.get("InputPathsMap", {}),
                    event=original_event,
                )
            DELIVERIES.start(self, target, event)
        return None

    return send_to_targets


def configure(lock=None, faults=None, stream=None) -> None:
    """Deliver through ``DELIVERIES`` (retries under ``lock``, faults from ``faults``)."""
    DELIVERIES.lock = lock or DELIVERIES.lock
    DELIVERIES.faults = faults
    DELIVERIES.stream = stream or DELIVERIES.stream
