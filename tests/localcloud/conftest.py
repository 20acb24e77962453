"""Fixtures for the local cloud tests: a moto server in a child process, a REST API built by hand
in it (Lambda proxy routes, a MOCK preflight, a validator and model, gateway responses, a Cognito
user pool authorizer on some methods), tiny function zips made here, and the local gateway serving
that API on a free port."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from handlers.store.spec.cors import preflight_template
from localcloud import PROJECT_ROOT
from localcloud.base import aws
from localcloud.gateway.server import Gateway, serve
from stacks.base.iam import assume_role_policy, policy_document, statement

REGION = aws.DEFAULT_REGION
CORS_ORIGINS = ("http://localhost:3000", "https://shop.example.com")

APP_CODE = """
import base64, json, os, sys, time

def handler(event, context):
    path = event["path"]
    query = event.get("queryStringParameters") or {}
    if path.endswith("/sleep"):
        time.sleep(float(query.get("s", "1")))
        return {"statusCode": 200, "body": json.dumps({"pid": os.getpid()})}
    if path.endswith("/binary"):
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "application/octet-stream"},
            "body": base64.b64encode(b"\\x00\\x01\\xfe\\xff").decode(),
            "isBase64Encoded": True,
        }
    if path.endswith("/multi"):
        return {
            "statusCode": 201,
            "headers": {"X-Single": "one", "Set-Cookie": "c=3"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": "",
        }
    if path.endswith("/malformed"):
        return {"statusCode": 200, "body": {"not": "a string"}}
    if path.endswith("/line-break"):
        return {"statusCode": 200, "headers": {"X-Split": "a\\r\\nX-Injected: 1"}, "body": ""}
    if path.endswith("/raise"):
        raise ValueError("boom")
    if path.endswith("/aws"):
        import boto3
        functions = boto3.client("lambda").list_functions()["Functions"]
        names = sorted(f["FunctionName"] for f in functions)
        caller = boto3.client("sts").get_caller_identity()["Arn"]
        body = {"functions": names, "caller": caller, "boto3": boto3.__version__}
        return {"statusCode": 200, "body": json.dumps(body)}
    if path.endswith("/not-granted"):
        import boto3
        boto3.client("lambda").get_function(FunctionName="app")
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({
            "event": event,
            "context": {
                "aws_request_id": context.aws_request_id,
                "function_name": context.function_name,
                "memory_limit_in_mb": context.memory_limit_in_mb,
                "invoked_function_arn": context.invoked_function_arn,
                "remaining_ms": context.get_remaining_time_in_millis(),
            },
            "env": {k: os.environ.get(k) for k in (
                "GREETING", "AWS_ENDPOINT_URL", "AWS_LAMBDA_FUNCTION_NAME", "AWS_REGION",
                "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "LAMBDA_TASK_ROOT", "_X_AMZN_TRACE_ID",
            )},
            "sys_path_0": sys.path[0],
            "python": "%d.%d" % sys.version_info[:2],
            "executable": sys.executable,
            "pid": os.getpid(),
        }),
    }
"""


def make_zip(files: dict[str, str]) -> bytes:
    """A deployment package holding ``files``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def clients(endpoint: str):
    """apigateway, lambda and iam clients of the emulator."""
    session = aws.session(REGION)
    return tuple(session.client(s, endpoint_url=endpoint) for s in ("apigateway", "lambda", "iam"))


def cognito(endpoint: str):
    """A cognito-idp client of the emulator."""
    return aws.session(REGION).client("cognito-idp", endpoint_url=endpoint)


@dataclass
class UserPool:
    """A user pool in the emulator and one of its app clients."""

    id: str
    arn: str
    client_id: str


def user_pool(idp, name: str, groups=(), **settings) -> UserPool:
    """A pool whose users sign in with their email (and ``settings``), an app client, and
    ``groups``."""
    pool = idp.create_user_pool(PoolName=name, UsernameAttributes=["email"], **settings)["UserPool"]
    client = idp.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName=f"{name}-web",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    for group in groups:
        idp.create_group(UserPoolId=pool["Id"], GroupName=group)
    return UserPool(pool["Id"], pool["Arn"], client)


def sign_in(idp, pool: UserPool, email: str, groups=(), client_id: str | None = None) -> dict:
    """Create ``email`` in ``pool`` (in ``groups``) and sign in: the AuthenticationResult."""
    password = "Local-Passw0rd!"
    idp.admin_create_user(UserPoolId=pool.id, Username=email, MessageAction="SUPPRESS")
    idp.admin_set_user_password(
        UserPoolId=pool.id, Username=email, Password=password, Permanent=True
    )
    for group in groups:
        idp.admin_add_user_to_group(UserPoolId=pool.id, Username=email, GroupName=group)
    return idp.admin_initiate_auth(
        UserPoolId=pool.id,
        ClientId=client_id or pool.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )["AuthenticationResult"]


@dataclass
class HandBuiltApi:
    """The hand-built API and what the tests need to know about it."""

    api_id: str
    code_dir: Path
    functions: dict[str, str] = field(default_factory=dict)
    pool: UserPool | None = None
    """The pool of the ``cognito`` and ``pinned`` authorizers (groups admins, editors)."""
    second_client_id: str = ""
    """Another app client of ``pool`` (the ``pinned`` authorizer admits only the first)."""
    other_pool: UserPool | None = None
    """A pool that no authorizer names."""


def integrate(apigw, api_id, resource_id, verb, function_arn, **method):
    """A method on a resource with a Lambda proxy integration to ``function_arn``
    (``authorizationType`` NONE unless given)."""
    apigw.put_method(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod=verb,
        **{"authorizationType": "NONE", **method},
    )
    apigw.put_integration(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod=verb,
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
    )


class RestApi:
    """A REST API being built in the emulator, a resource and a method at a time."""

    def __init__(self, apigw, name: str):
        self.apigw = apigw
        self.id = apigw.create_rest_api(name=name)["id"]
        # moto 5 drops binaryMediaTypes on create and mis-reads AWS's "add" patch; "replace" works.
        apigw.update_rest_api(
            restApiId=self.id,
            patchOperations=[
                {"op": "replace", "path": "/binaryMediaTypes", "value": "application/octet-stream"}
            ],
        )
        self.resources = {"": apigw.get_resources(restApiId=self.id)["items"][0]["id"]}

    def resource(self, path: str) -> str:
        """The id of the resource at ``path`` (``/items/{itemId}``), created with its parents
        the first time."""
        if path not in self.resources:
            parent, _, part = path.rpartition("/")
            self.resources[path] = self.apigw.create_resource(
                restApiId=self.id, parentId=self.resource(parent), pathPart=part
            )["id"]
        return self.resources[path]

    def integrate(self, path: str, verb: str, function_arn: str, **method) -> None:
        """A Lambda proxy method at ``path`` (see ``integrate``)."""
        integrate(self.apigw, self.id, self.resource(path), verb, function_arn, **method)

    def preflight(self, path: str, request_template: str, *, mapped, template, declared) -> None:
        """An OPTIONS method at ``path`` answered by a MOCK integration with one 204
        integration response."""
        method = {"restApiId": self.id, "resourceId": self.resource(path), "httpMethod": "OPTIONS"}
        self.apigw.put_method(**method, authorizationType="NONE")
        self.apigw.put_integration(
            **method, type="MOCK", requestTemplates={"application/json": request_template}
        )
        self.apigw.put_method_response(**method, statusCode="204", responseParameters=declared)
        self.apigw.put_integration_response(
            **method,
            statusCode="204",
            responseParameters=mapped,
            responseTemplates={"application/json": template},
        )


def _lambda_role(iam) -> str:
    """A role the functions can be created with, allowed to list functions (only)."""
    role = iam.create_role(
        RoleName="fn-role", AssumeRolePolicyDocument=assume_role_policy("lambda.amazonaws.com")
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="fn-role",
        PolicyName="list-functions",
        PolicyDocument=policy_document(statement("lambda:ListFunctions", "*")),
    )
    return role


def _functions(lam, role: str, code_dir: Path) -> dict[str, str]:
    """The ARNs of ``app`` (its package in ``code_dir``), ``slow`` (1 s timeout, reserved
    concurrency 1) and ``stale`` (deployed from a package no longer in ``code_dir``)."""
    app_zip = make_zip({"app.py": APP_CODE})
    (code_dir / "app.zip").write_bytes(app_zip)
    functions = {}

    def function(name, package, timeout=5, reserved=None):
        functions[name] = lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": package},
            Timeout=timeout,
            MemorySize=256,
            Environment={"Variables": {"GREETING": f"hello from {name}"}},
        )["FunctionArn"]
        if reserved is not None:
            lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserved)

    function("app", app_zip)
    function("slow", app_zip, timeout=1, reserved=1)
    function("stale", make_zip({"app.py": APP_CODE + "\n# an older version\n"}))
    return functions


def _new_item_validation(api: RestApi) -> dict:
    """A request validator of body and parameters, and the model NewItem: a method's request
    settings to validate its body as a NewItem (add the validator's ``requestValidatorId`` to
    validate parameters only)."""
    validator = api.apigw.create_request_validator(
        restApiId=api.id,
        name="body-and-params",
        validateRequestBody=True,
        validateRequestParameters=True,
    )["id"]
    schema = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string", "minLength": 1}},
        "additionalProperties": False,
    }
    api.apigw.create_model(
        restApiId=api.id, name="NewItem", contentType="application/json", schema=json.dumps(schema)
    )
    return {"requestValidatorId": validator, "requestModels": {"application/json": "NewItem"}}


def _public_routes(api: RestApi, functions: dict[str, str], new_item: dict) -> None:
    """/items (POST validated as a NewItem, GET with a required query parameter),
    /items/{itemId}, the greedy /{proxy+}, /slow/sleep and /stale."""
    app = functions["app"]
    api.integrate("/items", "POST", app, **new_item)
    api.integrate(
        "/items",
        "GET",
        app,
        requestValidatorId=new_item["requestValidatorId"],
        requestParameters={"method.request.querystring.category": True},
    )
    api.integrate("/items/{itemId}", "GET", app)
    api.integrate("/{proxy+}", "ANY", app)
    api.integrate("/slow/sleep", "GET", functions["slow"])
    api.integrate("/stale", "GET", functions["stale"])


def _signed_in_routes(api: RestApi, idp, app: str, new_item: dict) -> dict:
    """A Cognito user pool authorizer, as the stack's, on /private; one that admits only the
    pool's first app client (an identity validation expression) on /pinned; AWS_IAM on /iam.
    The pools, for ``HandBuiltApi``."""
    pool = user_pool(idp, "hand-built-users", groups=("admins", "editors"))
    second_client = idp.create_user_pool_client(UserPoolId=pool.id, ClientName="second")[
        "UserPoolClient"
    ]["ClientId"]
    other_pool = user_pool(idp, "other-users")
    authorizer, pinned_authorizer = (
        api.apigw.create_authorizer(
            restApiId=api.id,
            name=name,
            type="COGNITO_USER_POOLS",
            providerARNs=[pool.arn],
            identitySource="method.request.header.Authorization",
        )["id"]
        for name in ("cognito", "pinned")
    )
    # moto 5 drops identityValidationExpression on create (a typo in its argument name), but
    # takes it as an update.
    api.apigw.update_authorizer(
        restApiId=api.id,
        authorizerId=pinned_authorizer,
        patchOperations=[
            {"op": "replace", "path": "/identityValidationExpression", "value": pool.client_id}
        ],
    )
    signed_in = {"authorizationType": "COGNITO_USER_POOLS", "authorizerId": authorizer}
    api.integrate("/private", "GET", app, **signed_in)
    api.integrate("/private", "POST", app, **new_item, **signed_in)
    pinned = {"authorizationType": "COGNITO_USER_POOLS", "authorizerId": pinned_authorizer}
    api.integrate("/pinned", "GET", app, **pinned)
    api.integrate("/iam", "GET", app, authorizationType="AWS_IAM")
    return {"pool": pool, "second_client_id": second_client, "other_pool": other_pool}


def _preflights(api: RestApi) -> None:
    """CORS preflights: MOCK integrations answered from their integration response; on /cors,
    one whose template gives each of two origins its own (the stack's, stacks/store/api.py), its
    request template Velocity too."""
    cors = {
        "method.response.header.Access-Control-Allow-Origin": "'*'",
        "method.response.header.Access-Control-Allow-Methods": "'GET,POST,OPTIONS'",
        "method.response.header.Access-Control-Allow-Headers": "'Content-Type,Idempotency-Key'",
    }
    api.preflight(
        "/items",
        '{"statusCode": 200}',
        mapped=cors,
        template="",
        declared=dict.fromkeys(cors, True),
    )
    api.preflight(
        "/cors",
        '#if(true){"statusCode": 204}#end',
        mapped={
            "method.response.header.Vary": "'Origin'",
            "method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS'",
        },
        template=preflight_template(CORS_ORIGINS),
        declared={**dict.fromkeys(cors, True), "method.response.header.Vary": True},
    )


def _gateway_responses(api: RestApi) -> None:
    """DEFAULT_4XX and DEFAULT_5XX with a CORS header; UNAUTHORIZED with its own body and
    DEFAULT_4XX's headers."""
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        api.apigw.put_gateway_response(
            restApiId=api.id,
            responseType=kind,
            responseParameters={"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
            responseTemplates={"application/json": '{"message":$context.error.messageString}'},
        )
    api.apigw.put_gateway_response(
        restApiId=api.id,
        responseType="UNAUTHORIZED",
        statusCode="401",
        responseTemplates={
            "application/json": (
                '{"error":{"code":"UNAUTHORIZED","message":$context.error.messageString}}'
            )
        },
    )


@pytest.fixture(scope="session")
def hand_built_api(emulator, tmp_path_factory) -> HandBuiltApi:
    """A REST API like the stack's, built directly with boto3 in the emulator."""
    apigw, lam, iam = clients(emulator.url)
    code_dir = tmp_path_factory.mktemp("code")
    functions = _functions(lam, _lambda_role(iam), code_dir)
    api = RestApi(apigw, "hand-built")
    new_item = _new_item_validation(api)
    _public_routes(api, functions, new_item)
    pools = _signed_in_routes(api, cognito(emulator.url), functions["app"], new_item)
    _preflights(api)
    _gateway_responses(api)
    deployment = apigw.create_deployment(restApiId=api.id)["id"]
    apigw.create_stage(
        restApiId=api.id,
        stageName="local",
        deploymentId=deployment,
        variables={"flavour": "vanilla"},
    )
    return HandBuiltApi(api_id=api.id, code_dir=code_dir, functions=functions, **pools)


class LogCapture(io.StringIO):
    """The gateway's log stream, readable as records."""

    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()

    def records(self) -> list[dict]:
        """Every JSON line written so far."""
        with self.lock:
            return [json.loads(line) for line in self.getvalue().splitlines() if line.strip()]


@dataclass
class Served:
    """A running gateway and where it answers."""

    gateway: Gateway
    base: str
    port: int
    log: LogCapture


OPENAPI_DOCUMENT = PROJECT_ROOT / "openapi.json"


@contextlib.contextmanager
def command_serving(module: str, *args: str):
    """``python -m <module> <args>``, a server, running: the process and the first line it
    printed (its banner). Killed afterwards if the test left it running."""
    process = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        yield process, process.stdout.readline()
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()


@pytest.fixture(scope="module")
def served(emulator, hand_built_api, tmp_path_factory):
    """The local gateway serving the hand-built API on a free port."""
    log = LogCapture()
    gateway = Gateway(
        emulator.url,
        region=REGION,
        api_id=hand_built_api.api_id,
        code_dirs=[hand_built_api.code_dir],
        extract_dir=tmp_path_factory.mktemp("functions"),
        log_stream=log,
        poll_interval=0,
        openapi_document=OPENAPI_DOCUMENT,
    )
    server = serve(gateway, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Served(gateway, f"http://127.0.0.1:{server.port}/local", server.port, log)
    server.shutdown()
    server.server_close()
    gateway.close()
