"""IAM enforced by the emulator: its principals, and the resources its calls are checked against.

moto checks a signed call against the caller's policies once ``INITIAL_NO_AUTH_ACTION_COUNT``
requests have been served unchecked (``localcloud.emulator.process`` sets it to 0: every call is
checked).
The caller is an IAM user by its access key, or a role's session by the key and session token
that STS handed out (its role's inline and attached policies count); the signature is verified
with the secret. What moto leaves out, this module adds:

- **Principals.** A fresh emulator knows no credentials, so nothing could call it. ``install``
  creates the account's administrator (``aws.ADMIN_CREDENTIALS``: the deploy, the tools, the
  tests, ``.localcloud/env``) and the identity the local gateway takes when it plays the Lambda
  service (``aws.LAMBDA_SERVICE_CREDENTIALS``: it may only assume roles), and the one its
  triggers take when they play EventBridge Scheduler (``aws.SCHEDULER_SERVICE_CREDENTIALS``).
- **Service principals in trust policies.** moto compares a trust policy's principal with
  ``Principal.AWS`` only (and fails on a policy that has none, as every Lambda role's). Here a
  statement naming ``Service: lambda.amazonaws.com`` admits the gateway's Lambda identity (and
  ``scheduler.amazonaws.com`` the scheduler's), and nobody else, as AWS admits only the service.
- **Signatures of bodiless requests.** moto verifies a signature over the request's parsed
  parameters when its body is empty: of a GET to API Gateway, that is its headers, and the
  signature never matches. Here a request without a body is verified as one.
- **Resources.** moto checks most calls against ``*``, so a policy scoped to an ARN denies
  them. DynamoDB and KMS calls are checked against what AWS checks: every table (or index) a call
  names, with the action AWS requires for each part (a transaction's Put is ``PutItem`` on its
  table), and the key a KMS call names (or that its ciphertext names). A refusal is the
  service's ``AccessDeniedException``, naming the action and the resource, as AWS says it.
  The events' services name their one resource the way moto's SQS does its queue's
  (``_determine_resource``): EventBridge the bus an event is put on, SNS the topic, SES (v1 and
  v2) the sender's email identity, so a role allowed them on those ARNs only may call them.
"""

# This module extends moto's access control where moto has no hooks: its members are moto's own.
# pylint: disable=protected-access
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator

from moto.core.exceptions import JsonRESTError
from moto.dynamodb.responses import DynamoHandler
from moto.events.responses import EventsHandler
from moto.iam.access_control import IAMPolicyStatement, IAMRequest, IAMRequestBase
from moto.iam.models import iam_backends
from moto.kms.models import kms_backends
from moto.kms.responses import KmsResponse
from moto.ses.responses import EmailResponse
from moto.sesv2.responses import SESV2Response
from moto.sns.responses import SNSResponse
from moto.utilities.utils import get_partition

from localcloud.base import aws

ACCOUNT_ID = "123456789012"
"""moto's default account: the one every local deploy lands in."""
ADMINISTRATOR = "localcloud-administrator"
LAMBDA_SERVICE = "localcloud-lambda-service"
SCHEDULER_SERVICE = "localcloud-scheduler-service"
SERVICE_PRINCIPALS = {
    LAMBDA_SERVICE: "lambda.amazonaws.com",
    SCHEDULER_SERVICE: "scheduler.amazonaws.com",
}
"""The emulator's users that stand for an AWS service principal in trust policies."""
PRINCIPALS = (
    (ADMINISTRATOR, aws.ADMIN_CREDENTIALS, {"Effect": "Allow", "Action": "*", "Resource": "*"}),
    (
        LAMBDA_SERVICE,
        aws.LAMBDA_SERVICE_CREDENTIALS,
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"},
    ),
    (
        SCHEDULER_SERVICE,
        aws.SCHEDULER_SERVICE_CREDENTIALS,
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"},
    ),
)
TRANSACT_WRITE = {
    "ConditionCheck": "ConditionCheckItem",
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
}
"""The action a TransactWriteItems part needs on its table (there is no TransactWriteItems
action in IAM)."""
KMS_KEY_ID_BYTES = 36
"""moto's ciphertext starts with the id of the key that made it."""

Needs = Iterator[tuple[str, str]]
"""(action, resource ARN) pairs one call needs, every one allowed."""


class ArnScope:  # pylint: disable=too-few-public-methods
    """ARNs in the partition, region and account of one request."""

    def __init__(self, partition: str, region: str, account_id: str):
        self.partition, self.region, self.account_id = partition, region, account_id

    def arn(self, service: str, resource: str) -> str:
        """``resource`` of ``service`` in this region and account."""
        return f"arn:{self.partition}:{service}:{self.region}:{self.account_id}:{resource}"


def dynamodb_needs(action: str, params: dict, scope: ArnScope) -> Needs:
    """What a DynamoDB call needs: its action on each table or index it names."""

    def table(name: str) -> str:
        return name if name.startswith("arn:") else scope.arn("dynamodb", f"table/{name}")

    if action in ("BatchGetItem", "BatchWriteItem"):
        for name in params.get("RequestItems") or {}:
            yield action, table(name)
    elif action == "TransactGetItems":
        for part in params.get("TransactItems") or []:
            yield "GetItem", table(part["Get"]["TableName"])
    elif action == "TransactWriteItems":
        for part in params.get("TransactItems") or []:
            for kind, request in part.items():
                yield TRANSACT_WRITE[kind], table(request["TableName"])
    elif params.get("TableName"):
        resource = table(params["TableName"])
        if params.get("IndexName") and action in ("Query", "Scan"):
            resource = f"{resource}/index/{params['IndexName']}"
        yield action, resource
    else:
        named = params.get("ResourceArn") or params.get("TableArn") or params.get("StreamArn")
        yield action, named or "*"


def kms_needs(action: str, params: dict, scope: ArnScope) -> Needs:
    """What a KMS call needs: its action on the key it names, or whose ciphertext it hands in."""
    key = params.get("KeyId") or params.get("SourceKeyId")
    if not key and params.get("CiphertextBlob"):
        try:
            head = base64.b64decode(params["CiphertextBlob"])[:KMS_KEY_ID_BYTES]
            key = head.decode("ascii")
        except (binascii.Error, ValueError):
            key = None
    if not key:
        yield action, "*"
        return
    if "alias/" in key:
        alias = key[key.index("alias/") :]
        backend = kms_backends[scope.account_id][scope.region]
        key = backend.get_key_id_from_alias(alias) or key
    yield action, key if key.startswith("arn:") else scope.arn("kms", f"key/{key}")


class _JsonRequest(IAMRequest):
    """moto's check of a call, refused in the JSON shape AWS's JSON-protocol services answer
    with (moto's own is XML, which their clients cannot read)."""

    _resource = "*"

    def check_action_permitted(self, resource: str) -> None:
        self._resource = resource
        super().check_action_permitted(resource)

    def _raise_access_denied(self) -> None:
        raise _json_error(
            "AccessDeniedException",
            f"User: {self._access_key.arn} is not authorized to perform: {self._action} on "
            f"resource: {self._resource} because no identity-based policy allows the "
            f"{self._action} action",
        )

    def _raise_invalid_access_key(self, _: str) -> None:
        raise _json_error(
            "UnrecognizedClientException", "The security token included in the request is invalid."
        )

    def _raise_signature_does_not_match(self) -> None:
        raise _json_error(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided.",
        )


class _ResolvedRequest(_JsonRequest):
    """moto's check of a call, against each (action, resource) it needs instead of one ``*``."""

    needs: Callable[[str, dict, ArnScope], Needs]

    def check_action_permitted(self, resource: str) -> None:
        service, _, action = self._action.partition(":")
        try:
            params = json.loads(self._body or b"{}")
        except ValueError:
            params = {}
        scope = ArnScope(get_partition(self._region), self._region, self.account_id)
        for needed in dict.fromkeys(type(self).needs(action, params, scope)):
            self._action = f"{service}:{needed[0]}"
            super().check_action_permitted(needed[1])


def _json_error(code: str, message: str) -> JsonRESTError:
    """The error a JSON-protocol service (DynamoDB, KMS) answers with: a 400 naming ``code``."""
    error = JsonRESTError(code, message)
    error.code = 400
    return error


class _DynamoDBRequest(_ResolvedRequest):
    needs = staticmethod(dynamodb_needs)


class _KmsRequest(_ResolvedRequest):
    needs = staticmethod(kms_needs)


def _params(response) -> dict:
    """A call's parameters: its JSON body, or its query string's first values."""
    try:
        found = json.loads(response.body or "{}")
    except (ValueError, TypeError):
        found = None
    if isinstance(found, dict) and found:
        return found
    return {key: values[0] for key, values in (response.querystring or {}).items() if values}


def _arn(response, service: str, resource: str) -> str:
    partition = get_partition(response.region)
    return f"arn:{partition}:{service}:{response.region}:{response.current_account}:{resource}"


def _event_bus(response) -> str:
    """The bus a PutEvents call puts its (first) event on, or the one a call names."""
    params = _params(response)
    entries = params.get("Entries") or [{}]
    name = (entries[0] if isinstance(entries[0], dict) else {}).get("EventBusName")
    name = name or params.get("EventBusName") or "default"
    return name if name.startswith("arn:") else _arn(response, "events", f"event-bus/{name}")


def _topic(response) -> str:
    return _params(response).get("TopicArn") or "*"


def _sender_identity(response) -> str:
    """The email identity SES checks a send against: the sender's address."""
    params = _params(response)
    sender = params.get("FromEmailAddress") or params.get("Source")
    if not sender:
        return "*"
    address = sender.rpartition("<")[2].rstrip(">").strip()
    return _arn(response, "ses", f"identity/{address}")


def _authorized_by(request_class: type) -> Callable:
    def authorize(self, resource: str = "*") -> None:
        self._authenticate_and_authorize_action(request_class, resource)

    return authorize


def _check_principal(self, principal: str) -> bool:
    """Whether the statement's Principal names ``principal`` (an ARN), or the service it
    stands for."""
    expected = self._statement.get("Principal")
    if not expected:
        return True
    if expected == "*":
        return True
    names = expected.get("AWS") or []
    names = [names] if isinstance(names, str) else names
    if "*" in names or principal in names:
        return True
    services = expected.get("Service") or []
    services = [services] if isinstance(services, str) else services
    service = SERVICE_PRINCIPALS.get(principal.rpartition(":user/")[2])
    return service is not None and service in services


def _bodiless_as_sent(original: Callable) -> Callable:
    def create_aws_request(self):
        request = original(self)
        if not self._body and self._headers.get("Content-Length", "0") in ("", "0"):
            request.data = b""
        return request

    create_aws_request.localcloud_checked = True
    return create_aws_request


def create_principals(account_id: str = ACCOUNT_ID) -> None:
    """The administrator and the Lambda service identity, with their fixed access keys
    (idempotent)."""
    backend = iam_backends[account_id][get_partition(aws.DEFAULT_REGION)]
    for name, credentials, grant in PRINCIPALS:
        if name in backend.users:
            continue
        backend.create_user(aws.DEFAULT_REGION, name)
        backend.put_user_policy(
            name, "grant", json.dumps({"Version": "2012-10-17", "Statement": [grant]})
        )
        key = backend.create_access_key(name)
        backend.access_keys.pop(key.access_key_id)
        key.access_key_id = credentials["AWS_ACCESS_KEY_ID"]
        key.secret_access_key = credentials["AWS_SECRET_ACCESS_KEY"]
        backend.access_keys[key.access_key_id] = key


def install() -> None:
    """Resolve DynamoDB's and KMS's resources and service principals in moto's classes
    (idempotent)."""
    DynamoHandler._authenticate_and_authorize_normal_action = _authorized_by(_DynamoDBRequest)
    KmsResponse._authenticate_and_authorize_normal_action = _authorized_by(_KmsRequest)
    IAMPolicyStatement._check_principal = _check_principal
    EventsHandler._determine_resource = _event_bus
    EventsHandler._authenticate_and_authorize_normal_action = _authorized_by(_JsonRequest)
    SNSResponse._determine_resource = _topic
    EmailResponse._determine_resource = _sender_identity
    SESV2Response._determine_resource = _sender_identity
    SESV2Response._authenticate_and_authorize_normal_action = _authorized_by(_JsonRequest)
    current = IAMRequestBase._create_aws_request
    if not getattr(current, "localcloud_checked", False):
        IAMRequestBase._create_aws_request = _bodiless_as_sent(current)
