"""IAM policy evaluation: every expected decision is read from AWS's IAM User Guide ("Policy
evaluation logic", "IAM JSON policy elements: Condition operators", "Principal", "NotResource",
"Permissions boundaries"), not from the code."""

from __future__ import annotations

import json

import pytest

from localcloud.emulator.policy_evaluation import (
    Decision,
    UnknownOperator,
    allowed,
    conditions_match,
    evaluate,
    principal_matches,
)

ACCOUNT = "123456789012"
TABLE = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/orders"


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def test_an_explicit_deny_wins_and_silence_is_neutral():
    both = [doc(allow("dynamodb:*")), doc(deny("dynamodb:DeleteItem", TABLE))]
    assert evaluate(both, "dynamodb:DeleteItem", TABLE) is Decision.DENY
    assert evaluate(both, "dynamodb:GetItem", TABLE) is Decision.ALLOW
    assert evaluate([doc(allow("sqs:*"))], "dynamodb:GetItem", TABLE) is Decision.NEUTRAL
    assert evaluate([], "dynamodb:GetItem", TABLE) is Decision.NEUTRAL


def test_actions_match_case_insensitively_with_wildcards_and_resources_case_sensitively():
    policy = [
        doc(allow(["DynamoDB:get*", "dynamodb:Query?"], f"arn:aws:dynamodb:*:{ACCOUNT}:table/o*"))
    ]
    assert evaluate(policy, "dynamodb:GetItem", TABLE) is Decision.ALLOW
    assert evaluate(policy, "dynamodb:Query", TABLE) is Decision.NEUTRAL  # ? is one character
    assert (
        evaluate(policy, "dynamodb:GetItem", TABLE.replace("orders", "Orders")) is Decision.NEUTRAL
    )


def test_not_action_and_not_resource_take_in_everything_else():
    policy = [doc({"Effect": "Allow", "NotAction": "iam:*", "NotResource": TABLE})]
    assert evaluate(policy, "sqs:SendMessage", "arn:aws:sqs:eu-west-1:1:q") is Decision.ALLOW
    assert evaluate(policy, "iam:CreateRole", "*") is Decision.NEUTRAL
    assert evaluate(policy, "dynamodb:GetItem", TABLE) is Decision.NEUTRAL
    guard = [doc(allow("*")), doc({"Effect": "Deny", "Action": "*", "NotResource": TABLE})]
    assert evaluate(guard, "dynamodb:GetItem", TABLE) is Decision.ALLOW
    assert evaluate(guard, "dynamodb:GetItem", TABLE + "2") is Decision.DENY


def test_a_deny_whose_condition_does_not_hold_does_not_apply():
    policy = [
        doc(allow("iam:CreateRole")),
        doc(
            deny(
                "iam:CreateRole",
                Condition={
                    "StringNotEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}
                },
            )
        ),
    ]
    bounded = {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}
    assert evaluate(policy, "iam:CreateRole", "*", bounded) is Decision.ALLOW
    assert evaluate(policy, "iam:CreateRole", "*", {}) is Decision.DENY  # negated, key absent: true
    other = {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/c"}
    assert evaluate(policy, "iam:CreateRole", "*", other) is Decision.DENY


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        # values of one key: any of them; keys and operators: all of them
        ({"StringEquals": {"k": ["a", "b"]}}, {"k": "b"}, True),
        ({"StringEquals": {"k": "a", "j": "b"}}, {"k": "a", "j": "c"}, False),
        ({"StringEquals": {"k": "a"}}, {"K": "a"}, True),  # key names ignore case
        ({"StringEquals": {"k": "a"}}, {"k": "A"}, False),
        ({"StringEqualsIgnoreCase": {"k": "a"}}, {"k": "A"}, True),
        ({"StringNotEqualsIgnoreCase": {"k": "a"}}, {"k": "A"}, False),
        ({"StringLike": {"k": "ab*"}}, {"k": "abc"}, True),
        ({"StringLike": {"k": "a?"}}, {"k": "abc"}, False),
        ({"StringEquals": {"k": "a*"}}, {"k": "abc"}, False),  # no wildcards in StringEquals
        ({"StringNotEquals": {"k": ["a", "b"]}}, {"k": "b"}, False),  # none of them
        ({"StringNotEquals": {"k": ["a", "b"]}}, {"k": "c"}, True),
        ({"StringNotLike": {"k": "a*"}}, {"k": "ab"}, False),
        # an absent key: false, except negated operators, ...IfExists and Null
        ({"StringEquals": {"k": "a"}}, {}, False),
        ({"StringLike": {"k": "*"}}, {}, False),
        ({"StringNotLike": {"k": "a"}}, {}, True),
        ({"ArnNotLike": {"k": "arn:aws:s3:::b"}}, {}, True),
        ({"StringEqualsIfExists": {"k": "a"}}, {}, True),
        ({"StringEqualsIfExists": {"k": "a"}}, {"k": "b"}, False),
        ({"Null": {"k": "true"}}, {}, True),
        ({"Null": {"k": "true"}}, {"k": "a"}, False),
        ({"Null": {"k": "false"}}, {"k": "a"}, True),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": False}, True),
        ({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": False}, False),
        ({"Bool": {"aws:SecureTransport": "true"}}, {}, False),
        ({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"}, True),
        ({"NumericGreaterThan": {"s3:max-keys": "10"}}, {"s3:max-keys": 9}, False),
        ({"NumericNotEquals": {"n": "10"}}, {"n": "11"}, True),
        ({"NumericEquals": {"n": "10"}}, {"n": "ten"}, False),
        (
            {"DateLessThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}},
            {"aws:CurrentTime": "2025-12-31T23:00:00Z"},
            True,
        ),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "10.1.2.3"}, True),
        ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "10.1.2.3"}, False),
        # ARNs: each of the six parts on its own, wildcards in either operator
        (
            {"ArnLike": {"a": "arn:aws:logs:*:1:log-group:*"}},
            {"a": "arn:aws:logs:eu-west-1:1:log-group:x:*"},
            True,
        ),
        (
            {"ArnEquals": {"a": "arn:aws:events:eu-west-1:1:rule/r-*"}},
            {"a": "arn:aws:events:eu-west-1:1:rule/r-a"},
            True,
        ),
        (
            {"ArnLike": {"a": "arn:aws:logs:*:1:*"}},
            {"a": "arn:aws:logs:eu-west-1:2:log-group:x"},
            False,
        ),
        ({"ArnLike": {"a": "arn:*"}}, {"a": "not-an-arn"}, False),
        (
            {"ArnNotEquals": {"a": "arn:aws:sqs:eu-west-1:1:q"}},
            {"a": "arn:aws:sqs:eu-west-1:1:p"},
            True,
        ),
    ],
)
def test_condition_operators(condition, context, expected):
    assert conditions_match(condition, context) is expected


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        # ForAnyValue: at least one value of the request matches; no values: false
        (
            {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/state"}},
            {"kms:ResourceAliases": ["alias/x", "alias/state"]},
            True,
        ),
        (
            {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/state"}},
            {"kms:ResourceAliases": ["alias/x"]},
            False,
        ),
        ({"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/state"}}, {}, False),
        (
            {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/state"}},
            {"kms:ResourceAliases": []},
            False,
        ),
        # ForAllValues: every value of the request matches; no values (or no key): true
        (
            {"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}},
            {"aws:TagKeys": ["env"]},
            True,
        ),
        (
            {"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}},
            {"aws:TagKeys": ["env", "cost"]},
            False,
        ),
        ({"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}, {}, True),
        (
            {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret"]}},
            {"aws:TagKeys": ["env", "team"]},
            True,
        ),
        (
            {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret"]}},
            {"aws:TagKeys": ["env", "secret"]},
            False,
        ),
        (
            {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["env"]}},
            {"aws:TagKeys": ["env", "x"]},
            True,
        ),
        ({"ForAnyValue:StringLike": {"aws:TagKeys": "e*"}}, {"aws:TagKeys": ["x", "env"]}, True),
    ],
)
def test_set_operators_over_multivalued_keys(condition, context, expected):
    assert conditions_match(condition, context) is expected


def test_an_operator_iam_does_not_define_is_refused():
    with pytest.raises(UnknownOperator):
        evaluate([doc(allow("*", Condition={"StringSort": {"k": "a"}}))], "s3:GetObject", "*")
    with pytest.raises(UnknownOperator):
        conditions_match({"ForSomeValues:StringEquals": {"k": "a"}}, {"k": "a"})


ROLE = f"arn:aws:iam::{ACCOUNT}:role/deploy"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy/ci"
PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"


@pytest.mark.parametrize(
    ("element", "principal", "expected"),
    [
        ("*", SESSION, True),
        (
            {"AWS": "*"},
            "events.amazonaws.com",
            False,
        ),  # AWS "*" is every AWS principal, not services
        ({"AWS": ROLE}, SESSION, True),  # a role names its sessions
        ({"AWS": ACCOUNT}, SESSION, True),  # an account names everyone in it
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, f"arn:aws:iam::{ACCOUNT}:user/ann", True),
        ({"AWS": "arn:aws:iam::999999999999:root"}, SESSION, False),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:role/other"}, SESSION, False),
        ({"Service": ["events.amazonaws.com", "sns.amazonaws.com"]}, "sns.amazonaws.com", True),
        ({"Service": "events.amazonaws.com"}, "lambda.amazonaws.com", False),
        ({"Federated": PROVIDER}, PROVIDER, True),
        ({"Federated": PROVIDER}, SESSION, False),
    ],
)
def test_principals(element, principal, expected):
    assert principal_matches(element, principal) is expected


def test_a_resource_policy_is_judged_for_its_principal():
    queue = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:notify"
    rule = f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/store/order-placed"
    policy = [
        doc(
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule}},
            }
        )
    ]
    events = "events.amazonaws.com"
    assert (
        evaluate(policy, "sqs:SendMessage", queue, {"aws:SourceArn": rule}, events)
        is Decision.ALLOW
    )
    other_rule = {"aws:SourceArn": rule + "-x"}
    assert evaluate(policy, "sqs:SendMessage", queue, other_rule, events) is Decision.NEUTRAL
    assert (
        evaluate(policy, "sqs:SendMessage", queue, {"aws:SourceArn": rule}, "sns.amazonaws.com")
        is Decision.NEUTRAL
    )
    everyone_but = [
        doc({"Effect": "Deny", "NotPrincipal": {"AWS": ROLE}, "Action": "*", "Resource": "*"})
    ]
    assert evaluate(everyone_but, "sqs:SendMessage", queue, {}, SESSION) is Decision.NEUTRAL
    assert (
        evaluate(everyone_but, "sqs:SendMessage", queue, {}, f"arn:aws:iam::{ACCOUNT}:user/x")
        is Decision.DENY
    )


def test_a_permissions_boundary_caps_what_identity_policies_allow():
    identity = [doc(allow(["dynamodb:*", "sqs:*"]))]
    boundary = [doc(allow("dynamodb:*")), doc(deny("dynamodb:DeleteTable"))]
    assert allowed(identity, boundary, "dynamodb:GetItem", TABLE, {}) is True
    assert allowed(identity, boundary, "sqs:SendMessage", "*", {}) is False  # outside the boundary
    assert (
        allowed(identity, boundary, "dynamodb:DeleteTable", TABLE, {}) is False
    )  # boundary denies
    assert (
        allowed([doc(allow("sqs:*"))], boundary, "dynamodb:GetItem", TABLE, {}) is False
    )  # boundary grants nothing
    assert allowed(identity, None, "sqs:SendMessage", "*", {}) is True
    assert allowed(identity, [], "sqs:SendMessage", "*", {}) is False


def test_parsed_documents_and_dicts_are_the_same_documents():
    as_dict = {
        "Version": "2012-10-17",
        "Statement": allow("sqs:SendMessage"),
    }  # one statement, no list
    assert evaluate([as_dict], "sqs:SendMessage", "*") is Decision.ALLOW
    assert evaluate([as_dict], "sqs:ReceiveMessage", "*") is Decision.NEUTRAL
