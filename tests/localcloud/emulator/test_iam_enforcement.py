"""Calls judged as AWS judges them, on the emulator: permissions boundaries, conditions that do
not hold, tag on create (the event source mapping's own ARN), iam:PassRole for the service a role
is handed to, the boundary a created role must carry, and tags of the resource. Each expected
outcome is AWS's documented one (IAM policy evaluation logic; Lambda's, KMS's and IAM's
condition keys)."""

from __future__ import annotations

import hashlib
import inspect
import json
import uuid

import moto
import pytest
from botocore.exceptions import ClientError

from localcloud.base import aws as localcloud_aws
from localcloud.emulator.patches import record
from stacks.base.iam import assume_role_policy, policy_document, statement
from tests.localcloud.conftest import REGION, make_zip

ACCOUNT = "123456789012"
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/localcloud-administrator"


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


@pytest.fixture(scope="module")
def admin(emulator):
    session = localcloud_aws.session(REGION)
    return lambda service: session.client(service, endpoint_url=emulator.url)


@pytest.fixture(scope="module")
def as_role(emulator, admin):
    """A factory: a client factory signed as a new role with ``statements``, within a boundary
    of ``boundary`` statements when given."""

    def make(*statements: dict, boundary: list[dict] | None = None):
        name = f"ci-{uuid.uuid4().hex[:8]}"
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": ADMIN}, "Action": "sts:AssumeRole"}
                ],
            }
        )
        extra = {}
        if boundary is not None:
            extra["PermissionsBoundary"] = admin("iam").create_policy(
                PolicyName=f"{name}-boundary", PolicyDocument=policy_document(*boundary)
            )["Policy"]["Arn"]
        role = admin("iam").create_role(RoleName=name, AssumeRolePolicyDocument=trust, **extra)[
            "Role"
        ]
        admin("iam").put_role_policy(
            RoleName=name, PolicyName="grants", PolicyDocument=policy_document(*statements)
        )
        found = admin("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="ci")["Credentials"]
        session = localcloud_aws.session(
            REGION,
            {
                "AWS_ACCESS_KEY_ID": found["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": found["SecretAccessKey"],
                "AWS_SESSION_TOKEN": found["SessionToken"],
            },
        )
        return lambda service: session.client(service, endpoint_url=emulator.url)

    return make


def _denied(call) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    assert caught.value.response["Error"]["Code"] in ("AccessDeniedException", "AccessDenied")
    return caught.value.response["Error"]["Message"]


def test_a_permissions_boundary_caps_what_the_roles_policies_allow(as_role):
    role = as_role(
        statement(["sqs:ListQueues", "dynamodb:ListTables"], "*"),
        boundary=[statement("dynamodb:ListTables", "*")],
    )
    assert "TableNames" in role("dynamodb").list_tables()
    assert "sqs:ListQueues" in _denied(lambda: role("sqs").list_queues())


def test_a_deny_whose_condition_does_not_hold_does_not_apply(as_role):
    def deny_in(region):
        return {
            "Effect": "Deny",
            "Action": "dynamodb:ListTables",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
        }

    elsewhere = as_role(statement("dynamodb:ListTables", "*"), deny_in("ap-south-1"))
    assert "TableNames" in elsewhere("dynamodb").list_tables()
    here = as_role(statement("dynamodb:ListTables", "*"), deny_in(REGION))
    _denied(lambda: here("dynamodb").list_tables())


@pytest.fixture(scope="module")
def function_and_queue(admin):
    suffix = uuid.uuid4().hex[:8]
    role = admin("iam").create_role(
        RoleName=f"fn-{suffix}", AssumeRolePolicyDocument=assume_role_policy("lambda.amazonaws.com")
    )["Role"]["Arn"]
    function = admin("lambda").create_function(
        FunctionName=f"fn-{suffix}",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": "def handler(e, c):\n    return e\n"})},
    )["FunctionName"]
    queue = admin("sqs").create_queue(QueueName=f"q-{suffix}")["QueueUrl"]
    arn = admin("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    return {"function": function, "queue": arn["Attributes"]["QueueArn"], "role": role}


MAPPING_ARN = _arn("lambda", "event-source-mapping:*")


def test_a_mapping_created_with_tags_needs_tag_resource_on_the_mappings_arn(
    as_role, admin, function_and_queue
):
    fn, queue = function_and_queue["function"], function_and_queue["queue"]

    def create(role):
        return role("lambda").create_event_source_mapping(
            EventSourceArn=queue, FunctionName=fn, Tags={"environment": "dev"}
        )

    functions_only = as_role(
        statement("lambda:CreateEventSourceMapping", "*"),
        statement("lambda:TagResource", _arn("lambda", "function:*")),
    )
    message = _denied(lambda: create(functions_only))
    assert f"lambda:TagResource on resource: {_arn('lambda', 'event-source-mapping:')}" in message
    assert admin("lambda").list_event_source_mappings(FunctionName=fn)["EventSourceMappings"] == []
    tagging = as_role(
        statement("lambda:CreateEventSourceMapping", "*"),
        statement("lambda:TagResource", MAPPING_ARN),
    )
    mapping = create(tagging)
    assert mapping["EventSourceMappingArn"] == _arn(
        "lambda", f"event-source-mapping:{mapping['UUID']}"
    )
    message = _denied(
        lambda: tagging("lambda").list_tags(Resource=mapping["EventSourceMappingArn"])
    )
    assert f"lambda:ListTags on resource: {mapping['EventSourceMappingArn']}" in message
    reader = as_role(statement("lambda:ListTags", MAPPING_ARN))
    assert reader("lambda").list_tags(Resource=mapping["EventSourceMappingArn"])["Tags"] == {
        "environment": "dev"
    }


def test_handing_a_role_to_lambda_needs_pass_role_for_lambda(as_role, function_and_queue):
    def create(role):
        return role("lambda").create_function(
            FunctionName=f"fn-{uuid.uuid4().hex[:8]}",
            Runtime="python3.12",
            Role=function_and_queue["role"],
            Handler="app.handler",
            Code={"ZipFile": make_zip({"app.py": "def handler(e, c):\n    return e\n"})},
        )

    def passing(service):
        return statement(
            "iam:PassRole",
            function_and_queue["role"],
            Condition={"StringEquals": {"iam:PassedToService": service}},
        )

    creator = statement("lambda:CreateFunction", _arn("lambda", "function:*"))
    message = _denied(lambda: create(as_role(creator)))
    assert f"iam:PassRole on resource: {function_and_queue['role']}" in message
    _denied(lambda: create(as_role(creator, passing("ec2.amazonaws.com"))))
    assert create(as_role(creator, passing("lambda.amazonaws.com")))["FunctionArn"]


def test_a_created_role_must_carry_the_boundary_and_its_tags_need_tag_role(as_role, admin):
    boundary = admin("iam").create_policy(
        PolicyName=f"b-{uuid.uuid4().hex[:8]}",
        PolicyDocument=policy_document(statement("s3:ListBucket", "*")),
    )["Policy"]["Arn"]
    role = as_role(
        statement(
            "iam:CreateRole",
            f"arn:aws:iam::{ACCOUNT}:role/app-*",
            Condition={"StringEquals": {"iam:PermissionsBoundary": boundary}},
        )
    )
    trust = assume_role_policy("lambda.amazonaws.com")

    def create(**extra):
        name = f"app-{uuid.uuid4().hex[:8]}"
        return role("iam").create_role(RoleName=name, AssumeRolePolicyDocument=trust, **extra)

    _denied(create)
    assert (
        create(PermissionsBoundary=boundary)["Role"]["PermissionsBoundary"][
            "PermissionsBoundaryArn"
        ]
        == boundary
    )
    message = _denied(
        lambda: create(PermissionsBoundary=boundary, Tags=[{"Key": "environment", "Value": "dev"}])
    )
    assert "iam:TagRole" in message


def test_key_calls_see_the_keys_tags_and_aliases_and_a_tagged_create_needs_tag_resource(
    as_role, admin
):
    tagged = admin("kms").create_key(Tags=[{"TagKey": "environment", "TagValue": "dev"}])[
        "KeyMetadata"
    ]["Arn"]
    untagged = admin("kms").create_key()["KeyMetadata"]["Arn"]
    alias = f"alias/state-{uuid.uuid4().hex[:8]}"
    admin("kms").create_alias(AliasName=alias, TargetKeyId=untagged)
    role = as_role(
        statement(
            "kms:DescribeKey",
            _arn("kms", "key/*"),
            Condition={"StringEquals": {"aws:ResourceTag/environment": "dev"}},
        ),
        statement(
            "kms:GetKeyRotationStatus",
            _arn("kms", "key/*"),
            Condition={"ForAnyValue:StringEquals": {"kms:ResourceAliases": alias}},
        ),
        statement("kms:CreateKey", "*"),
    )
    assert role("kms").describe_key(KeyId=tagged)["KeyMetadata"]["Arn"] == tagged
    _denied(lambda: role("kms").describe_key(KeyId=untagged))
    assert role("kms").get_key_rotation_status(KeyId=untagged)["KeyRotationEnabled"] is False
    _denied(lambda: role("kms").get_key_rotation_status(KeyId=tagged))
    message = _denied(
        lambda: role("kms").create_key(Tags=[{"TagKey": "environment", "TagValue": "dev"}])
    )
    assert f"kms:TagResource on resource: {_arn('kms', 'key/*')}" in message


PATCHED = {
    # moto 5.2.5's members the emulator replaces or copies (localcloud.emulator.iam_enforcement,
    # localcloud.emulator.github_oidc): a change upstream must be read before the patch is kept.
    "moto.core.authorization.ActionAuthenticatorMixin"
    "._authenticate_and_authorize_action": "f8cfc0296ca017fa",
    "moto.iam.access_control.IAMRequestBase.check_action_permitted": "c4cad2131aeeec99",
    "moto.awslambda.models.EventSourceMapping.__init__": "6580bc24f819d09e",
    "moto.sts.responses.TokenResponse.assume_role_with_web_identity": "0de4ff3408770f3e",
    "moto.core.responses.BaseResponse.parse_parameters": "fd3d04c9194814f4",
}


@pytest.mark.parametrize("name", sorted(PATCHED))
def test_the_patched_moto_members_are_those_the_patches_were_written_for(name):
    original = record.upstream(name)
    assert moto.__version__ == "5.2.5"
    digest = hashlib.sha256(inspect.getsource(original).encode()).hexdigest()[:16]
    assert digest == PATCHED[name], f"moto changed {name}: read it again before keeping the patch"
