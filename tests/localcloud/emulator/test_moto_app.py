"""The emulator as the local cloud runs it: one request at a time, AWS's answer to a repeated
create, idempotency tokens honoured, an SDK's retry of an answered call answered again."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from moto.awslambda.responses import LambdaResponse

from localcloud import PROJECT_ROOT
from localcloud.base import aws as localcloud_aws
from localcloud.emulator import iam_tags, moto_fixes
from localcloud.emulator.moto_app import IdempotencyTokens, SdkRetries, Serialized
from localcloud.emulator.patches import book, record
from tests.localcloud.conftest import REGION, make_zip

_EC2_LATER = (
    "import sys; from localcloud.emulator import moto_app; print('moto.ec2.models' in sys.modules)"
)


def test_the_server_imports_moto_ec2_at_the_first_ec2_call_only():
    # The import reads every region's instance types and zones: a second of each start's CPU.
    found = subprocess.run(
        [sys.executable, "-c", _EC2_LATER],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert found.stdout.split() == ["False"], found.stderr
    # Here, not at the top: the check above is of a fresh interpreter, this one of the lookup.
    from moto.ec2.models import ec2_backends  # noqa: PLC0415

    assert iam_tags._ec2_backends() is ec2_backends  # what the tag lookups find then


def test_requests_never_overlap_inside_moto():
    inside, most = [0], [0]

    def slow_app(environ, start_response):
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        time.sleep(0.05)
        inside[0] -= 1
        start_response("200 OK", [])
        return iter([b"o", b"k"])

    app = Serialized(slow_app)
    threads = [threading.Thread(target=app, args=({}, lambda *_: None)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1
    assert app({}, lambda *_: None) == [b"ok"]


@pytest.fixture(scope="module")
def aws(emulator):
    """A boto3 client factory for the emulator."""
    session = localcloud_aws.session(REGION)
    return lambda service: session.client(service, endpoint_url=emulator.url)


@pytest.fixture(autouse=True)
def rest_apis_left_as_found(emulator):
    """The session's emulator holds one REST API that other modules' tests find without its id
    (tests/localcloud/gateway/test_gateway.py): each test here deletes the ones it made."""
    apigw = localcloud_aws.session(REGION).client("apigateway", endpoint_url=emulator.url)
    before = {api["id"] for api in apigw.get_rest_apis(limit=500)["items"]}
    yield
    for api in apigw.get_rest_apis(limit=500)["items"]:
        if api["id"] not in before:
            apigw.delete_rest_api(restApiId=api["id"])


@pytest.fixture
def function_name(aws):
    """A function of the test's own to hang permissions on (shared, one test's statements were
    another's, in some orders)."""
    name = f"perm-{uuid.uuid4().hex[:8]}"
    role = aws("iam").create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    aws("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": "def handler(e, c):\n    return e\n"})},
    )
    return name


def _error(call) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    error = raised.value.response
    return error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"], str(raised.value)


def test_repeated_add_permission_is_a_409_and_leaves_one_statement(aws, function_name):
    lam = aws("lambda")

    def add():
        return lam.add_permission(
            FunctionName=function_name,
            StatementId="invoke-get-users-userId",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn="arn:aws:execute-api:us-east-1:123456789012:abc/*/GET/users/*",
        )

    add()
    status, code, message = _error(add)
    assert (status, code) == (409, "ResourceConflictException")
    assert "The statement id (invoke-get-users-userId) provided already exists" in message
    statements = json.loads(lam.get_policy(FunctionName=function_name)["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["invoke-get-users-userId"]
    # One removal leaves nothing behind, so a destroy's wait for it to disappear ends.
    lam.remove_permission(FunctionName=function_name, StatementId="invoke-get-users-userId")
    assert _error(lambda: lam.get_policy(FunctionName=function_name))[1] == (
        "ResourceNotFoundException"
    )
    # Other statement ids still add.
    for sid in ("one", "two"):
        lam.add_permission(
            FunctionName=function_name,
            StatementId=sid,
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
        )
    statements = json.loads(lam.get_policy(FunctionName=function_name)["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["one", "two"]


def test_repeated_create_resource_is_a_409_and_leaves_one_resource(aws):
    apigw = aws("apigateway")
    api = apigw.create_rest_api(name=f"conflict-{uuid.uuid4().hex[:6]}")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    users = apigw.create_resource(restApiId=api, parentId=root, pathPart="users")["id"]
    status, code, message = _error(
        lambda: apigw.create_resource(restApiId=api, parentId=root, pathPart="users")
    )
    assert (status, code) == (409, "ConflictException")
    assert "Another resource with the same parent already has this name: users" in message
    paths = sorted(r["path"] for r in apigw.get_resources(restApiId=api)["items"])
    assert paths == ["/", "/users"]
    # The same name under another parent is another resource.
    apigw.create_resource(restApiId=api, parentId=users, pathPart="users")
    assert len(apigw.get_resources(restApiId=api)["items"]) == 3


def test_ec2_client_token_replays_the_first_answer(aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    token = f"terraform-{uuid.uuid4().hex}"
    first = ec2.create_route_table(VpcId=vpc, ClientToken=token)["RouteTable"]["RouteTableId"]
    again = ec2.create_route_table(VpcId=vpc, ClientToken=token)["RouteTable"]["RouteTableId"]
    assert again == first
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    # The VPC's main route table and the one created.
    assert len(tables["RouteTables"]) == 2
    other_vpc = ec2.create_vpc(CidrBlock="10.78.0.0/16")["Vpc"]["VpcId"]
    status, code, _ = _error(lambda: ec2.create_route_table(VpcId=other_vpc, ClientToken=token))
    assert (status, code) == (400, "IdempotentParameterMismatch")
    endpoint = {
        "VpcId": vpc,
        "ServiceName": "com.amazonaws.us-east-1.dynamodb",
        "VpcEndpointType": "Gateway",
        "RouteTableIds": [first],
        "ClientToken": f"terraform-{uuid.uuid4().hex}",
    }
    ids = {ec2.create_vpc_endpoint(**endpoint)["VpcEndpoint"]["VpcEndpointId"] for _ in range(2)}
    assert len(ids) == 1
    found = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    assert [e["VpcEndpointId"] for e in found["VpcEndpoints"]] == list(ids)
    # Without a token every call is a new resource, as on AWS.
    ec2.create_route_table(VpcId=vpc)
    ec2.create_route_table(VpcId=vpc)
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    assert len(tables["RouteTables"]) == 4


def test_dynamodb_transaction_token_applies_once(aws):
    ddb = aws("dynamodb")
    table = f"tokens-{uuid.uuid4().hex[:6]}"
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )

    def add(amount: int, token: str):
        return ddb.transact_write_items(
            ClientRequestToken=token,
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": "stock"}},
                        "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": str(amount)}},
                    }
                }
            ],
        )

    token = str(uuid.uuid4())
    add(1, token)
    add(1, token)  # a retry whose first answer was lost: succeeds, changes nothing
    item = ddb.get_item(TableName=table, Key={"pk": {"S": "stock"}})["Item"]
    assert item["n"] == {"N": "1"}
    status, code, _ = _error(lambda: add(5, token))
    assert (status, code) == (400, "IdempotentParameterMismatchException")
    add(1, str(uuid.uuid4()))
    item = ddb.get_item(TableName=table, Key={"pk": {"S": "stock"}})["Item"]
    assert item["n"] == {"N": "2"}


def test_dynamodb_token_expires_after_ten_minutes():
    now = [0.0]
    runs = []

    def app(environ, start_response):
        runs.append(environ["wsgi.input"].read())
        start_response("200 OK", [("Content-Type", "application/x-amz-json-1.0")])
        return [b"{}"]

    tokens = IdempotencyTokens(app, clock=lambda: now[0])
    body = json.dumps({"ClientRequestToken": "t", "TransactItems": []}).encode()

    def call():
        environ = {
            "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.TransactWriteItems",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
        return tokens(environ, lambda *_: None)

    assert call() == [b"{}"]
    now[0] = 599.0
    call()
    assert len(runs) == 1
    now[0] = 601.0
    call()
    assert len(runs) == 2
    assert runs[1] == body  # the application reads the body the middleware read first


CREATES = {
    # Each create the stack's deploy makes, sent twice: AWS's answer to the copy, or None when
    # the second call stores nothing new (the same key, or an idempotent call).
    "iam CreateRole": "EntityAlreadyExists",
    "iam AttachRolePolicy": None,
    "iam PutRolePolicy": None,
    "ec2 CreateSecurityGroup": "InvalidGroup.Duplicate",
    "ec2 AuthorizeSecurityGroupEgress": "InvalidPermission.Duplicate",
    "ec2 AuthorizeSecurityGroupIngress": "InvalidPermission.Duplicate",
    "ec2 AssociateRouteTable": None,
    "ec2 CreateRoute": "RouteAlreadyExists",
    "logs CreateLogGroup": "ResourceAlreadyExistsException",
    "kms CreateAlias": "AlreadyExistsException",
    "dynamodb CreateTable": "ResourceInUseException",
    "lambda CreateFunction": "ResourceConflictException",
    "apigateway PutMethod": None,
    "apigateway PutGatewayResponse": None,
    "apigateway CreateStage": "ConflictException",
    "sns CreateTopic": None,
    "cloudwatch PutMetricAlarm": None,
}


def _creates(aws, suffix: str):
    """name -> (the create, how many things it made)."""
    iam, ec2, lam = aws("iam"), aws("ec2"), aws("lambda")
    apigw, logs, kms = aws("apigateway"), aws("logs"), aws("kms")
    role = f"twice-{suffix}"
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    vpc = ec2.create_vpc(CidrBlock="10.66.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.66.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=f"g-{suffix}", Description="d", VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    api = apigw.create_rest_api(name=f"twice-{suffix}")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    deployment = apigw.create_deployment(restApiId=api)["id"]
    https = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}]
    rule = [{**https[0], "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]
    policy = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        }
    )
    zip_file = make_zip({"app.py": "def handler(e, c):\n    return e\n"})

    def rules():
        found = ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [group["GroupId"]]}]
        )
        return len(found["SecurityGroupRules"])

    return {
        "iam CreateRole": (
            lambda: iam.create_role(RoleName=f"{role}-2", AssumeRolePolicyDocument="{}"),
            lambda: sum(r["RoleName"] == f"{role}-2" for r in iam.list_roles()["Roles"]),
        ),
        "iam AttachRolePolicy": (
            lambda: iam.attach_role_policy(RoleName=role, PolicyArn=policy),
            lambda: len(iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]),
        ),
        "iam PutRolePolicy": (
            lambda: iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=document),
            lambda: len(iam.list_role_policies(RoleName=role)["PolicyNames"]),
        ),
        "ec2 CreateSecurityGroup": (
            lambda: ec2.create_security_group(GroupName=f"h-{suffix}", Description="d", VpcId=vpc),
            lambda: len(
                ec2.describe_security_groups(
                    Filters=[{"Name": "group-name", "Values": [f"h-{suffix}"]}]
                )["SecurityGroups"]
            ),
        ),
        "ec2 AuthorizeSecurityGroupEgress": (
            lambda: ec2.authorize_security_group_egress(
                GroupId=group["GroupId"], IpPermissions=rule
            ),
            lambda: rules() - 1,  # the group's default egress rule
        ),
        "ec2 AuthorizeSecurityGroupIngress": (
            lambda: ec2.authorize_security_group_ingress(
                GroupId=group["GroupId"], IpPermissions=rule
            ),
            lambda: rules() - 2,
        ),
        "ec2 AssociateRouteTable": (
            lambda: ec2.associate_route_table(RouteTableId=table, SubnetId=subnet),
            lambda: len(
                ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Associations"]
            ),
        ),
        "ec2 CreateRoute": (
            lambda: ec2.create_route(
                RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway
            ),
            lambda: (
                len(ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"])
                - 1
            ),  # the local route
        ),
        "logs CreateLogGroup": (
            lambda: logs.create_log_group(logGroupName=f"/twice/{suffix}"),
            lambda: len(
                logs.describe_log_groups(logGroupNamePrefix=f"/twice/{suffix}")["logGroups"]
            ),
        ),
        "kms CreateAlias": (
            lambda: kms.create_alias(AliasName=f"alias/twice-{suffix}", TargetKeyId=key),
            lambda: sum(
                a["AliasName"] == f"alias/twice-{suffix}" for a in kms.list_aliases()["Aliases"]
            ),
        ),
        "dynamodb CreateTable": (
            lambda: aws("dynamodb").create_table(
                TableName=f"twice-{suffix}",
                KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            ),
            lambda: aws("dynamodb").list_tables()["TableNames"].count(f"twice-{suffix}"),
        ),
        "lambda CreateFunction": (
            lambda: lam.create_function(
                FunctionName=f"twice-{suffix}",
                Runtime="python3.12",
                Role=role_arn,
                Handler="app.handler",
                Code={"ZipFile": zip_file},
            ),
            lambda: sum(
                f["FunctionName"] == f"twice-{suffix}" for f in lam.list_functions()["Functions"]
            ),
        ),
        "apigateway PutMethod": (
            lambda: apigw.put_method(
                restApiId=api, resourceId=root, httpMethod="POST", authorizationType="NONE"
            ),
            lambda: len(apigw.get_resource(restApiId=api, resourceId=root)["resourceMethods"]) - 1,
        ),
        "apigateway PutGatewayResponse": (
            lambda: apigw.put_gateway_response(
                restApiId=api, responseType="DEFAULT_4XX", responseTemplates={"a/b": "{}"}
            ),
            lambda: sum(
                r["responseType"] == "DEFAULT_4XX"
                for r in apigw.get_gateway_responses(restApiId=api)["items"]
            ),
        ),
        "apigateway CreateStage": (
            lambda: apigw.create_stage(restApiId=api, stageName="local", deploymentId=deployment),
            lambda: len(apigw.get_stages(restApiId=api)["item"]),
        ),
        "sns CreateTopic": (
            lambda: aws("sns").create_topic(Name=f"twice-{suffix}"),
            lambda: sum(
                t["TopicArn"].endswith(f":twice-{suffix}")
                for t in aws("sns").list_topics()["Topics"]
            ),
        ),
        "cloudwatch PutMetricAlarm": (
            lambda: aws("cloudwatch").put_metric_alarm(
                AlarmName=f"twice-{suffix}",
                MetricName="m",
                Namespace="n",
                Statistic="Sum",
                Period=60,
                EvaluationPeriods=1,
                Threshold=1,
                ComparisonOperator="GreaterThanThreshold",
            ),
            lambda: len(
                aws("cloudwatch").describe_alarms(AlarmNames=[f"twice-{suffix}"])["MetricAlarms"]
            ),
        ),
    }


def test_every_create_of_the_deploy_sent_twice_leaves_one(aws):
    creates = _creates(aws, uuid.uuid4().hex[:8])
    assert set(creates) == set(CREATES)
    for name, (create, count) in creates.items():
        create()
        expected = CREATES[name]
        if expected is None:
            create()
        else:
            assert _error(create)[1] == expected, name
        assert count() == 1, name


def test_a_retry_of_an_answered_call_gets_the_first_answer_and_runs_once():
    log = io.StringIO()
    runs = []

    def app(environ, start_response):
        runs.append(environ["wsgi.input"].read())
        status = "500 Internal Server Error" if b"fail" in runs[-1] else "200 OK"
        start_response(status, [("Content-Type", "text/xml")])
        return [f"<n>{len(runs)}</n>".encode()]

    retries = SdkRetries(app, stream=log, capacity=2)
    scope = "AWS4-HMAC-SHA256 Credential=testing/20261127/us-east-1/iam/aws4_request, X"

    def call(body: bytes, invocation: str | None, attempt: int):
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/",
            "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": scope,
            "HTTP_AMZ_SDK_REQUEST": f"attempt={attempt}; max=25",
            "wsgi.input": io.BytesIO(body),
        }
        if invocation:
            environ["HTTP_AMZ_SDK_INVOCATION_ID"] = invocation
        seen = []
        body = retries(environ, lambda status, headers, exc_info=None: seen.append(status))
        return seen[0], b"".join(body)

    detach = b"Action=DetachRolePolicy&RoleName=r&Version=2010-05-08"
    assert call(detach, "inv-1", 1) == ("200 OK", b"<n>1</n>")
    assert call(detach, "inv-1", 2) == ("200 OK", b"<n>1</n>")  # answered, not run again
    assert len(runs) == 1
    assert log.getvalue() == (
        "retried request: POST iam:DetachRolePolicy attempt 2: answered with attempt 1's 200 OK\n"
    )
    # A 5xx is retried on purpose: the retry runs.
    assert call(b"Action=fail", "inv-2", 1)[0].startswith("500")
    assert call(b"Action=fail", "inv-2", 2)[0].startswith("500")
    assert len(runs) == 3
    assert "retried request: POST iam:fail attempt 2\n" in log.getvalue()
    # Without an invocation id nothing is kept; the oldest answers make room for newer ones.
    call(detach, None, 1)
    call(detach, "inv-3", 1)
    call(detach, "inv-4", 1)
    assert len(runs) == 6
    assert call(detach, "inv-1", 2) == ("200 OK", b"<n>7</n>")


def test_a_retried_add_permission_is_answered_and_leaves_one_statement(aws, function_name):
    lam = aws("lambda")
    invocation = str(uuid.uuid4())
    attempts = iter((1, 2))

    def as_one_call(request, **_):
        request.headers["amz-sdk-invocation-id"] = invocation
        request.headers["amz-sdk-request"] = f"attempt={next(attempts)}; max=25"

    lam.meta.events.register("before-send.lambda.AddPermission", as_one_call)
    try:
        answers = [
            lam.add_permission(
                FunctionName=function_name,
                StatementId="retried",
                Action="lambda:InvokeFunction",
                Principal="apigateway.amazonaws.com",
            )["Statement"]
            for _ in range(2)
        ]
    finally:
        lam.meta.events.unregister("before-send.lambda.AddPermission", as_one_call)
    assert answers[0] == answers[1]
    statements = json.loads(lam.get_policy(FunctionName=function_name)["Policy"])["Statement"]
    assert [s["Sid"] for s in statements].count("retried") == 1


def test_a_functions_last_modified_moves_with_its_code_and_configuration(aws, function_name):
    lam = aws("lambda")

    def last_modified():
        return lam.get_function(FunctionName=function_name)["Configuration"]["LastModified"]

    created = last_modified()
    time.sleep(0.01)
    lam.update_function_configuration(
        FunctionName=function_name, Environment={"Variables": {"GREETING": "hi"}}
    )
    configured = last_modified()
    assert configured > created
    time.sleep(0.01)
    lam.update_function_code(
        FunctionName=function_name, ZipFile=make_zip({"app.py": "def handler(e, c): pass\n"})
    )
    assert last_modified() > configured


def test_an_email_identitys_tags_are_listed_by_its_arn(aws):
    # What Terraform's provider reads back after creating the stack's sender identity.
    address = f"sender-{uuid.uuid4().hex[:8]}@example.com"
    ses = aws("sesv2")
    ses.create_email_identity(EmailIdentity=address, Tags=[{"Key": "project", "Value": "x"}])
    arn = f"arn:aws:ses:{REGION}:123456789012:identity/{address}"
    assert ses.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "project", "Value": "x"}]


def test_a_queues_redrive_policy_comes_back_compact_as_sqs_writes_it(aws):
    # What Terraform compares with the stack's own (compact) document after a deploy.
    sqs = aws("sqs")
    suffix = uuid.uuid4().hex[:8]
    dead = sqs.create_queue(QueueName=f"dlq-{suffix}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 3}, separators=(",", ":"))
    queue = sqs.create_queue(QueueName=f"q-{suffix}", Attributes={"RedrivePolicy": policy})
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue["QueueUrl"], AttributeNames=["RedrivePolicy"]
    )["Attributes"]
    assert attributes["RedrivePolicy"] == policy
    # A queue without one still has none.
    assert (
        "RedrivePolicy"
        not in sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["All"])["Attributes"]
    )


def test_a_cancelled_transaction_leaves_the_stream_an_iterator_reads_as_it_was(aws):
    # What the stream pollers (localcloud.triggers) hold on to: a shard iterator handed out
    # before the cancel keeps seeing the table's later writes, and none of the cancelled ones.
    dynamodb, streams = aws("dynamodb"), aws("dynamodbstreams")
    name = f"tx-{uuid.uuid4().hex[:8]}"
    arn = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    dynamodb.put_item(TableName=name, Item={"id": {"S": "before"}})
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": name, "Item": {"id": {"S": "cancelled"}}}},
                {
                    "ConditionCheck": {
                        "TableName": name,
                        "Key": {"id": {"S": "before"}},
                        "ConditionExpression": "attribute_not_exists(id)",
                    }
                },
            ]
        )
    dynamodb.put_item(TableName=name, Item={"id": {"S": "after"}})
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in records] == ["before", "after"]
    assert "Item" not in dynamodb.get_item(TableName=name, Key={"id": {"S": "cancelled"}})


def test_lambdas_account_settings_are_answered_with_the_quota_reservations_leave(
    aws, function_name
):
    # moto 5.2.5 has no GetAccountSettings (a 404): moto_fixes answers it. The day moto has its
    # own, the fix steps aside and this says so.
    record.apply(book.patch("moto.awslambda.responses.LambdaResponse.get_account_settings"))
    assert LambdaResponse.get_account_settings is moto_fixes.get_account_settings
    client = aws("lambda")
    # Other tests' functions of the shared backend may hold reservations of their own: what this
    # one's 7 takes is read against what was unreserved before it.
    before = client.get_account_settings()["AccountLimit"]
    client.put_function_concurrency(FunctionName=function_name, ReservedConcurrentExecutions=7)
    try:
        limit = client.get_account_settings()["AccountLimit"]
    finally:
        client.delete_function_concurrency(FunctionName=function_name)
    assert (before["ConcurrentExecutions"], limit["ConcurrentExecutions"]) == (1000, 1000)
    assert before["UnreservedConcurrentExecutions"] - limit["UnreservedConcurrentExecutions"] == 7
