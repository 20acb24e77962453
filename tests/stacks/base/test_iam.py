"""Every IAM policy of every environment: `*` only where IAM accepts nothing narrower.

Identity policies are the roles' inline policies and any managed policy attached to a role. A
managed policy is allowed only if its document is written here (so it is checked like the
others); the KMS key policy is a resource policy, where "Resource": "*" means the key itself.
"""

import json
import re

from stacks.store.functions import RESOURCELESS_ACTIONS, STREAM_LISTING
from stacks.store.network import FLOW_LOG_RESOURCELESS_ACTIONS

# Actions whose resource is an interface that does not exist before Lambda creates it.
ENI_ACTIONS = {
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:UnassignPrivateIpAddresses",
}
# API Gateway's account-wide logging role (the account stack's,
# stacks/platform/api_gateway_logging.py).
# AWS's document, as published: its `*` is a known exception, listed in docs/security.md. An
# environment that attached it would be caught by the checks below.
MANAGED_DOCUMENTS = {
    "service-role/AmazonAPIGatewayPushToCloudWatchLogs": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DescribeLogGroups",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                    "logs:GetLogEvents",
                    "logs:FilterLogEvents",
                ],
                "Resource": "*",
            }
        ],
    }
}
KNOWN_EXCEPTIONS = {"service-role/AmazonAPIGatewayPushToCloudWatchLogs"}
_OWN_LOG_STREAMS = re.compile(r"^\$\{aws_cloudwatch_log_group\.[\w-]+\.arn\}:\*$")
_INTERFACES = re.compile(r"^arn:\$\{[^}]+\}:ec2:[a-z0-9-]+:\$\{[^}]+\}:network-interface/\*$")


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _identity_policies(env):
    policies = {
        f"inline {key}": json.loads(policy["policy"])
        for key, policy in env.resources("aws_iam_role_policy").items()
    }
    for key, attachment in env.resources("aws_iam_role_policy_attachment").items():
        name = attachment["policy_arn"].split(":policy/", 1)[1]
        assert name in MANAGED_DOCUMENTS, f"{key} attaches {name}, whose document is not checked"
        policies[f"managed {name}"] = MANAGED_DOCUMENTS[name]
    assert not env.resources("aws_iam_policy"), "customer-managed policies: check them here"
    return policies


def _wildcard_problems(statement):
    actions, problems = _as_list(statement["Action"]), []
    problems += [f"wildcard action {a}" for a in actions if "*" in a]
    for resource in _as_list(statement["Resource"]):
        if "*" not in resource:
            continue
        if resource == "*":
            resourceless = {*RESOURCELESS_ACTIONS, *FLOW_LOG_RESOURCELESS_ACTIONS, STREAM_LISTING}
            wider = sorted(set(actions) - resourceless)
            problems += [f"{a} on *" for a in wider]
        elif _OWN_LOG_STREAMS.match(resource):
            problems += [f"{a} on log streams" for a in actions if not a.startswith("logs:")]
        elif _INTERFACES.match(resource):
            problems += [f"{a} on interfaces" for a in actions if a not in ENI_ACTIONS]
        else:
            problems.append(f"wildcard resource {resource}")
    return problems


def test_star_only_on_actions_that_accept_no_resource(env):
    found = {}
    for name, document in _identity_policies(env).items():
        if name.removeprefix("managed ") in KNOWN_EXCEPTIONS:
            continue
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow"
            problems = _wildcard_problems(statement)
            if problems:
                found[name] = problems
    assert found == {}


def test_no_environment_attaches_a_managed_policy(env):
    # API Gateway's account-wide logging role, the one managed policy the project attaches, is
    # the account stack's (tests/stacks/platform/test_api_gateway_logging.py).
    names = {k.removeprefix("managed ") for k in _identity_policies(env) if k.startswith("managed")}
    assert names == set()


def test_functions_attach_no_managed_policy(env):
    attachments = env.resources("aws_iam_role_policy_attachment")
    assert [k for k in attachments if k.startswith("functions_")] == []


def test_network_interfaces_only_in_the_functions_subnets_and_groups(env):
    for name in ("products", "users", "orders"):
        policy = next(
            json.loads(p["policy"])
            for k, p in env.resources("aws_iam_role_policy").items()
            if k.startswith(f"functions_{name}-runtime-policy")
        )
        create = next(s for s in policy["Statement"] if s["Action"] == "ec2:CreateNetworkInterface")
        resources = create["Resource"]
        subnets = [r for r in resources if ":subnet/" in r]
        groups = [r for r in resources if ":security-group/" in r]
        assert len(subnets) == env.config.az_count
        assert all("aws_subnet.network_private-" in r for r in subnets)
        assert len(groups) == 1 and "aws_security_group.network_functions-sg" in groups[0]
        assert len(resources) == len(subnets) + len(groups) + 1
        actions = {a for s in policy["Statement"] for a in _as_list(s["Action"])}
        assert actions == ENI_ACTIONS | set(RESOURCELESS_ACTIONS)


def test_wildcard_checker_catches_what_it_must():
    assert _wildcard_problems({"Action": "logs:PutLogEvents", "Resource": "*"}) == [
        "logs:PutLogEvents on *"
    ]
    assert _wildcard_problems({"Action": "dynamodb:*", "Resource": "arn:x"}) == [
        "wildcard action dynamodb:*"
    ]
    assert _wildcard_problems({"Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}) == [
        "wildcard resource arn:aws:s3:::b/*"
    ]
    assert _wildcard_problems({"Action": "xray:PutTraceSegments", "Resource": "*"}) == []


def test_a_key_policy_leaves_the_accounts_own_principals_to_iam(env):
    # The emulator evaluates no key policy (docs/architecture.md, differences): it may skip it
    # only while a key policy admits no AWS principal of its own but the account, whose IAM
    # policies then decide, and those the local cloud does evaluate.
    keys = env.resources("aws_kms_key")
    assert keys
    for key in keys.values():
        for statement in json.loads(key["policy"])["Statement"]:
            principal = statement.get("Principal", {})
            assert statement["Effect"] == "Allow"
            if "AWS" in principal:
                assert principal["AWS"].endswith(":root"), statement
                assert statement["Sid"] == "AccountAdministersThroughIam"
