"""IAM as the emulator enforces it: its principals, service principals in trust policies, and
DynamoDB and KMS calls checked against the tables, indexes and keys they touch."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from localcloud.base import aws as localcloud_aws
from stacks.base.iam import assume_role_policy, policy_document, statement
from tests.localcloud.conftest import REGION

ACCOUNT = "123456789012"


def _arn(resource: str, service: str = "dynamodb") -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


@pytest.fixture(scope="module")
def admin(emulator):
    """A client factory signed as the emulator's administrator."""
    session = localcloud_aws.session(REGION)
    return lambda service: session.client(service, endpoint_url=emulator.url)


@pytest.fixture(scope="module")
def world(admin):
    """Two tables (one with an index), a key, and a Lambda role allowed GetItem and PutItem on the
    first, Query on its index, UpdateItem on the second, and Encrypt with the key."""
    suffix = uuid.uuid4().hex[:8]
    tables = {}
    for name in ("granted", "other"):
        table = admin("dynamodb").create_table(
            TableName=f"{name}-{suffix}",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "id", "AttributeType": "S"},
                {"AttributeName": "kind", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-kind",
                    "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )["TableDescription"]
        tables[name] = (table["TableName"], table["TableArn"])
    key = admin("kms").create_key()["KeyMetadata"]["Arn"]
    role = admin("iam").create_role(
        RoleName=f"fn-{suffix}", AssumeRolePolicyDocument=assume_role_policy("lambda.amazonaws.com")
    )["Role"]
    granted, other = tables["granted"][1], tables["other"][1]
    admin("iam").put_role_policy(
        RoleName=role["RoleName"],
        PolicyName="access",
        PolicyDocument=policy_document(
            statement(["dynamodb:GetItem", "dynamodb:PutItem"], granted),
            statement("dynamodb:Query", f"{granted}/index/by-kind"),
            statement("dynamodb:UpdateItem", other),
            statement("kms:Encrypt", key),
        ),
    )
    return {"tables": tables, "key": key, "role": role}


def _as_lambda(emulator, role_arn: str):
    sts = localcloud_aws.session(REGION, localcloud_aws.LAMBDA_SERVICE_CREDENTIALS).client(
        "sts", endpoint_url=emulator.url
    )
    found = sts.assume_role(RoleArn=role_arn, RoleSessionName="fn")["Credentials"]
    credentials = {
        "AWS_ACCESS_KEY_ID": found["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": found["SecretAccessKey"],
        "AWS_SESSION_TOKEN": found["SessionToken"],
    }
    session = localcloud_aws.session(REGION, credentials)
    return lambda service: session.client(service, endpoint_url=emulator.url)


def _denied(call) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    assert caught.value.response["Error"]["Code"] in ("AccessDeniedException", "AccessDenied")
    return caught.value.response["Error"]["Message"]


def test_unknown_credentials_are_refused(emulator):
    stranger = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    client = localcloud_aws.session(REGION, stranger).client("dynamodb", endpoint_url=emulator.url)
    with pytest.raises(ClientError) as caught:
        client.list_tables()
    assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_only_the_lambda_service_assumes_a_lambda_role(emulator, admin, world):
    _denied(
        lambda: admin("sts").assume_role(RoleArn=world["role"]["Arn"], RoleSessionName="someone")
    )
    as_role = _as_lambda(emulator, world["role"]["Arn"])
    identity = as_role("sts").get_caller_identity()["Arn"]
    assert identity == f"arn:aws:sts::{ACCOUNT}:assumed-role/{world['role']['RoleName']}/fn"
    other = admin("iam").create_role(
        RoleName=f"ec2-{uuid.uuid4().hex[:8]}",
        AssumeRolePolicyDocument=assume_role_policy("ec2.amazonaws.com"),
    )["Role"]["Arn"]
    sts = localcloud_aws.session(REGION, localcloud_aws.LAMBDA_SERVICE_CREDENTIALS).client(
        "sts", endpoint_url=emulator.url
    )
    _denied(lambda: sts.assume_role(RoleArn=other, RoleSessionName="someone"))


def test_a_role_reaches_exactly_the_tables_and_indexes_it_is_granted(emulator, world):
    dynamodb = _as_lambda(emulator, world["role"]["Arn"])("dynamodb")
    (granted, _), (other, other_arn) = (
        world["tables"]["granted"],
        world["tables"]["other"],
    )
    item = {"id": {"S": "1"}, "kind": {"S": "a"}}
    dynamodb.put_item(TableName=granted, Item=item)
    assert dynamodb.get_item(TableName=granted, Key={"id": {"S": "1"}})["Item"] == item
    assert (
        dynamodb.query(
            TableName=granted,
            IndexName="by-kind",
            KeyConditionExpression="kind = :k",
            ExpressionAttributeValues={":k": {"S": "a"}},
        )["Count"]
        == 1
    )
    message = _denied(lambda: dynamodb.get_item(TableName=other, Key={"id": {"S": "1"}}))
    assert f"dynamodb:GetItem on resource: {other_arn}" in message
    _denied(
        lambda: dynamodb.query(
            TableName=other,
            IndexName="by-kind",
            KeyConditionExpression="kind = :k",
            ExpressionAttributeValues={":k": {"S": "a"}},
        )
    )
    _denied(lambda: dynamodb.scan(TableName=granted))


def test_a_transaction_is_refused_when_one_part_is_not_granted(emulator, world):
    dynamodb = _as_lambda(emulator, world["role"]["Arn"])("dynamodb")
    (granted, _), (other, other_arn) = world["tables"]["granted"], world["tables"]["other"]
    put = {"Put": {"TableName": granted, "Item": {"id": {"S": "t"}, "kind": {"S": "b"}}}}
    update = {
        "Update": {
            "TableName": other,
            "Key": {"id": {"S": "t"}},
            "UpdateExpression": "SET kind = :k",
            "ExpressionAttributeValues": {":k": {"S": "b"}},
        }
    }
    dynamodb.transact_write_items(TransactItems=[put, update])
    check = {"ConditionCheck": {**update["Update"], "ConditionExpression": "attribute_exists(id)"}}
    del check["ConditionCheck"]["UpdateExpression"]
    message = _denied(lambda: dynamodb.transact_write_items(TransactItems=[put, check]))
    assert f"dynamodb:ConditionCheckItem on resource: {other_arn}" in message


def test_a_kms_call_is_checked_against_its_key(emulator, admin, world):
    kms = _as_lambda(emulator, world["role"]["Arn"])("kms")
    blob = kms.encrypt(KeyId=world["key"], Plaintext=b"page")["CiphertextBlob"]
    message = _denied(lambda: kms.decrypt(KeyId=world["key"], CiphertextBlob=blob))
    assert f"kms:Decrypt on resource: {world['key']}" in message
    other = admin("kms").create_key()["KeyMetadata"]["Arn"]
    _denied(lambda: kms.encrypt(KeyId=other, Plaintext=b"page"))
    assert admin("kms").decrypt(CiphertextBlob=blob)["Plaintext"] == b"page"


def test_a_removed_grant_is_denied_at_the_next_call(emulator, admin, world):
    name, table_arn = world["tables"]["granted"]
    role = admin("iam").create_role(
        RoleName=f"fn-{uuid.uuid4().hex[:8]}",
        AssumeRolePolicyDocument=assume_role_policy("lambda.amazonaws.com"),
    )["Role"]
    grants = [statement(["dynamodb:GetItem", "dynamodb:PutItem"], table_arn)]
    admin("iam").put_role_policy(
        RoleName=role["RoleName"], PolicyName="access", PolicyDocument=policy_document(*grants)
    )
    dynamodb = _as_lambda(emulator, role["Arn"])("dynamodb")
    dynamodb.get_item(TableName=name, Key={"id": {"S": "1"}})
    grants[0]["Action"] = ["dynamodb:PutItem"]
    admin("iam").put_role_policy(
        RoleName=role["RoleName"], PolicyName="access", PolicyDocument=policy_document(*grants)
    )
    _denied(lambda: dynamodb.get_item(TableName=name, Key={"id": {"S": "1"}}))
    dynamodb.put_item(TableName=name, Item={"id": {"S": "2"}})


def test_event_services_are_checked_against_the_bus_topic_and_sender_they_name(emulator, admin):
    suffix = uuid.uuid4().hex[:8]
    buses = [admin("events").create_event_bus(Name=f"{n}-{suffix}")["EventBusArn"] for n in "ab"]
    topics = [admin("sns").create_topic(Name=f"{n}-{suffix}")["TopicArn"] for n in "ab"]
    senders = [f"{n}-{suffix}@localcloud.test" for n in "ab"]
    for sender in senders:
        admin("sesv2").create_email_identity(EmailIdentity=sender)
    role = admin("iam").create_role(
        RoleName=f"ev-{suffix}", AssumeRolePolicyDocument=assume_role_policy("lambda.amazonaws.com")
    )["Role"]
    admin("iam").put_role_policy(
        RoleName=role["RoleName"],
        PolicyName="events",
        PolicyDocument=policy_document(
            statement("events:PutEvents", buses[0]),
            statement("sns:Publish", topics[0]),
            statement("ses:SendEmail", _arn(f"identity/{senders[0]}", "ses")),
        ),
    )
    as_role = _as_lambda(emulator, role["Arn"])

    def put(bus):
        entry = {"Source": "store", "DetailType": "T", "Detail": "{}", "EventBusName": bus}
        return as_role("events").put_events(Entries=[entry])

    def mail(sender):
        return as_role("sesv2").send_email(
            FromEmailAddress=sender,
            Destination={"ToAddresses": ["ann@example.com"]},
            Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
        )

    assert put(f"a-{suffix}")["FailedEntryCount"] == 0
    assert "events:PutEvents" in _denied(lambda: put(f"b-{suffix}"))
    assert as_role("sns").publish(TopicArn=topics[0], Message="m")["MessageId"]
    assert "sns:Publish" in _denied(lambda: as_role("sns").publish(TopicArn=topics[1], Message="m"))
    assert mail(senders[0])["MessageId"]
    assert "ses:SendEmail" in _denied(lambda: mail(senders[1]))
