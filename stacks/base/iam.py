"""IAM policy documents, written once: constructs describe statements, not JSON."""

import json
from dataclasses import dataclass, field

from stacks.base.config import PROJECT


@dataclass(frozen=True)
class PolicyScope:
    """Where one environment's policies point: its partition, region, account, name and prefix."""

    partition: str
    region: str
    account_id: str
    environment: str
    prefix: str
    # The SES identity the environment's mail is sent from (its sender address); ``*``: any.
    sender_identity: str = field(default="*", kw_only=True)

    def arn(self, service: str, resource: str, region: bool = True, account: bool = True) -> str:
        """An ARN of ``service`` in this partition (and region and account)."""
        where_region = self.region if region else ""
        where_account = self.account_id if account else ""
        return f"arn:{self.partition}:{service}:{where_region}:{where_account}:{resource}"

    @property
    def tagged(self) -> dict:
        """Condition: the resource carries this environment's tags (the provider's default)."""
        return {
            "StringEquals": {
                "aws:ResourceTag/project": PROJECT,
                "aws:ResourceTag/environment": self.environment,
            }
        }

    @property
    def in_region(self) -> dict:
        """Condition: the request goes to this environment's region."""
        return {"StringEquals": {"aws:RequestedRegion": self.region}}


def managed_policy_arn(partition: str, account_id: str, name: str) -> str:
    """The ARN of the account's customer-managed policy ``name`` (path ``/``)."""
    return f"arn:{partition}:iam::{account_id}:policy/{name}"


def statement(actions: list[str] | str, resources: list[str] | str, **extra) -> dict:
    """One Allow statement."""
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def denial(actions: list[str] | str, resources: list[str] | str, **extra) -> dict:
    """One Deny statement: it wins over any Allow, in this policy or another."""
    return {"Effect": "Deny", "Action": actions, "Resource": resources, **extra}


def policy_document(*statements: dict) -> str:
    """A policy document (JSON) holding ``statements``."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def assume_role_policy(service: str) -> str:
    """A trust policy letting one AWS service principal assume the role."""
    return policy_document(
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    )


def account_administers_key(partition: str, account_id: str) -> dict:
    """The key policy statement that hands a KMS key to the account's IAM policies: without it
    only the key policy could grant its use, and nobody could administer it."""
    return {
        "Sid": "AccountAdministersThroughIam",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
