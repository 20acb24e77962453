"""Every IAM policy document of every stack, read against AWS's published IAM definitions.

The definitions are AWS's Service Authorization Reference (every service's actions, the resource
types each action takes and their ARN formats) as policy_sentry ships it in its database, a
release of which is pinned in Pipfile.lock: nothing here asks AWS. Every document of every stack
is read (identity policies of roles and managed policies, trust policies, key and bucket
policies), found wherever a resource holds one, with Terraform's references resolved as AWS
would see them (``tests/stacks/terraform_references.py``). For each statement:

- every action names one AWS defines (a pattern, such as ``ec2:Describe*``, at least one);
- every resource is ``*`` or an ARN of a resource type that one of the statement's actions takes,
  in that type's format (the service, whether it has a region and an account, a path that names
  something of that type: ``log-group:<name>:*`` names the group's streams);
- every action can apply to one of the statement's resources: ``*``, or an ARN of a type it takes
  (an action that takes no resource type, such as ``sns:GetSubscriptionAttributes``, is allowed
  on ``*`` only, so naming it with an ARN grants nothing).
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re

import pytest
from policy_sentry.querying.actions import (
    get_action_data,
    get_actions_for_service,
    get_service_prefix_data,
)
from policy_sentry.querying.all import get_all_service_prefixes

from stacks.base.config import ENVIRONMENTS
from tests.stacks.policy_evaluation import as_list
from tests.stacks.terraform_references import resolve

STACKS = (*ENVIRONMENTS, "account", "bootstrap")
# Prefixes that two of AWS's service pages share: API Gateway's REST API management (v1) and its
# HTTP and WebSocket API management (v2) are both ``apigateway``. The database keeps one page's
# resource types for each action (v2's ``/apis/...``) but both pages' resource types, so an action
# of these services is checked against every resource type of the prefix.
SHARED_PREFIXES = frozenset(("apigateway",))


@pytest.fixture(scope="module")
def stacks(synths, account_synth, bootstrap_synth) -> dict:
    """Every stack the project synthesizes, by name."""
    return {**synths, "account": account_synth, "bootstrap": bootstrap_synth}


def policy_documents(synth) -> dict[str, dict]:
    """Every policy document any resource of ``synth`` holds, resolved, by where it is."""
    found = {}

    def walk(where: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{where}.{key}", inner)
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(f"{where}[{index}]", inner)
        elif isinstance(value, str) and '"Statement"' in value:
            found[where] = json.loads(resolve(synth, value)[0])

    for kind, resources in synth.json.get("resource", {}).items():
        for name, resource in resources.items():
            walk(f"{kind}.{name}", resource)
    return found


@functools.cache
def known_actions(pattern: str) -> tuple[str, ...]:
    """The actions AWS defines that ``pattern`` names (``service:Action``, ``*`` allowed)."""
    service = pattern.partition(":")[0]
    if service.lower() not in get_all_service_prefixes():
        return ()
    return tuple(
        a
        for a in get_actions_for_service(service.lower())
        if fnmatch.fnmatch(a.lower(), pattern.lower())
    )


@functools.cache
def arn_formats(action: str) -> tuple[str, ...]:
    """The ARN formats of the resource types ``action`` takes; ``*`` when it takes none."""
    service, _, name = action.partition(":")
    formats = {row["resource_arn_format"] for row in get_action_data(service, name)[service]}
    if service in SHARED_PREFIXES:
        resources = get_service_prefix_data(service)["resources"].values()
        formats |= {resource["arn"] for resource in resources}
    return tuple(sorted(formats))


def overlap(first: str, second: str) -> bool:
    """Whether some string matches both wildcard patterns (``*`` any run, ``?`` one character)."""

    @functools.cache
    def meet(i: int, j: int) -> bool:
        if i == len(first) or j == len(second):
            rest = first[i:] + second[j:]
            return set(rest) <= {"*"}
        if first[i] == "*":
            return meet(i + 1, j) or meet(i, j + 1)
        if second[j] == "*":
            return meet(i, j + 1) or meet(i + 1, j)
        return (first[i] == second[j] or "?" in (first[i], second[j])) and meet(i + 1, j + 1)

    return meet(0, 0)


def fits(resource: str, arn_format: str) -> bool:
    """Whether the policy's ``resource`` (an ARN, maybe with wildcards) can name a resource of the
    type whose ARN format is ``arn_format``: the same service, a region and an account exactly
    where the format has them, and a path that some name of that type matches (each
    ``${Variable}`` of the format standing for any name)."""
    if arn_format == "*":
        return False
    parts, wanted = resource.split(":", 5), arn_format.split(":", 5)
    if len(parts) != 6 or parts[:2] != ["arn", "aws"] or parts[2] != wanted[2]:
        return False
    if any(bool(parts[i]) != bool(wanted[i]) for i in (3, 4)):  # region, account
        return False
    return overlap(parts[5], re.sub(r"\$\{\w+\}", "*", wanted[5]))


def statement_problems(statement: dict) -> list[str]:
    """What in ``statement`` AWS's definitions do not know, or cannot apply."""
    problems = []
    actions = {}
    for pattern in as_list(statement.get("Action", statement.get("NotAction", []))):
        actions[pattern] = known_actions(pattern)
        if not actions[pattern]:
            problems.append(f"unknown action {pattern}")
    if "Resource" not in statement:  # a trust policy: the role itself is the resource
        return problems
    resources = as_list(statement["Resource"])
    formats = {action: arn_formats(action) for known in actions.values() for action in known}
    for resource in resources:
        if resource != "*" and not any(fits(resource, f) for fs in formats.values() for f in fs):
            problems.append(f"malformed resource {resource}: no action of the statement takes it")
    for pattern, known in actions.items():
        applies = [
            action
            for action in known
            if "*" in resources or any(fits(r, f) for r in resources for f in formats[action])
        ]
        if known and not applies:
            problems.append(f"{pattern} applies to none of {resources} (takes {formats[known[0]]})")
    return problems


@pytest.mark.parametrize("stack", STACKS)
def test_every_policy_document_is_what_aws_defines(stacks, stack):
    documents = policy_documents(stacks[stack])
    assert documents, f"{stack} holds no policy document"
    problems = {
        f"{where} {statement.get('Sid', index)}": found
        for where, document in documents.items()
        for index, statement in enumerate(as_list(document["Statement"]))
        if (found := statement_problems(statement))
    }
    assert problems == {}


def _case(action, resource: str = "*") -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        (_case("dynamodb:GetItems"), "unknown action dynamodb:GetItems"),
        (_case("dynamo:GetItem"), "unknown action dynamo:GetItem"),
        (_case("ec2:Descrbe*"), "unknown action ec2:Descrbe*"),
        # No account in a table's ARN; a resource type DynamoDB does not have; a region in IAM's.
        (_case("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1::table/t"), "malformed resource"),
        (_case("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:1:tables/t"), "malformed resource"),
        (_case("iam:GetRole", "arn:aws:iam:us-east-1:1:role/r"), "malformed resource"),
        (_case("sns:GetSubscriptionAttributes", "arn:aws:sns:us-east-1:1:t"),
         "sns:GetSubscriptionAttributes applies to none of"),
        (_case(["logs:PutLogEvents", "logs:DescribeLogGroups"],
               "arn:aws:logs:us-east-1:1:log-group:g:*"),
         "logs:DescribeLogGroups applies to none of"),
    ],
)  # fmt: skip
def test_the_check_finds(statement, problem):
    assert any(problem in found for found in statement_problems(statement))


@pytest.mark.parametrize(
    "statement",
    [
        {"Action": "ec2:Describe*", "Resource": "*"},
        {"Action": "dynamodb:Query", "Resource": "arn:aws:dynamodb:us-east-1:1:table/t/index/i"},
        {"Action": "iam:PassRole", "Resource": "arn:aws:iam::1:role/r"},
        {"Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/key"},
        {"Action": "sts:AssumeRoleWithWebIdentity", "Principal": {"Federated": "x"}},
        {"Action": "logs:PutLogEvents", "Resource": "arn:aws:logs:us-east-1:1:log-group:g:*"},
        {"Action": "apigateway:GET", "Resource": "arn:aws:apigateway:us-east-1::/restapis/*"},
    ],
)
def test_the_check_passes(statement):
    assert statement_problems({"Effect": "Allow", **statement}) == []
