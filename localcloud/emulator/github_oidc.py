"""GitHub Actions' OpenID Connect, as the emulator plays both ends of it: the token GitHub hands a
workflow job, and STS's ``AssumeRoleWithWebIdentity`` that trades it for a role's credentials.

- **Tokens** (``POST /localcloud-api/oidc/token`` with ``{"repository", "ref", "environment",
  "event_name"}`` and, to test a refusal, ``"audience"``; answered ``{"token": ...}``;
  ``request_token`` asks it): an RS256 JWT with GitHub's issuer
  (``https://token.actions.githubusercontent.com``), audience ``sts.amazonaws.com`` and
  GitHub's ``sub`` formats (``subject``). GitHub signs with keys it publishes at its JWKS URL,
  which the emulator cannot fetch: here the emulator's process makes one key at start, signs
  with it, trusts it for that issuer only, and publishes it (``GET /localcloud-api/oidc/jwks``).
  A token outlives no emulator restart.
- **AssumeRoleWithWebIdentity** (unsigned, so moto's access control never sees it; moto 5.2.5
  hands out any role's credentials for any token): the token must carry a valid signature, be
  current, name an issuer for which the account has an IAM OIDC provider, and an audience among
  the provider's client ids; then the role's trust policy must allow the action for
  ``Federated: <the provider's ARN>`` with the token's claims as condition keys
  (``token.actions.githubusercontent.com:sub``, ``:aud``, ...). Refusals are AWS's:
  ``InvalidIdentityToken``, ``ExpiredTokenException``, ``AccessDenied``. Each decision goes to
  the call log.
"""

# This module replaces moto's STS handler's member: it is moto's own.
# pylint: disable=protected-access
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from moto.iam.exceptions import NotFoundException
from moto.iam.models import iam_backends
from moto.sts.exceptions import STSClientError
from moto.utilities.utils import get_partition

from localcloud.base import control_api
from localcloud.emulator import call_log
from localcloud.emulator.policy_evaluation import Decision, evaluate

ISSUER = "https://token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
LIFETIME_SECONDS = 300
"""How long a token is good for (GitHub's are good for minutes; the exchange follows at once)."""
TOKEN_PATH = "/localcloud-api/oidc/token"
JWKS_PATH = "/localcloud-api/oidc/jwks"
CLAIMS = ("sub", "aud", "repository", "repository_owner", "ref", "environment", "event_name",
          "actor", "workflow", "job_workflow_ref")  # fmt: skip
"""Claims that become condition keys ``<issuer host>:<claim>`` when present."""
_KEY = RSAKey.generate_key(2048, parameters={"kid": uuid.uuid4().hex, "use": "sig"})


class TokenRefused(STSClientError):
    """STS's refusal of a web identity token or of the role it asks for (moto serializes it
    as STS's error of that code)."""


def subject(repository: str, ref: str, environment: str | None, event_name: str) -> str:
    """GitHub's ``sub``: a job in a GitHub environment names it; else a pull request's job says
    ``pull_request``; else the job names its ref."""
    if environment:
        return f"repo:{repository}:environment:{environment}"
    if event_name == "pull_request":
        return f"repo:{repository}:pull_request"
    return f"repo:{repository}:ref:{ref}"


def mint(
    repository: str,
    ref: str = "refs/heads/main",
    environment: str | None = None,
    event_name: str = "push",
    audience: str = AUDIENCE,
) -> str:
    """A token as GitHub would give a job of ``repository`` at ``ref`` (in ``environment``)."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": audience,
        "sub": subject(repository, ref, environment, event_name),
        "repository": repository,
        "repository_owner": repository.partition("/")[0],
        "ref": ref,
        "event_name": event_name,
        "iat": now,
        "nbf": now,
        "exp": now + LIFETIME_SECONDS,
        "jti": uuid.uuid4().hex,
    }
    if environment:
        claims["environment"] = environment
    return jwt.encode({"alg": "RS256", "kid": _KEY.kid, "typ": "JWT"}, claims, _KEY)


def request_token(
    endpoint_url: str,
    repository: str,
    ref: str = "refs/heads/main",
    environment: str | None = None,
    event_name: str = "push",
) -> str:
    """A token from the emulator at ``endpoint_url``, as a workflow job asks GitHub for one."""
    asked = {"repository": repository, "ref": ref, "environment": environment}
    asked["event_name"] = event_name
    return control_api.call(endpoint_url.rstrip("/") + TOKEN_PATH, "POST", asked)["token"]


def verified_claims(token: str) -> dict[str, Any]:
    """The claims of a token signed with the emulator's key and current; else STS's refusal."""
    try:
        decoded = jwt.decode(token, _KEY, algorithms=["RS256"])
    except (JoseError, ValueError) as exc:
        raise TokenRefused(
            "InvalidIdentityToken", f"The web identity token is invalid: {exc}"
        ) from None
    claims = dict(decoded.claims)
    now = time.time()
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= now:
        raise TokenRefused("ExpiredTokenException", "Token expired: current date/time is past exp")
    if claims.get("nbf", 0) > now + 60:
        raise TokenRefused("InvalidIdentityToken", "Token is not yet valid (nbf)")
    return claims


def _provider(account_id: str, region: str, claims: dict[str, Any]):
    issuer = str(claims.get("iss", ""))
    partition = get_partition(region)
    arn = f"arn:{partition}:iam::{account_id}:oidc-provider/{issuer.removeprefix('https://')}"
    try:
        provider = iam_backends[account_id][partition].get_open_id_connect_provider(arn)
    except NotFoundException:
        raise TokenRefused(
            "InvalidIdentityToken",
            f"No OpenIDConnect provider found in your account for {issuer}",
        ) from None
    audiences = claims.get("aud")
    audiences = audiences if isinstance(audiences, list) else [audiences]
    if not set(audiences) & set(provider.client_id_list):
        raise TokenRefused("InvalidIdentityToken", "Incorrect token audience")
    return arn


def trust_context(claims: dict[str, Any]) -> dict[str, Any]:
    """The condition keys a token gives the trust policy: ``<issuer host>:<claim>``."""
    host = str(claims.get("iss", "")).removeprefix("https://")
    return {f"{host}:{name}": claims[name] for name in CLAIMS if claims.get(name) is not None}


def judged(original: Callable) -> Callable:
    """moto's ``TokenResponse.assume_role_with_web_identity`` (``original``), after AWS's checks."""

    def assume_role_with_web_identity(self):
        """moto 5.2.5's ``TokenResponse.assume_role_with_web_identity``, after AWS's checks."""
        claims = verified_claims(self._get_param("WebIdentityToken") or "")
        provider = _provider(self.current_account, self.region, claims)
        role_arn = self._get_param("RoleArn")
        partition = get_partition(self.region)
        try:
            role = iam_backends[self.current_account][partition].get_role_by_arn(role_arn)
            trust = [role.assume_role_policy_document]
        except NotFoundException:
            trust = []
        action = "sts:AssumeRoleWithWebIdentity"
        decision = evaluate(trust, action, role_arn, trust_context(claims), provider)
        allowed = decision is Decision.ALLOW
        call_log.record(f"{provider}/{claims.get('sub')}", action, role_arn, allowed)
        if not allowed:
            raise TokenRefused("AccessDenied", f"Not authorized to perform {action}")
        return original(self)

    return assume_role_with_web_identity


class TokenEndpoint:  # pylint: disable=too-few-public-methods
    """WSGI middleware: ``POST`` ``TOKEN_PATH`` mints a token, ``GET`` ``JWKS_PATH`` shows the
    key that signs them."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == JWKS_PATH and method == "GET":
            return _answer(start_response, "200 OK", {"keys": [_KEY.as_dict(private=False)]})
        if path != TOKEN_PATH:
            return self.app(environ, start_response)
        if method != "POST":
            return _answer(start_response, "405 Method Not Allowed", {"error": "POST only"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            asked = json.loads(environ["wsgi.input"].read(length) or b"{}")
            token = mint(
                str(asked["repository"]),
                str(asked.get("ref") or "refs/heads/main"),
                asked.get("environment") or None,
                str(asked.get("event_name") or "push"),
                str(asked.get("audience") or AUDIENCE),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return _answer(start_response, "400 Bad Request", {"error": "give a repository"})
        return _answer(start_response, "200 OK", {"token": token})


def _answer(start_response, status: str, body: dict) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]
