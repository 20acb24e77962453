"""``--without``: parsing the actions, and taking them out of a policy document."""

import argparse
import json

import boto3
import pytest
from moto import mock_aws

from localcloud.rehearsal.without import Removal, apply, edit, removals

ESM = "arn:aws:lambda:us-east-1:123456789012:event-source-mapping:*"
FUNCTIONS = "arn:aws:lambda:us-east-1:123456789012:function:ecommerce-dev-*"
DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Tags",
            "Effect": "Allow",
            "Action": ["lambda:TagResource", "lambda:ListTags"],
            "Resource": [FUNCTIONS, ESM],
        },
        {"Sid": "One", "Effect": "Allow", "Action": "logs:FilterLogEvents", "Resource": "*"},
        {"Sid": "No", "Effect": "Deny", "Action": "lambda:TagResource", "Resource": "*"},
    ],
}


def test_parses_actions_and_scopes():
    assert removals("lambda:TagResource, logs:FilterLogEvents") == (
        Removal("lambda:TagResource"),
        Removal("logs:FilterLogEvents"),
    )
    assert removals("lambda:TagResource@event-source-mapping") == (
        Removal("lambda:TagResource", "event-source-mapping"),
    )
    assert str(Removal("a:B", "x")) == "a:B@x"


@pytest.mark.parametrize(
    "text", ["", "TagResource", "lambda:*", "lambda:Tag Resource", "lambda:TagResource@", "a:B,"]
)
def test_refuses_what_is_not_an_action(text):
    with pytest.raises(argparse.ArgumentTypeError, match="must be IAM actions"):
        removals(text)


def test_an_action_goes_out_of_every_allow_and_an_emptied_statement_goes():
    edited, held = edit(DOCUMENT, (Removal("lambda:TagResource"), Removal("logs:FilterLogEvents")))
    assert held == {Removal("lambda:TagResource"), Removal("logs:FilterLogEvents")}
    assert edited["Statement"] == [
        {
            "Sid": "Tags",
            "Effect": "Allow",
            "Action": ["lambda:ListTags"],
            "Resource": [FUNCTIONS, ESM],
        },
        # A Deny is left as it is: taking a grant out never widens.
        {"Sid": "No", "Effect": "Deny", "Action": "lambda:TagResource", "Resource": "*"},
    ]


def test_a_scoped_removal_keeps_the_action_on_the_other_resources():
    edited, held = edit(DOCUMENT, (Removal("lambda:TagResource", "event-source-mapping"),))
    assert held == {Removal("lambda:TagResource", "event-source-mapping")}
    assert edited["Statement"][:2] == [
        {
            "Sid": "Tags",
            "Effect": "Allow",
            "Action": ["lambda:ListTags"],
            "Resource": [FUNCTIONS, ESM],
        },
        {
            "Sid": "TagsKept",
            "Effect": "Allow",
            "Action": ["lambda:TagResource"],
            "Resource": [FUNCTIONS],
        },
    ]


def test_a_removal_no_statement_holds_changes_nothing():
    edited, held = edit(DOCUMENT, (Removal("sqs:SendMessage"),))
    assert (edited, held) == (DOCUMENT, set())


@mock_aws
def test_apply_writes_a_new_default_version_and_names_what_no_role_holds():
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_role(RoleName="ci", AssumeRolePolicyDocument=json.dumps({"Statement": []}))
    arn = iam.create_policy(PolicyName="ci-read", PolicyDocument=json.dumps(DOCUMENT))["Policy"][
        "Arn"
    ]
    iam.attach_role_policy(RoleName="ci", PolicyArn=arn)
    assert apply(iam, ["ci"], (Removal("logs:FilterLogEvents"),)) == ["ci: ci-read"]
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    assert [s["Sid"] for s in document["Statement"]] == ["Tags", "No"]
    with pytest.raises(ValueError, match="no CI role is granted sqs:SendMessage by name"):
        apply(iam, ["ci"], (Removal("sqs:SendMessage"),))
