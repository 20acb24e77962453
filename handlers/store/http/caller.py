"""Who is calling, and what the route table lets their role do.

The one place the functions read the caller: API Gateway's Cognito user pool authorizer has
checked the ID token (signature, issuer, audience, ``token_use``, expiry) before the function
runs, and passes its claims in ``requestContext.authorizer.claims``, every value a string:
``cognito:groups`` arrives comma-joined ("admins,editors"), and has also been seen as
"[admins, editors]" and "[admins editors]", so all three are read. The caller's id is the
token's ``sub``; an admin is a member of the pool's ``admins`` group.
"""

import re
from dataclasses import dataclass

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from ..spec.errors import Forbidden, Unauthorized
from ..spec.routes import ADMIN_GROUP, Access
from ..spec.schemas import UUID_PATTERN

_SUB = re.compile(UUID_PATTERN)
_GROUP_SEPARATORS = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class Caller:
    """A signed-in caller: its ``sub`` and the pool groups it belongs to."""

    sub: str
    groups: frozenset[str] = frozenset()

    @property
    def is_admin(self) -> bool:
        """Whether the caller belongs to the pool's ``admins`` group."""
        return ADMIN_GROUP in self.groups

    def may_act_for(self, user_id: str) -> bool:
        """Whether the caller may read or change ``user_id``'s data: its own, or any if admin."""
        return self.is_admin or self.sub == user_id


def groups_of(raw: object) -> frozenset[str]:
    """The groups of a ``cognito:groups`` claim, in any shape API Gateway has passed it."""
    if isinstance(raw, list):
        return frozenset(str(group) for group in raw if group)
    if not isinstance(raw, str):
        return frozenset()
    text = raw.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return frozenset(group for group in _GROUP_SEPARATORS.split(text) if group)


def of(event: APIGatewayProxyEvent) -> Caller | None:
    """The caller of ``event``, or None when the request is not signed in.

    A ``sub`` that is not a Cognito user id (a UUID) did not come from the pool: no caller.
    """
    claims = event.request_context.authorizer.claims
    sub = claims.get("sub")
    if not isinstance(sub, str) or not _SUB.fullmatch(sub):
        return None
    return Caller(sub=sub, groups=groups_of(claims.get("cognito:groups")))


def signed_in(event: APIGatewayProxyEvent) -> Caller:
    """The caller of ``event``; 401 when there is none."""
    caller = of(event)
    if caller is None:
        raise Unauthorized("Sign in: this request needs a valid ID token.")
    return caller


def require(access: Access, event: APIGatewayProxyEvent) -> Caller | None:
    """Check the route's role before anything is read or written: 401 or 403, else the caller.

    ``OWNER_OR_ADMIN`` only needs a caller here; the handler checks ownership once it knows
    whose data the request addresses.
    """
    if not access.signed_in:
        return of(event)
    caller = signed_in(event)
    if access is Access.ADMIN and not caller.is_admin:
        raise Forbidden("Only an administrator may do this.")
    return caller
