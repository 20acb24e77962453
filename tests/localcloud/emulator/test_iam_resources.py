"""The resources the store's services' calls are authorized against: each expected ARN written
from AWS's Service Authorization Reference (the resource types' ARN formats)."""

from __future__ import annotations

import base64
import uuid

import pytest

from localcloud.emulator.iam_call import ArnScope, Call
from localcloud.emulator.iam_resources import resources

R, A = "eu-west-1", "123456789012"
SCOPE = ArnScope("aws", R, A)


def needs(service, action, params=None, **extra):
    return resources(Call(service, action, params or {}, SCOPE, **extra))


@pytest.mark.parametrize(
    ("service", "action", "params", "expected"),
    [
        (
            "lambda",
            "GetFunction",
            {"FunctionName": "shop-dev-api"},
            [f"arn:aws:lambda:{R}:{A}:function:shop-dev-api"],
        ),
        (
            "lambda",
            "GetFunction",
            {"FunctionName": f"arn:aws:lambda:{R}:{A}:function:f:live"},
            [f"arn:aws:lambda:{R}:{A}:function:f"],
        ),
        (
            "lambda",
            "Invoke",
            {"FunctionName": f"{A}:function:f"},
            [f"arn:aws:lambda:{R}:{A}:function:f"],
        ),
        (
            "lambda",
            "ListTags",
            {"Resource": f"arn:aws:lambda:{R}:{A}:event-source-mapping:u-1"},
            [f"arn:aws:lambda:{R}:{A}:event-source-mapping:u-1"],
        ),
        (
            "lambda",
            "DeleteEventSourceMapping",
            {"UUID": "u-1"},
            [f"arn:aws:lambda:{R}:{A}:event-source-mapping:u-1"],
        ),
        ("lambda", "CreateEventSourceMapping", {"FunctionName": "f"}, ["*"]),
        (
            "lambda",
            "GetLayerVersion",
            {"LayerName": f"arn:aws:lambda:{R}:017000801446:layer:Powertools", "VersionNumber": 7},
            [f"arn:aws:lambda:{R}:017000801446:layer:Powertools:7"],
        ),
        ("lambda", "GetAccountSettings", {}, ["*"]),
        (
            "sqs",
            "SendMessage",
            {"QueueUrl": f"http://localhost:4566/{A}/orders"},
            [f"arn:aws:sqs:{R}:{A}:orders"],
        ),
        ("sqs", "CreateQueue", {"QueueName": "it-tap-1"}, [f"arn:aws:sqs:{R}:{A}:it-tap-1"]),
        ("sqs", "ListQueues", {}, ["*"]),
        (
            "logs",
            "FilterLogEvents",
            {"logGroupName": "/aws/lambda/f"},
            [f"arn:aws:logs:{R}:{A}:log-group:/aws/lambda/f"],
        ),
        (
            "logs",
            "PutLogEvents",
            {"logGroupName": "g", "logStreamName": "s"},
            [f"arn:aws:logs:{R}:{A}:log-group:g:log-stream:s"],
        ),
        (
            "logs",
            "ListTagsForResource",
            {"resourceArn": f"arn:aws:logs:{R}:{A}:log-group:g:*"},
            [f"arn:aws:logs:{R}:{A}:log-group:g"],
        ),
        ("logs", "DescribeLogGroups", {"logGroupNamePrefix": "g"}, ["*"]),
        (
            "cognito-idp",
            "ListUserPoolClients",
            {"UserPoolId": f"{R}_abc"},
            [f"arn:aws:cognito-idp:{R}:{A}:userpool/{R}_abc"],
        ),
        ("cognito-idp", "CreateUserPool", {"PoolName": "p"}, ["*"]),
        (
            "events",
            "PutRule",
            {"Name": "r", "EventBusName": "shop"},
            [f"arn:aws:events:{R}:{A}:rule/shop/r"],
        ),
        ("events", "PutTargets", {"Rule": "r"}, [f"arn:aws:events:{R}:{A}:rule/r"]),
        ("events", "CreateEventBus", {"Name": "shop"}, [f"arn:aws:events:{R}:{A}:event-bus/shop"]),
        (
            "events",
            "PutEvents",
            {"Entries": [{"EventBusName": "shop"}, {}]},
            [f"arn:aws:events:{R}:{A}:event-bus/shop", f"arn:aws:events:{R}:{A}:event-bus/default"],
        ),
        (
            "scheduler",
            "CreateSchedule",
            {"Name": "s"},
            [f"arn:aws:scheduler:{R}:{A}:schedule/default/s"],
        ),
        (
            "scheduler",
            "GetScheduleGroup",
            {"Name": "g"},
            [f"arn:aws:scheduler:{R}:{A}:schedule-group/g"],
        ),
        ("sns", "CreateTopic", {"Name": "t"}, [f"arn:aws:sns:{R}:{A}:t"]),
        ("sns", "Unsubscribe", {"SubscriptionArn": f"arn:aws:sns:{R}:{A}:t:1"}, ["*"]),
        (
            "cloudwatch",
            "DeleteAlarms",
            {"AlarmNames": ["a", "b"]},
            [f"arn:aws:cloudwatch:{R}:{A}:alarm:a", f"arn:aws:cloudwatch:{R}:{A}:alarm:b"],
        ),
        (
            "cloudwatch",
            "PutDashboard",
            {"DashboardName": "d"},
            [f"arn:aws:cloudwatch::{A}:dashboard/d"],
        ),
        ("cloudwatch", "DescribeAlarms", {"AlarmNames": ["a"]}, ["*"]),
        ("s3", "GetObject", {}, ["arn:aws:s3:::bucket/key"]),
    ],
)
def test_a_call_names_the_resource_aws_authorizes(service, action, params, expected):
    found = needs(
        service, action, params, resource="arn:aws:s3:::bucket/key" if service == "s3" else "*"
    )
    assert [resource for _, resource in found] == expected
    assert all(name == f"{service}:{action}" for name, _ in found)


def test_api_gateway_actions_are_http_methods_on_the_path():
    found = needs("apigateway", "UpdateRestApi", method="PATCH", path="/restapis/a1b2/?x=1")
    assert found == [("apigateway:PATCH", f"arn:aws:apigateway:{R}::/restapis/a1b2")]


def test_associating_a_web_acl_needs_both_ends_and_the_stage():
    acl = f"arn:aws:wafv2:{R}:{A}:regional/webacl/shop/1"
    stage = f"arn:aws:apigateway:{R}::/restapis/a1/stages/dev"
    found = needs("wafv2", "AssociateWebACL", {"WebACLArn": acl, "ResourceArn": stage})
    assert found == [
        ("wafv2:AssociateWebACL", acl),
        ("wafv2:AssociateWebACL", stage),
        ("apigateway:SetWebACL", stage),
    ]
    created = needs("wafv2", "CreateWebACL", {"Name": "shop", "Scope": "REGIONAL"})
    assert created == [("wafv2:CreateWebACL", f"arn:aws:wafv2:{R}:{A}:regional/webacl/shop/*")]


def test_iam_calls_name_roles_policies_and_providers():
    assert needs("iam", "PutRolePolicy", {"RoleName": "r"}) == [
        ("iam:PutRolePolicy", f"arn:aws:iam::{A}:role/r")
    ]
    assert needs("iam", "CreatePolicy", {"PolicyName": "p", "Path": "/x/"}) == [
        ("iam:CreatePolicy", f"arn:aws:iam::{A}:policy/x/p")
    ]
    linked = needs(
        "iam",
        "CreateServiceLinkedRole",
        {"AWSServiceName": "dynamodb.application-autoscaling.amazonaws.com"},
    )
    assert linked == [
        (
            "iam:CreateServiceLinkedRole",
            f"arn:aws:iam::{A}:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/*",
        )
    ]


def test_ec2_changes_name_their_resource_and_creates_and_describes_none():
    assert needs("ec2", "DeleteSubnet", {"SubnetId": "subnet-1"}) == [
        ("ec2:DeleteSubnet", f"arn:aws:ec2:{R}:{A}:subnet/subnet-1")
    ]
    assert needs(
        "ec2", "DeleteRoute", {"RouteTableId": "rtb-1", "DestinationCidrBlock": "0/0"}
    ) == [("ec2:DeleteRoute", f"arn:aws:ec2:{R}:{A}:route-table/rtb-1")]
    owner = {"ec2_owner": lambda ident: "rtb-9" if ident == "rtbassoc-1" else ident}
    assert needs("ec2", "DisassociateRouteTable", {"AssociationId": "rtbassoc-1"}, extra=owner) == [
        ("ec2:DisassociateRouteTable", f"arn:aws:ec2:{R}:{A}:route-table/rtb-9")
    ]
    assert needs("ec2", "CreateSubnet", {"VpcId": "vpc-1"}) == [("ec2:CreateSubnet", "*")]
    assert needs("ec2", "DescribeVpcs", {"VpcIds": ["vpc-1"]}) == [("ec2:DescribeVpcs", "*")]


def _arn(resource: str, service: str = "dynamodb") -> str:
    return f"arn:aws:{service}:{R}:{A}:{resource}"


def test_a_transaction_needs_each_parts_action_on_each_table():
    params = {
        "TransactItems": [
            {"Update": {"TableName": "products", "Key": {}}},
            {"ConditionCheck": {"TableName": "users", "Key": {}}},
            {"Put": {"TableName": "orders", "Item": {}}},
            {"Delete": {"TableName": "orders", "Key": {}}},
        ]
    }
    assert needs("dynamodb", "TransactWriteItems", params) == [
        ("dynamodb:UpdateItem", _arn("table/products")),
        ("dynamodb:ConditionCheckItem", _arn("table/users")),
        ("dynamodb:PutItem", _arn("table/orders")),
        ("dynamodb:DeleteItem", _arn("table/orders")),
    ]
    reads = {"TransactItems": [{"Get": {"TableName": "users", "Key": {}}}]}
    assert needs("dynamodb", "TransactGetItems", reads) == [
        ("dynamodb:GetItem", _arn("table/users"))
    ]


def test_batches_indexes_and_other_calls_name_their_resources():
    batch = {"RequestItems": {"products": {}, "users": {}}}
    assert needs("dynamodb", "BatchGetItem", batch) == [
        ("dynamodb:BatchGetItem", _arn("table/products")),
        ("dynamodb:BatchGetItem", _arn("table/users")),
    ]
    query = {"TableName": "orders", "IndexName": "by-user"}
    assert needs("dynamodb", "Query", query) == [
        ("dynamodb:Query", _arn("table/orders/index/by-user"))
    ]
    arn = _arn("table/orders")
    assert needs("dynamodb", "GetItem", {"TableName": arn}) == [("dynamodb:GetItem", arn)]
    assert needs("dynamodb", "ListTagsOfResource", {"ResourceArn": arn}) == [
        ("dynamodb:ListTagsOfResource", arn)
    ]
    assert needs("dynamodb", "ListTables", {}) == [("dynamodb:ListTables", "*")]


def test_a_kms_call_needs_its_key():
    key = str(uuid.uuid4())
    key_arn = _arn(f"key/{key}", "kms")
    assert needs("kms", "Encrypt", {"KeyId": key}) == [("kms:Encrypt", key_arn)]
    assert needs("kms", "Encrypt", {"KeyId": key_arn}) == [("kms:Encrypt", key_arn)]
    blob = base64.b64encode(key.encode() + b"\x00" * 40).decode()
    assert needs("kms", "Decrypt", {"CiphertextBlob": blob}) == [("kms:Decrypt", key_arn)]
    assert needs("kms", "Decrypt", {"CiphertextBlob": "%%"}) == [("kms:Decrypt", "*")]
    assert needs("kms", "ListKeys", {}) == [("kms:ListKeys", "*")]


def test_an_alias_call_needs_the_alias_and_each_key_it_points_from_or_to():
    aliases = {"alias/shop": "k-old"}.get
    found = needs(
        "kms",
        "UpdateAlias",
        {"AliasName": "alias/shop", "TargetKeyId": "k-new"},
        extra={"aliases": aliases},
    )
    assert found == [
        ("kms:UpdateAlias", _arn("alias/shop", "kms")),
        ("kms:UpdateAlias", _arn("key/k-old", "kms")),
        ("kms:UpdateAlias", _arn("key/k-new", "kms")),
    ]
    by_alias = needs("kms", "Encrypt", {"KeyId": "alias/shop"}, extra={"aliases": aliases})
    assert by_alias == [("kms:Encrypt", _arn("key/k-old", "kms"))]


def test_an_ses_identity_call_names_the_identity():
    # CreateEmailIdentity's resource is the identity it creates (Service Authorization
    # Reference, Amazon SES: identity, arn:...:ses:<region>:<account>:identity/<name>).
    identity = f"arn:aws:ses:{R}:{A}:identity/store@dev.store.example.com"
    created = needs("ses", "CreateEmailIdentity", {"EmailIdentity": "store@dev.store.example.com"})
    assert created == [("ses:CreateEmailIdentity", identity)]
    assert needs("ses", "ListTagsForResource", {"ResourceArn": identity}) == [
        ("ses:ListTagsForResource", identity)
    ]
    sent = needs("ses", "SendEmail", {}, resource=identity)
    assert sent == [("ses:SendEmail", identity)]
