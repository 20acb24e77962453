"""What a schedule's firing sends, as EventBridge Scheduler sends it: as the schedule's execution
role (``AssumeRole`` by the scheduler's identity; the emulator checks the role's trust and its
policies), to the target queue, unless the queue's policy denies that role (moto reads no
resource policy, so the triggers read it: ``localcloud.emulator.policy_evaluation``). A firing
given up goes to the schedule's dead-letter queue, sent as the same role, as the scheduler does
(the role needs ``sqs:SendMessage`` there), with the attributes the scheduler adds: ``ERROR_CODE``,
``ERROR_MESSAGE``, ``EXECUTION_ID``, ``SCHEDULE_ARN``, ``TARGET_ARN``, ``RETRY_ATTEMPTS``.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from localcloud.base import aws
from localcloud.base.errors import LocalCloudError
from localcloud.emulator import policy_evaluation
from localcloud.triggers.queues import queue_url
from localcloud.triggers.schedules import Firing
from localcloud.triggers.sources import Schedule


class QueuePolicyDenied(ClientError):
    """SQS's answer when the queue's policy denies the caller."""

    def __init__(self, principal: str, queue_arn: str):
        super().__init__(
            {
                "Error": {
                    "Code": "AccessDenied",
                    "Message": f"User: {principal} is not authorized to perform: "
                    f"sqs:SendMessage on resource: {queue_arn} with an explicit deny in a "
                    "resource-based policy",
                },
                "ResponseMetadata": {"HTTPStatusCode": 403},
            },
            "SendMessage",
        )


class ScheduleSender:
    """Sends firings for the triggers: ``sts`` (the scheduler's identity), ``admin_sqs`` (to read
    queue policies), the emulator's ``endpoint_url`` and ``region``."""

    def __init__(self, sts, admin_sqs, endpoint_url: str, region: str):
        self.sts = sts
        self.admin_sqs = admin_sqs
        self.endpoint_url = endpoint_url
        self.region = region

    def _as_role(self, schedule: Schedule) -> tuple[Any, str]:
        """An SQS client as the schedule's role, and the session's ARN."""
        found = self.sts.assume_role(RoleArn=schedule.role_arn, RoleSessionName=schedule.name[:64])
        credentials = found["Credentials"]
        sqs = aws.session(
            self.region,
            {
                "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
                "AWS_SESSION_TOKEN": credentials["SessionToken"],
            },
        ).client("sqs", endpoint_url=self.endpoint_url)
        return sqs, found["AssumedRoleUser"]["Arn"]

    def _checked(self, queue_arn: str, principal: str, role_arn: str) -> str:
        """The queue's URL, once its policy (if any) is found not to deny ``principal``."""
        url = queue_url(self.admin_sqs, queue_arn)
        found = self.admin_sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
        policy = (found.get("Attributes") or {}).get("Policy")
        if policy:
            context = {"aws:PrincipalArn": role_arn, "aws:PrincipalAccount": role_arn.split(":")[4]}
            decision = policy_evaluation.evaluate(
                [policy], "sqs:SendMessage", queue_arn, context, principal
            )
            if decision == policy_evaluation.Decision.DENY:
                raise QueuePolicyDenied(principal, queue_arn)
        return url

    def send(self, schedule: Schedule) -> None:
        """One firing of ``schedule``: its input sent to its queue, as its role."""
        if schedule.target_arn.split(":")[2] != "sqs":
            raise LocalCloudError(f"only SQS targets are fired locally, not {schedule.target_arn}")
        sqs, principal = self._as_role(schedule)
        url = self._checked(schedule.target_arn, principal, schedule.role_arn)
        sqs.send_message(QueueUrl=url, MessageBody=schedule.payload or "{}")

    def dead_letter(self, firing: Firing, exhausted: str) -> None:
        """``firing`` (given up: ``exhausted`` names the limit) to its schedule's dead-letter
        queue, as the schedule's role."""
        schedule = firing.schedule
        sqs, principal = self._as_role(schedule)
        url = self._checked(schedule.dead_letter_arn, principal, schedule.role_arn)
        attributes = {
            "ERROR_CODE": firing.code or "UNKNOWN",
            "ERROR_MESSAGE": firing.error or exhausted,
            "EXECUTION_ID": firing.execution_id,
            "SCHEDULE_ARN": schedule.arn,
            "TARGET_ARN": schedule.target_arn,
            "RETRY_ATTEMPTS": str(max(firing.attempts - 1, 0)),
        }
        sqs.send_message(
            QueueUrl=url,
            MessageBody=schedule.payload or "{}",
            MessageAttributes={
                k: {"DataType": "String", "StringValue": v} for k, v in attributes.items() if v
            },
        )
