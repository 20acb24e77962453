"""What a call implies beyond its own action, and the condition keys it brings: each expectation
from the services' documentation (tagging on create, passing a role, the IAM condition keys)."""

from __future__ import annotations

from localcloud.emulator.iam_call import ArnScope, Call
from localcloud.emulator.iam_implied import call_context, implied_checks, request_tags

R, A = "eu-west-1", "123456789012"
SCOPE = ArnScope("aws", R, A)
ROLE = f"arn:aws:iam::{A}:role/shop-dev-fn"


def call(service, action, params, **extra):
    return Call(service, action, params, SCOPE, extra=extra)


def test_a_mapping_created_with_tags_needs_tag_resource_on_its_own_arn():
    created = call(
        "lambda",
        "CreateEventSourceMapping",
        {"FunctionName": "f", "Tags": {"environment": "dev"}},
        new_uuid="u-1",
    )
    assert implied_checks(created, [("lambda:CreateEventSourceMapping", "*")]) == [
        ("lambda:TagResource", f"arn:aws:lambda:{R}:{A}:event-source-mapping:u-1", {})
    ]
    untagged = call("lambda", "CreateEventSourceMapping", {"FunctionName": "f"}, new_uuid="u-2")
    assert implied_checks(untagged, [("lambda:CreateEventSourceMapping", "*")]) == []


def test_creates_with_tags_need_their_services_tag_action():
    function = f"arn:aws:lambda:{R}:{A}:function:f"
    fn = call("lambda", "CreateFunction", {"FunctionName": "f", "Role": ROLE, "Tags": {"a": "b"}})
    assert implied_checks(fn, [("lambda:CreateFunction", function)]) == [
        ("lambda:TagResource", function, {}),
        ("iam:PassRole", ROLE, {"iam:PassedToService": "lambda.amazonaws.com"}),
    ]
    queue = f"arn:aws:sqs:{R}:{A}:q"
    assert implied_checks(
        call("sqs", "CreateQueue", {"QueueName": "q", "tags": {"a": "b"}}),
        [("sqs:CreateQueue", queue)],
    ) == [("sqs:TagQueue", queue, {})]
    key = call("kms", "CreateKey", {"Tags": [{"TagKey": "environment", "TagValue": "dev"}]})
    assert implied_checks(key, [("kms:CreateKey", "*")]) == [
        ("kms:TagResource", f"arn:aws:kms:{R}:{A}:key/*", {})
    ]
    role = f"arn:aws:iam::{A}:role/r"
    assert implied_checks(
        call("iam", "CreateRole", {"RoleName": "r", "Tags": [{"Key": "a", "Value": "b"}]}),
        [("iam:CreateRole", role)],
    ) == [("iam:TagRole", role, {})]
    vpc = call(
        "ec2",
        "CreateVpc",
        {"TagSpecifications": [{"ResourceType": "vpc", "Tags": [{"Key": "a", "Value": "b"}]}]},
    )
    assert implied_checks(vpc, [("ec2:CreateVpc", "*")]) == [
        ("ec2:CreateTags", f"arn:aws:ec2:{R}:{A}:vpc/*", {"ec2:CreateAction": "CreateVpc"})
    ]


def test_roles_handed_to_services_need_pass_role_naming_the_service():
    cases = [
        (
            call("scheduler", "CreateSchedule", {"Name": "s", "Target": {"RoleArn": ROLE}}),
            "scheduler.amazonaws.com",
        ),
        (
            call(
                "events",
                "PutTargets",
                {"Rule": "r", "Targets": [{"Id": "1", "RoleArn": ROLE}, {"Id": "2"}]},
            ),
            "events.amazonaws.com",
        ),
        (
            call(
                "apigateway",
                "UpdateAccount",
                {
                    "patchOperations": [
                        {"op": "replace", "path": "/cloudwatchRoleArn", "value": ROLE}
                    ]
                },
            ),
            "apigateway.amazonaws.com",
        ),
        (
            call("ec2", "CreateFlowLogs", {"DeliverLogsPermissionArn": ROLE}),
            "vpc-flow-logs.amazonaws.com",
        ),
        (
            call(
                "cognito-idp",
                "UpdateUserPool",
                {"UserPoolId": "p", "SmsConfiguration": {"SnsCallerArn": ROLE}},
            ),
            "cognito-idp.amazonaws.com",
        ),
    ]
    for made, service in cases:
        assert implied_checks(made, [("x:Y", "*")]) == [
            ("iam:PassRole", ROLE, {"iam:PassedToService": service})
        ]


def test_tags_in_every_shape_become_request_tags_and_tag_keys():
    assert request_tags(call("cognito-idp", "CreateUserPool", {"UserPoolTags": {"a": "1"}})) == {
        "a": "1"
    }
    context = call_context(
        call(
            "dynamodb",
            "CreateTable",
            {"TableName": "t", "Tags": [{"Key": "environment", "Value": "dev"}]},
        )
    )
    assert context == {"aws:RequestTag/environment": "dev", "aws:TagKeys": ["environment"]}
    assert call_context(call("lambda", "UntagResource", {"Resource": "x", "TagKeys": ["a"]})) == {
        "aws:TagKeys": ["a"]
    }


def test_iam_calls_bring_the_boundary_they_set_or_the_one_the_role_has():
    boundary = f"arn:aws:iam::{A}:policy/shop-dev-boundary"
    created = call_context(
        call("iam", "CreateRole", {"RoleName": "r", "PermissionsBoundary": boundary})
    )
    assert created == {"iam:PermissionsBoundary": boundary}
    written = call_context(call("iam", "PutRolePolicy", {"RoleName": "r"}, role_boundary=boundary))
    assert written == {"iam:PermissionsBoundary": boundary}
    assert call_context(call("iam", "PutRolePolicy", {"RoleName": "r"})) == {}
    detached = call_context(
        call("iam", "DetachRolePolicy", {"RoleName": "r", "PolicyArn": "arn:aws:iam::aws:policy/X"})
    )
    assert detached == {"iam:PolicyARN": "arn:aws:iam::aws:policy/X"}
