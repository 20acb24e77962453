"""IAM policy documents, written once: constructs describe statements, not JSON."""

import json


def statement(actions: list[str] | str, resources: list[str] | str, **extra) -> dict:
    """One Allow statement."""
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


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
