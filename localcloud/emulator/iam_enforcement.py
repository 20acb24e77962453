"""How the emulator judges each signed call: moto's access control (5.2.5) with its statement
evaluation replaced by ``localcloud.emulator.policy_evaluation``.

moto authenticates the caller (an IAM user by access key, or a role's session by key and session
token) and verifies the signature; then, instead of moto's ``IAMPolicy`` (which denies when a
condition does not match, knows StringEquals only and no NotResource nor boundary), every
(action, resource) the call needs (``localcloud.emulator.iam_resources``) and every check it
implies (``localcloud.emulator.iam_implied``) must be allowed by the caller's identity policies
(a user's inline, attached and groups' policies; a role's inline and attached ones) within the
caller's permissions boundary. A role's trust policy must also allow ``sts:AssumeRole`` for the
caller (a service identity of the emulator stands for its service principal). Each check goes
to the call log (``localcloud.emulator.call_log``).

Condition keys the emulator gives: ``aws:RequestedRegion``, ``aws:PrincipalArn``,
``aws:PrincipalAccount``, ``aws:CurrentTime``, ``aws:EpochTime``, the request's own
(``iam_implied.call_context``), ``aws:ResourceTag/<key>`` of KMS keys, EC2 resources, IAM roles,
Lambda functions, SQS queues and DynamoDB tables, ``kms:ResourceAliases`` of KMS keys. A refusal
names the action and resource, in the shape of the service's protocol.
"""

# This module's replacements of moto's access control's members (the patch book puts them in
# place) use moto's own members.
# pylint: disable=protected-access
from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from moto import settings
from moto.awslambda.models import make_event_source_mapping_arn
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import AccessDeniedError, JsonRESTError
from moto.core.parse import PROTOCOL_PARSERS
from moto.core.request import determine_request_protocol
from moto.core.utils import get_service_model
from moto.iam.access_control import AssumedRoleAccessKey, IAMRequestBase, S3IAMRequest
from moto.iam.models import Policy
from moto.utilities.utils import get_partition

from localcloud.emulator import call_log, iam_tags
from localcloud.emulator.iam_call import ArnScope, Call
from localcloud.emulator.iam_implied import Need, call_context, implied_checks
from localcloud.emulator.iam_resources import resources
from localcloud.emulator.policy_evaluation import Decision, allowed, evaluate, role_of_session

IAM_PREFIX = {"monitoring": "cloudwatch"}
"""Services whose IAM prefix is not the name they sign with."""
SERVICE_PRINCIPALS: dict[str, str] = {}
"""The emulator's users that stand for an AWS service principal (``moto_iam`` fills it)."""
UNSIGNED_STS = ("AssumeRoleWithWebIdentity",)
"""STS calls that carry no signature (moto 5.2.5 fails on them: no Authorization header)."""
_pending = threading.local()
"""The uuid a CreateEventSourceMapping being judged will give its mapping."""


@dataclass(frozen=True)
class Caller:
    """Who signed a call: its ARN, what its identity policies and boundary say."""

    arn: str
    identity: tuple[str, ...]
    boundary: tuple[str, ...] | None


def _document(policy: Any) -> str:
    """A policy's text, as moto hands it: a managed policy, an inline one, or its text."""
    if isinstance(policy, Policy):
        return next(v.document for v in policy.versions if v.is_default)
    if isinstance(policy, dict):
        return policy["policy_document"]
    return policy


def caller_of(request: IAMRequestBase) -> Caller:
    """The caller of ``request``, with its policies and (a role's or user's) boundary."""
    key = request._access_key
    identity = tuple(_document(p) for p in key.collect_policies())
    backend = key.backend
    if isinstance(key, AssumedRoleAccessKey):
        owner = backend.get_role(key._owner_role_name)
    else:
        owner = backend.get_user(key._owner_user_name)
    boundary_arn = getattr(owner, "permissions_boundary_arn", None)
    boundary = None
    if boundary_arn:
        boundary = (_document(backend.get_policy(boundary_arn)),)
    return Caller(key.arn, identity, boundary)


def _parameters(handler: Any) -> dict[str, Any]:
    """The call's parameters, parsed by moto's own protocol parsers (as moto 5.2.5's
    ``BaseResponse.parse_parameters`` does, without storing them on the handler)."""
    params = getattr(handler, "params", None)
    if getattr(handler, "automated_parameter_parsing", False) and isinstance(params, dict):
        return params
    if handler.service_name == "s3":
        return {}
    try:
        model = get_service_model(handler.boto3_service_name)
        operation = model.operation_model(handler._get_action())
        request = handler.normalized_request
        protocol = determine_request_protocol(model, request.content_type)
        parser = PROTOCOL_PARSERS[protocol](operation, map_type=handler.PROTOCOL_PARSER_MAP_TYPE)
        return dict(
            parser.parse(
                {
                    "method": request.method,
                    "values": request.values,
                    "headers": request.headers,
                    "body": request.data,
                    "url_path": request.path,
                    "url_params": handler.uri_match,
                }
            )
        )
    except Exception:  # pylint: disable=broad-exception-caught  # moto answers the bad request
        return {}


def call_of(request: IAMRequestBase, resource: str) -> Call:
    """The call ``request`` makes, with what the emulator's state adds to it."""
    handler = getattr(request, "localcloud_handler", None)
    params = _parameters(handler) if handler is not None else {}
    service, _, action = request._action.partition(":")
    call = Call(
        service=IAM_PREFIX.get(service, service),
        action=action,
        params=params,
        scope=ArnScope(get_partition(request._region), request._region, request.account_id),
        resource=resource,
        method=request._method,
        path=request._path,
    )
    iam_tags.add_state(call)
    if call.service == "lambda" and action == "CreateEventSourceMapping":
        call.extra["new_uuid"] = _pending.uuid = str(uuid.uuid4())
    return call


def _principal_context(caller: Caller, call: Call) -> dict[str, Any]:
    now = time.time()
    return {
        "aws:RequestedRegion": call.scope.region,
        # A role's session is known by its role's ARN, as AWS gives aws:PrincipalArn.
        "aws:PrincipalArn": role_of_session(caller.arn) or caller.arn,
        "aws:PrincipalAccount": call.scope.account_id,
        "aws:CurrentTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "aws:EpochTime": int(now),
    }


def _trusted(request: IAMRequestBase, caller: Caller, action: str, role_arn: str) -> bool:
    """Whether the role's trust policy lets the caller take it (moto 5.2.5 asks it for
    ``sts:AssumeRole`` on a role ARN only)."""
    if not request._is_assuming_role_operation(role_arn):
        return True
    role = request.backend.get_role_by_arn(role_arn)
    principal = SERVICE_PRINCIPALS.get(caller.arn.rpartition(":user/")[2], caller.arn)
    context = {
        "sts:RoleSessionName": (request._data.get("RoleSessionName") or [None])[0],
        "sts:ExternalId": (request._data.get("ExternalId") or [None])[0],
        "aws:PrincipalArn": caller.arn,
    }
    decision = evaluate([role.assume_role_policy_document], action, role_arn, context, principal)
    return decision is Decision.ALLOW


@lru_cache(maxsize=1024)
def _asks_about_resource(document: str) -> bool:
    """Whether a policy names a condition key of the resource (key names ignore case)."""
    text = document.lower()
    return "aws:resourcetag/" in text or "kms:resourcealiases" in text


def needs_of(call: Call) -> list[Need]:
    """Every (action, resource, condition keys) the call needs, its own first."""
    pairs = resources(call)
    return [(action, resource, {}) for action, resource in pairs] + implied_checks(call, pairs)


def check_action_permitted(self: IAMRequestBase, resource: str) -> None:
    """moto 5.2.5's ``IAMRequestBase.check_action_permitted``, judged as AWS judges it."""
    if self._action == "sts:GetCallerIdentity":  # allowed to everyone, as on AWS
        return
    caller, call = caller_of(self), call_of(self, resource)
    base = {**_principal_context(caller, call), **call_context(call)}
    documents = caller.identity + (caller.boundary or ())
    # The resource's tags and aliases are looked up only for policies that ask about them.
    asks = any(_asks_about_resource(d) for d in documents)
    for action, target, extra in needs_of(call):
        found = iam_tags.resource_context(call, target) if asks else {}
        context = {**base, **found, **extra}
        granted = allowed(caller.identity, caller.boundary, action, target, context)
        granted = granted and _trusted(self, caller, action, target)
        call_log.record(caller.arn, action, target, granted)
        if not granted:
            _deny(self, caller, action, target)


def _deny(request: IAMRequestBase, caller: Caller, action: str, resource: str) -> None:
    """The service's refusal, naming the action and the resource."""
    if isinstance(request, S3IAMRequest):
        request._raise_access_denied()
    message = (
        f"User: {caller.arn} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )
    handler = getattr(request, "localcloud_handler", None)
    protocol = ""
    if handler is not None:
        protocol = handler.determine_response_protocol(
            get_service_model(handler.boto3_service_name)
        )
    if protocol in ("json", "rest-json"):
        error = JsonRESTError("AccessDeniedException", message)
        error.code = 403 if protocol == "rest-json" else 400
        raise error
    raise AccessDeniedError(caller.arn, f"{action} on resource: {resource}")


def authenticate_and_authorize_action(self, iam_request_cls: type, resource: str = "*") -> None:
    """moto 5.2.5's ``ActionAuthenticatorMixin._authenticate_and_authorize_action``, the same
    but for handing the request's handler (its parsed call) to the check."""
    if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
        ActionAuthenticatorMixin.request_count += 1
        return
    if self.headers.get("X-Amz-Target") in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
        return
    if self.service_name == "sts" and self._get_action() in UNSIGNED_STS:
        return  # unsigned, as on AWS: localcloud.emulator.github_oidc judges the token
    path = self.raw_path
    if self.parsed_url.query:
        path += "?" + self.parsed_url.query
    request = iam_request_cls(
        account_id=self.current_account,
        method=self.method,
        path=path,
        data=self.data,
        body=self.raw_body,
        headers=self.headers,
        action=self._get_action(),
    )
    request.localcloud_handler = self
    request.check_signature()
    request.check_action_permitted(resource)


def mapping_init(original):
    """moto's ``EventSourceMapping.__init__`` (``original``), giving the mapping the uuid that
    its CreateEventSourceMapping was judged with (the ARN its policy named)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        original(self, spec)
        chosen = getattr(_pending, "uuid", None)
        if chosen:
            _pending.uuid = None
            self.uuid = chosen
            self.arn = make_event_source_mapping_arn(self.region, self.account_id, chosen)

    return __init__
