"""A resource policy judged as IAM judges it: an explicit Deny wins, an Allow must match the
principal, action, resource and every condition, and anything else says nothing."""

from __future__ import annotations

import json

from localcloud.emulator.resource_policy import ALLOW, DENY, NEUTRAL, evaluate

QUEUE = "arn:aws:sqs:us-east-1:123456789012:orders"
RULE = "arn:aws:events:us-east-1:123456789012:rule/bus/notify"
EVENTS = "events.amazonaws.com"


def _policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ONLY_ITS_RULE = {
    "Effect": "Allow",
    "Principal": {"Service": EVENTS},
    "Action": "sqs:SendMessage",
    "Resource": QUEUE,
    "Condition": {"ArnEquals": {"aws:SourceArn": [RULE]}},
}


def _judge(policy: str, context=None, principal=EVENTS, action="sqs:SendMessage") -> str:
    source = {"aws:SourceArn": RULE} if context is None else context
    return evaluate([policy], action, QUEUE, source, principal).decision


def test_the_named_rule_is_allowed_and_another_is_not():
    assert _judge(_policy(ONLY_ITS_RULE)) == ALLOW
    assert _judge(_policy(ONLY_ITS_RULE), {"aws:SourceArn": RULE + "-other"}) == NEUTRAL
    assert _judge(_policy(ONLY_ITS_RULE), {}) == NEUTRAL  # no source: the condition fails


def test_only_the_named_service_action_and_resource_match():
    assert _judge(_policy(ONLY_ITS_RULE), principal="sns.amazonaws.com") == NEUTRAL
    assert _judge(_policy(ONLY_ITS_RULE), action="sqs:DeleteMessage") == NEUTRAL
    assert _judge(_policy(ONLY_ITS_RULE), action="SQS:sendmessage") == ALLOW  # actions: any case
    other = dict(ONLY_ITS_RULE, Resource=QUEUE + "-dlq")
    assert _judge(_policy(other)) == NEUTRAL


def test_an_explicit_deny_wins_over_an_allow():
    deny = {"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "*"}
    assert _judge(_policy(ONLY_ITS_RULE, deny)) == DENY


def test_wildcards_and_negated_operators_read_as_iam_reads_them():
    like = dict(
        ONLY_ITS_RULE, Condition={"ArnLike": {"aws:SourceArn": "arn:aws:events:*:rule/bus/*"}}
    )
    assert _judge(_policy(like)) == ALLOW
    not_equals = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sqs:SendMessage",
        "Resource": QUEUE,
        "Condition": {"ArnNotEquals": {"aws:SourceArn": RULE}},
    }
    assert _judge(_policy(ONLY_ITS_RULE, not_equals)) == ALLOW
    assert _judge(_policy(ONLY_ITS_RULE, not_equals), {"aws:SourceArn": "x"}) == DENY


def test_a_role_named_admits_its_sessions_and_an_account_all_its_principals():
    session = "arn:aws:sts::123456789012:assumed-role/scheduler-role/expire"
    deny_role = {
        "Effect": "Deny",
        "Principal": {"AWS": "arn:aws:iam::123456789012:role/scheduler-role"},
        "Action": "sqs:SendMessage",
        "Resource": QUEUE,
    }
    assert _judge(_policy(deny_role), {}, principal=session) == DENY
    other_session = "arn:aws:sts::123456789012:assumed-role/another/expire"
    assert _judge(_policy(deny_role), {}, principal=other_session) == NEUTRAL
    account = dict(deny_role, Principal={"AWS": "123456789012"})
    assert _judge(_policy(account), {}, principal=other_session) == DENY


def test_an_operator_not_read_here_allows_nothing_and_says_so():
    unknown = dict(ONLY_ITS_RULE, Condition={"DateGreaterThan": {"aws:CurrentTime": "2020"}})
    verdict = evaluate([_policy(unknown)], "sqs:SendMessage", QUEUE, {}, EVENTS)
    assert verdict.decision == NEUTRAL
    assert "DateGreaterThan" in verdict.reason
