"""IAM enforced by the emulator: its principals, and the resources its calls are checked against.

moto checks a signed call against the caller's policies once ``INITIAL_NO_AUTH_ACTION_COUNT``
requests have been served unchecked (``localcloud.emulator.process`` sets it to 0: every call is
checked).
The caller is an IAM user by its access key, or a role's session by the key and session token
that STS handed out (its role's inline and attached policies count); the signature is verified
with the secret. What moto leaves out, this module adds:

- **Principals.** A fresh emulator knows no credentials, so nothing could call it.
  ``create_principals`` creates the account's administrator (``aws.ADMIN_CREDENTIALS``: the
  deploy, the tools, the tests, ``.localcloud/env``) and the identity the local gateway takes
  when it plays the Lambda service (``aws.LAMBDA_SERVICE_CREDENTIALS``: it may only assume
  roles), and the one its triggers take when they play EventBridge Scheduler
  (``aws.SCHEDULER_SERVICE_CREDENTIALS``).
- **Service principals in trust policies.** A statement naming ``Service: lambda.amazonaws.com``
  admits the gateway's Lambda identity (and ``scheduler.amazonaws.com`` the scheduler's), and
  nobody else, as AWS admits only the service.
- **Signatures of bodiless requests.** moto verifies a signature over the request's parsed
  parameters when its body is empty: of a GET to API Gateway, that is its headers, and the
  signature never matches. Here a request without a body is verified as one.
- **Judgement.** Every checked call is judged by ``localcloud.emulator.iam_enforcement``: its
  resources resolved to ARNs, the checks it implies, the caller's policies within its permissions
  boundary, AWS's evaluation logic. A JSON-protocol service's refusals of the caller's
  credentials or signature are in that service's JSON shape (moto's are XML, which their clients
  cannot read).
- **SES** names the resource of a send: the sender's email identity (v1 and v2).

The replacements are put in moto's classes by the patch book (``localcloud.emulator.patches``).
"""

# This module extends moto's access control where moto has no hooks: its members are moto's own.
# pylint: disable=protected-access
from __future__ import annotations

import json
from collections.abc import Callable

from moto.core.exceptions import JsonRESTError
from moto.iam.access_control import IAMRequest
from moto.iam.models import iam_backends
from moto.utilities.utils import get_partition

from localcloud.base import aws
from localcloud.emulator import iam_enforcement

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


class _JsonRequest(IAMRequest):
    """moto's check of a call, refused in the JSON shape AWS's JSON-protocol services answer
    with (moto's own is XML, which their clients cannot read)."""

    def _raise_invalid_access_key(self, _: str) -> None:
        raise _json_error(
            "UnrecognizedClientException", "The security token included in the request is invalid."
        )

    def _raise_signature_does_not_match(self) -> None:
        raise _json_error(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided.",
        )


def _json_error(code: str, message: str) -> JsonRESTError:
    """The error a JSON-protocol service (DynamoDB, KMS) answers with: a 400 naming ``code``."""
    error = JsonRESTError(code, message)
    error.code = 400
    return error


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


def sender_identity(response) -> str:
    """The email identity SES checks a send against: the sender's address."""
    params = _params(response)
    sender = params.get("FromEmailAddress") or params.get("Source")
    if not sender:
        return "*"
    address = sender.rpartition("<")[2].rstrip(">").strip()
    return _arn(response, "ses", f"identity/{address}")


def json_authorization() -> Callable:
    """moto's ``_authenticate_and_authorize_normal_action`` for a JSON-protocol service: its
    refusals of the caller's credentials or signature in the service's JSON shape."""
    return _authorized_by(_JsonRequest)


def _authorized_by(request_class: type) -> Callable:
    def authorize(self, resource: str = "*") -> None:
        self._authenticate_and_authorize_action(request_class, resource)

    return authorize


def bodiless_as_sent(original: Callable) -> Callable:
    """moto's ``IAMRequestBase._create_aws_request`` (``original``): a request without a body
    is verified as one."""

    def create_aws_request(self):
        request = original(self)
        if not self._body and self._headers.get("Content-Length", "0") in ("", "0"):
            request.data = b""
        return request

    return create_aws_request


def create_principals(account_id: str = ACCOUNT_ID) -> None:
    """The administrator and the Lambda service identity, with their fixed access keys, and
    the service principals they stand for in trust policies (idempotent)."""
    iam_enforcement.SERVICE_PRINCIPALS.update(SERVICE_PRINCIPALS)
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
