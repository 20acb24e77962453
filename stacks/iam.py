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
