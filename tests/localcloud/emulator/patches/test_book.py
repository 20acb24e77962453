"""The patch book against the moto and botocore installed: each target still has the shape its
patch was written for, each fix still mends a defect upstream still has, no patch of moto or
botocore lives outside the book, and the versions are those the book names."""

from __future__ import annotations

import ast
import inspect
import io
import json
import zipfile
from importlib import metadata
from pathlib import Path

import boto3
import moto
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.awslambda.models import lambda_backends
from moto.core import set_initial_no_auth_action_count
from moto.core.exceptions import AccessDeniedError, SignatureDoesNotMatchError
from moto.dynamodb.exceptions import TransactionCanceledException
from moto.dynamodb.models import dynamodb_backends
from moto.iam.access_control import IAMRequest

from localcloud.emulator.patches import book, record

ROOT = Path(__file__).resolve().parents[4]
JSON_PROTOCOL = {
    "dynamodb.responses.DynamoHandler": ("dynamodb", "list_tables"),
    "kms.responses.KmsResponse": ("kms", "list_keys"),
    "events.responses.EventsHandler": ("events", "list_rules"),
    "sesv2.responses.SESV2Response": ("sesv2", "list_email_identities"),
}
"""The JSON-protocol services whose refusals of a caller are fixed, and a call of each's."""
# Hand-written from moto 5.2.5's and botocore's sources: the parameters each patch relies on.
SHAPES = {
    "moto.awslambda.models.LambdaBackend.add_permission": "self function_name qualifier raw",
    "moto.apigateway.models.APIGatewayBackend.create_resource": (
        "self function_id parent_resource_id path_part"
    ),
    "moto.awslambda.models.LambdaFunction.update_configuration": "self config_updates",
    "moto.awslambda.models.LambdaFunction.update_function_code": "self updated_spec",
    "moto.awslambda.models.LambdaBackend.create_event_source_mapping": "self spec",
    "moto.sesv2.models.SESV2Backend.create_email_identity": (
        "self email_identity tags dkim_signing_attributes configuration_set_name"
    ),
    "moto.sqs.models.Queue.attributes": "self",
    "moto.dynamodb.models.DynamoDBBackend.transact_write_items": "self transact_items",
    "moto.awslambda.responses.LambdaResponse.get_account_settings": None,
    "moto.sns.models.SNSBackend.publish": (
        "self message arn phone_number subject message_attributes group_id deduplication_id "
        "message_structure"
    ),
    "moto.s3.models.FakeBucket.get_permission": "self action resource",
    "moto.events.models.Rule.send_to_targets": "self original_event transform_input",
    "moto.sts.responses.TokenResponse.assume_role_with_web_identity": "self",
    "moto.core.authorization.ActionAuthenticatorMixin._authenticate_and_authorize_action": (
        "self iam_request_cls resource"
    ),
    "moto.iam.access_control.IAMRequestBase.check_action_permitted": "self resource",
    "moto.awslambda.models.EventSourceMapping.__init__": "self spec",
    **{
        f"moto.{owner}._authenticate_and_authorize_normal_action": "self resource"
        for owner in JSON_PROTOCOL
    },
    "moto.ses.responses.EmailResponse._determine_resource": None,
    "moto.sesv2.responses.SESV2Response._determine_resource": None,
    "moto.iam.access_control.IAMRequestBase._create_aws_request": "self",
    "moto.ses.models.SESBackend.send_email": "self source subject body destinations",
    "moto.ses.models.SESBackend.send_raw_email": "self source destinations raw_data",
    "moto.ses.models.SESBackend.send_templated_email": (
        "self source template template_data destinations"
    ),
    "moto.sqs.models.unix_time": "dt",
    "moto.sqs.models.unix_time_millis": "dt",
    "botocore.httpsession.URLLib3Session.send": "self request",
    "botocore.endpoint.Endpoint.make_request": "self operation_model request_dict",
    "moto.core.botocore_stubber.BotocoreStubber.process_request": "self request",
}
"""None: upstream has no such member (the patch adds it)."""


def test_every_patch_has_its_shape_written_down():
    """Each record of the book has its expected parameters here."""
    assert sorted(p.target for p in book.BOOK) == sorted(SHAPES)


@pytest.mark.parametrize("patch", book.BOOK, ids=lambda p: p.target)
def test_the_patched_member_has_the_shape_the_patch_was_written_for(patch):
    """Upstream's member takes the parameters the patch relies on (or is still missing)."""
    found = record.upstream(patch.target)
    if SHAPES[patch.target] is None:
        assert found is record.MISSING, f"upstream has {patch.target} now: drop the patch?"
        return
    function = found.fget if isinstance(found, property) else found
    assert list(inspect.signature(function).parameters) == SHAPES[patch.target].split()


def test_the_installed_versions_are_those_the_book_names():
    """moto and the runtime's botocore are the versions the book names."""
    assert book.MOTO == f"moto {moto.__version__}" == "moto 5.2.5"
    runtime = ROOT / ".venv-lambda-3.12" / "lib" / "python3.12" / "site-packages"
    found = [d.name for d in runtime.glob("botocore-*.dist-info")]
    assert found == [f"{book.BOTOCORE_RUNTIME.replace(' ', '-')}.dist-info"]
    assert metadata.version("moto") == "5.2.5"


def test_every_fix_says_how_it_is_tested_or_why_not():
    """A fix has a test of upstream's defect, or its record says why not."""
    fixes = [p for p in book.BOOK if p.kind == "fix"]
    assert all(p.kind in ("fix", "hook") for p in book.BOOK)
    assert {p.target for p in fixes if not p.untested} <= set(UPSTREAM_DEFECTS) | _ADDED
    assert all(p.untested for p in fixes if p.target not in set(UPSTREAM_DEFECTS) | _ADDED)


_ADDED = {p.target for p in book.BOOK if SHAPES[p.target] is None}
"""Members upstream lacks: their shape test is the test of the defect."""

ACCOUNT, REGION = "123456789012", "us-east-1"


def _sns_subject_with_a_line_break(publish):
    from moto.sns.models import sns_backends  # noqa: PLC0415  # pylint: disable=import-outside-toplevel

    backend = sns_backends[ACCOUNT][REGION]
    topic = backend.create_topic("book")
    return publish(backend, "message", topic.arn, subject="two\nlines")  # SNS: InvalidParameter


def _redrive_policy_with_spaces(attributes):
    from moto.sqs.models import sqs_backends  # noqa: PLC0415  # pylint: disable=import-outside-toplevel

    backend = sqs_backends[ACCOUNT][REGION]
    dlq = backend.create_queue("book-dlq")
    policy = json.dumps({"deadLetterTargetArn": dlq.queue_arn, "maxReceiveCount": 5})
    queue = backend.create_queue("book", RedrivePolicy=policy)
    return ", " in attributes.fget(queue)["RedrivePolicy"]  # SQS writes it compact


def _second_resource_of_one_path(create_resource):
    from moto.apigateway.models import apigateway_backends  # noqa: PLC0415  # pylint: disable=import-outside-toplevel

    backend = apigateway_backends[ACCOUNT][REGION]
    api = backend.create_rest_api("book", "")
    root = next(iter(api.resources))
    create_resource(backend, api.id, root, "items")
    create_resource(backend, api.id, root, "items")  # API Gateway: ConflictException
    return sum(r.path_part == "items" for r in api.resources.values()) == 2


def _identity_tags_elsewhere(create_email_identity):
    from moto.sesv2.models import sesv2_backends  # noqa: PLC0415  # pylint: disable=import-outside-toplevel

    backend = sesv2_backends[ACCOUNT][REGION]
    create_email_identity(backend, "a@example.com", [{"Key": "k", "Value": "v"}], None, None)
    arn = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/a@example.com"
    return backend.core_backend.tagger.list_tags_for_resource(arn)["Tags"] == []


def _plain_http_denies_the_administrator(get_permission):
    from tests.localcloud.emulator.test_s3_bucket_policy import bucket  # noqa: PLC0415  # pylint: disable=import-outside-toplevel

    resource = "arn:aws:s3:::acme-tf-state/ecommerce-dev/terraform.tfstate"
    return get_permission(bucket(), "s3:GetObject", resource).name == "DENIED"  # AWS: NEUTRAL


def _rule_sends_to_queues_unjudged(send_to_targets):
    return "_send_to_sqs_queue" in inspect.getsource(send_to_targets)  # no policy, no retry


def _any_token_is_taken(_):
    patch = book.patch("moto.sts.responses.TokenResponse.assume_role_with_web_identity")
    with record.turned_off(patch):
        answer = boto3.client("sts", region_name=REGION).assume_role_with_web_identity(
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/any",
            RoleSessionName="book",
            WebIdentityToken="not-a-token",  # STS: InvalidIdentityToken
        )
    return "AccessKeyId" in answer["Credentials"]


def _function(name: str):
    """A function named ``name`` in in-process moto; its backend."""
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("h.py", "def h(event, context):\n    return event\n")
    boto3.client("lambda", region_name=REGION).create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="h.h",
        Code={"ZipFile": code.getvalue()},
    )
    return lambda_backends[ACCOUNT][REGION]


def _second_statement_of_one_id(add_permission):
    backend = _function("book")
    raw = json.dumps(
        {"StatementId": "sns", "Action": "lambda:InvokeFunction", "Principal": "sns.amazonaws.com"}
    )
    add_permission(backend, "book", None, raw)
    add_permission(backend, "book", None, raw)  # Lambda: ResourceConflictException
    return [s["Sid"] for s in backend.get_function("book").policy.statements] == ["sns", "sns"]


def _last_modified_kept(change: dict):
    def defect(update):
        function = _function("book").get_function("book")
        created = function.last_modified
        update(function, change)  # Lambda: LastModified is the time of the last update
        return function.last_modified == created

    return defect


def _cancelled_write_streamed(transact_write_items):
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="book",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    backend = dynamodb_backends[ACCOUNT][REGION]
    shard = backend.get_table("book").stream_shard  # what a stream reader's iterator reads
    put = {"TableName": "book", "Item": {"id": {"S": "written"}}}
    check = {"TableName": "book", "Key": {"id": {"S": "absent"}}}
    check["ConditionExpression"] = "attribute_exists(id)"
    try:
        transact_write_items(backend, [{"Put": put}, {"ConditionCheck": check}])
    except TransactionCanceledException:
        return len(shard.items) == 1  # DynamoDB: a cancelled transaction writes no record
    return False


def _access_key(user: str, *statements: dict) -> dict:
    """A new IAM user's access key; its inline policy holds ``statements``."""
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName=user)
    policy = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    iam.put_user_policy(UserName=user, PolicyName="book", PolicyDocument=policy)
    return iam.create_access_key(UserName=user)["AccessKey"]


def _absent_condition_key_allows(check_action_permitted):
    condition = {"StringLike": {"aws:PrincipalTag/team": "ops"}}  # the user has no tags
    allow = {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*", "Condition": condition}
    key = _access_key("book", allow)["AccessKeyId"]
    scope = f"Credential={key}/20250101/{REGION}/dynamodb/aws4_request, SignedHeaders=host"
    headers = {"Authorization": f"AWS4-HMAC-SHA256 {scope}, Signature=unchecked"}
    request = IAMRequest(ACCOUNT, "POST", "/", {}, b"{}", headers, "GetItem")
    try:  # IAM: a condition's key absent from the request: the condition is false, no allow
        check_action_permitted(request, f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/book")
    except AccessDeniedError:
        return False
    return True


def _signed_get_refused(_):
    key = _access_key("book", {"Effect": "Allow", "Action": "apigateway:GET", "Resource": "*"})
    host, path = f"apigateway.{REGION}.amazonaws.com", "/restapis?limit=5"
    sent = AWSRequest("GET", f"https://{host}{path}", headers={"Host": host})
    credentials = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
    SigV4Auth(credentials, "apigateway", REGION).add_auth(sent)  # as any SDK signs a GET
    request = IAMRequest(
        ACCOUNT, "GET", path, {"limit": ["5"]}, b"", dict(sent.headers), "GetRestApis"
    )
    with record.turned_off(
        book.patch("moto.iam.access_control.IAMRequestBase._create_aws_request")
    ):
        try:
            request.check_signature()  # AWS: the signature over the empty body matches
        except SignatureDoesNotMatchError:
            return True
    return False


def _refused_in_xml(owner: str, service: str, call: str):
    @set_initial_no_auth_action_count(0)
    def defect(_):
        patch = book.patch(f"moto.{owner}._authenticate_and_authorize_normal_action")
        unknown = {"aws_access_key_id": "AKIAUNKNOWN000000000", "aws_secret_access_key": "x"}
        client = boto3.client(service, region_name=REGION, **unknown)
        with record.turned_off(patch):
            try:
                getattr(client, call)()
            except ClientError as refused:
                error = refused.response["Error"]
                # AWS: a JSON body whose code is UnrecognizedClientException (an unknown key)
                return (
                    error["Code"] != "UnrecognizedClientException" and "<?xml" in error["Message"]
                )
        return False

    return defect


UPSTREAM_DEFECTS = {
    "moto.sns.models.SNSBackend.publish": _sns_subject_with_a_line_break,
    "moto.sqs.models.Queue.attributes": _redrive_policy_with_spaces,
    "moto.apigateway.models.APIGatewayBackend.create_resource": _second_resource_of_one_path,
    "moto.sesv2.models.SESV2Backend.create_email_identity": _identity_tags_elsewhere,
    "moto.s3.models.FakeBucket.get_permission": _plain_http_denies_the_administrator,
    "moto.events.models.Rule.send_to_targets": _rule_sends_to_queues_unjudged,
    "moto.sts.responses.TokenResponse.assume_role_with_web_identity": _any_token_is_taken,
    "moto.awslambda.models.LambdaBackend.add_permission": _second_statement_of_one_id,
    "moto.awslambda.models.LambdaFunction.update_configuration": _last_modified_kept(
        {"Timeout": 10}
    ),
    "moto.awslambda.models.LambdaFunction.update_function_code": _last_modified_kept(
        {"ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}  # an empty zip archive
    ),
    "moto.dynamodb.models.DynamoDBBackend.transact_write_items": _cancelled_write_streamed,
    "moto.iam.access_control.IAMRequestBase.check_action_permitted": _absent_condition_key_allows,
    "moto.iam.access_control.IAMRequestBase._create_aws_request": _signed_get_refused,
    **{
        f"moto.{owner}._authenticate_and_authorize_normal_action": _refused_in_xml(owner, *call)
        for owner, call in JSON_PROTOCOL.items()
    },
}
"""A fix's target: what upstream's own member does that AWS does not (true: still so)."""


@pytest.mark.parametrize("target", sorted(UPSTREAM_DEFECTS))
def test_upstream_still_has_the_defect_the_fix_mends(target):
    """Upstream's own member still does what AWS does not (fails the day it is fixed)."""
    with mock_aws():
        assert UPSTREAM_DEFECTS[target](record.upstream(target)), f"{target}: fixed upstream?"


BOOK_DIR = ROOT / "localcloud" / "emulator" / "patches"
SCANNED = ("localcloud", "handlers", "tests", "bench", "scripts")


MOCK_PATCH = ("patch", "mock.patch", "unittest.mock.patch")


def _library_names(tree: ast.AST) -> set[str]:
    """The names a module binds to moto's or botocore's modules or members."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
            "moto",
            "botocore",
        ):
            # moto.settings is moto's configuration (INITIAL_NO_AUTH_ACTION_COUNT), not internals
            names |= {a.asname or a.name for a in node.names if a.name != "settings"}
        elif isinstance(node, ast.Import):
            names |= {
                (a.asname or a.name).split(".")[0]
                for a in node.names
                if a.name.split(".")[0] in ("moto", "botocore")
            }
        elif isinstance(node, ast.Assign) and _imports_library(ast.unparse(node.value)):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _imports_library(code: str) -> bool:
    """Whether ``code`` is ``importlib.import_module('moto...' or 'botocore...')``."""
    return "import_module('" in code and code.split("'")[1].split(".", maxsplit=1)[0] in (
        "moto",
        "botocore",
    )


def _root(node: ast.AST) -> str:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def _patches_in(path: Path) -> list[int]:
    """The lines of ``path`` that patch moto's or botocore's members."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names, found = _library_names(tree), []
    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):  # (an AugAssign counts, as moto's own request_count)
            targets = [
                e for t in node.targets for e in (t.elts if isinstance(t, ast.Tuple) else [t])
            ]
            targets = [t for t in targets if isinstance(t, ast.Attribute)]
        elif isinstance(node, ast.Call) and ast.unparse(node.func).endswith("setattr"):
            targets = node.args[-3:-2] or node.args[:1]
        elif isinstance(node, ast.Call) and ast.unparse(node.func) in MOCK_PATCH:
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and str(first.value).startswith(("moto", "boto")):
                found.append(node.lineno)
        found += [node.lineno for t in targets if _root(t) in names]
    return sorted(found)


def test_no_patch_of_moto_or_botocore_lives_outside_the_book():
    """No module but the book's sets a moto or botocore member."""
    sources = [p for part in SCANNED for p in (ROOT / part).rglob("*.py")]
    outside = [p for p in sources if BOOK_DIR not in p.parents]
    assert len(outside) > 100
    assert [f"{p.relative_to(ROOT)}:{line}" for p in outside for line in _patches_in(p)] == []


def test_the_scan_finds_a_patch_as_the_modules_made_them(tmp_path):
    """The scan catches each way a module patched moto before the book."""
    # What the modules did before the book: each must be caught.
    source = tmp_path / "patching.py"
    source.write_text(
        "from moto.s3.models import FakeBucket\n"
        "import importlib\n"
        "http = importlib.import_module('botocore.httpsession')\n"
        "FakeBucket.get_permission = None\n"
        "setattr(FakeBucket, 'x', 1)\n"
        "monkeypatch.setattr(FakeBucket, 'y', 2)\n"
        "http.URLLib3Session.send, other = None, None\n"
        "mock.patch('moto.s3.models.FakeBucket.get_permission')\n"
        "bucket = FakeBucket('b', '1', 'r')\n"
    )
    assert _patches_in(source) == [4, 5, 6, 7, 8]
