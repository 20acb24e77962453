"""API Gateway's Amazon Cognito user pool authorizer (REST), reproduced by the local gateway.

A method whose authorization is ``COGNITO_USER_POOLS`` needs, in its authorizer's identity-source
header (optionally after ``Bearer ``), an ID token that one of the authorizer's user pools issued:

- RS256 only (``none``, HS256 and every other algorithm are refused), signed by a key of the pool's
  JWKS, which the emulator publishes at ``<emulator>/<pool-id>/.well-known/jwks.json`` (AWS:
  ``https://cognito-idp.<region>.amazonaws.com/<pool-id>/...``); fetched once per pool and kept,
  fetched again when a token names a key id it lacks (at most once per ``REFETCH_INTERVAL_S``);
- ``iss`` = ``https://cognito-idp.<region>.amazonaws.com/<pool-id>`` of a pool in the
  authorizer's provider ARNs (moto signs every pool with one key, so only this check tells two
  pools apart), ``aud`` = an app client of that pool (read from the emulator; and matching the
  authorizer's identity validation expression, if it has one), ``token_use`` = ``id``;
- ``exp`` in the future, ``nbf`` and ``iat`` (when present) not in the future.

Anything else, or no token, is a 401 (the UNAUTHORIZED gateway response) before any function
runs. The function then gets the claims as API Gateway hands them over: every value a string.
Authorization types the local gateway cannot check (AWS_IAM, CUSTOM), an authorizer it cannot
use, and authorization scopes are refused with a 500: a method is never served open.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from botocore.exceptions import ClientError
from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, ExpiredTokenError, JoseError
from joserfc.jwk import RSAKey

from localcloud.gateway.model import Authorizer, DeployedApi, Method, load_authorizers
from localcloud.gateway.proxy import IncomingRequest
from localcloud.gateway.responses import INTERNAL, GatewayError

COGNITO = "COGNITO_USER_POOLS"
ISSUER = "https://cognito-idp.{region}.amazonaws.com/{pool_id}"
USER_POOL_ARN = re.compile(
    r"^arn:aws[\w-]*:cognito-idp:(?P<region>[\w-]+):\d+:userpool/(?P<pool_id>[\w-]+_\w+)$"
)
HEADER_SOURCE = re.compile(r"^method\.request\.header\.(?P<name>[\w-]+)$")
REFETCH_INTERVAL_S = 10.0
"""Least time between two fetches of one pool's keys for unknown key ids, so that such tokens
cannot make the gateway fetch at every request."""
FETCH_TIMEOUT_S = 5.0
EXPIRED = "The incoming token has expired"
# API Gateway writes exp and iat as Java's Date.toString() in UTC; the names are spelled out here
# so that the process's locale cannot change them.
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DATE_CLAIMS = ("exp", "iat")


class Rejected(Exception):
    """A token (or its absence) that API Gateway answers with 401; ``str()`` says why."""

    def __init__(self, reason: str, message: str = "Unauthorized"):
        super().__init__(reason)
        self.message = message


class KeysUnavailable(Exception):
    """The pool's signing keys could not be read."""


def claim_date(seconds: float) -> str:
    """A NumericDate as API Gateway shows it in claims: ``Tue Apr 04 18:39:39 UTC 2023``."""
    t = time.gmtime(seconds)
    return (
        f"{_DAYS[t.tm_wday]} {_MONTHS[t.tm_mon - 1]} {t.tm_mday:02d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} UTC {t.tm_year}"
    )


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return ",".join(_text(item) for item in value)
    if value is None:
        return ""
    return json.dumps(value, separators=(",", ":"))


def claims_as_strings(claims: dict) -> dict[str, str]:
    """``requestContext.authorizer.claims`` as API Gateway REST builds it: all strings, numbers in
    decimal, exp and iat as dates, booleans ``true``/``false``, arrays joined with commas."""
    strings = {}
    for name, value in claims.items():
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        strings[name] = claim_date(value) if name in _DATE_CLAIMS and numeric else _text(value)
    return strings


def user_pool(arn: str) -> tuple[str, str] | None:
    """(region, pool id) of a user pool ARN, or None."""
    match = USER_POOL_ARN.match(arn)
    return (match["region"], match["pool_id"]) if match else None


def header_of(identity_source: str) -> str | None:
    """The header named by an identity source ``method.request.header.<name>``."""
    match = HEADER_SOURCE.match(identity_source.strip())
    return match["name"] if match else None


class Jwks:
    """The user pools' signing keys, fetched from the emulator (see the module docstring)."""

    def __init__(self, endpoint_url: str, refetch_interval_s: float = REFETCH_INTERVAL_S):
        self.endpoint_url = endpoint_url.rstrip("/")
        self.refetch_interval_s = refetch_interval_s
        self.fetches: Counter[str] = Counter()
        """Fetches made, per pool id."""
        self._keys: dict[str, dict[str, RSAKey]] = {}
        self._refetched_at: dict[str, float] = {}
        self._lock = threading.Lock()
        # The emulator is on loopback: no proxy from the environment applies.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def url(self, pool_id: str) -> str:
        """Where the emulator publishes the pool's JWKS."""
        return f"{self.endpoint_url}/{pool_id}/.well-known/jwks.json"

    def key(self, pool_id: str, kid: str) -> RSAKey | None:
        """The pool's RS256 key ``kid``, or None when the pool does not publish it."""
        keys = self._keys.get(pool_id)
        if keys is not None and kid in keys:
            return keys[kid]
        with self._lock:
            keys = self._keys.get(pool_id)
            if keys is None:
                keys = self._fetch(pool_id)
            elif kid not in keys:
                last = self._refetched_at.get(pool_id)
                if last is None or time.monotonic() - last >= self.refetch_interval_s:
                    self._refetched_at[pool_id] = time.monotonic()
                    keys = self._fetch(pool_id)
            return keys.get(kid)

    def _fetch(self, pool_id: str) -> dict[str, RSAKey]:
        url = self.url(pool_id)
        self.fetches[pool_id] += 1
        try:
            with self._opener.open(url, timeout=FETCH_TIMEOUT_S) as response:
                document = json.load(response)
            keys = {
                data["kid"]: RSAKey.import_key(data)
                for data in document["keys"]
                if data.get("kty") == "RSA"
                and data.get("alg", "RS256") == "RS256"
                and data.get("use", "sig") == "sig"
                and isinstance(data.get("kid"), str)
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError, JoseError) as exc:
            raise KeysUnavailable(
                f"could not read the signing keys of user pool {pool_id} at {url}: {exc}"
            ) from None
        self._keys[pool_id] = keys
        return keys


class UserPools:
    """The emulator's user pools as the gateway needs them: their app clients and signing keys
    (the keys are kept across reloads of the API)."""

    def __init__(self, endpoint_url: str, session, config=None):
        self.endpoint_url = endpoint_url
        self.jwks = Jwks(endpoint_url)
        self._session = session
        self._config = config
        self._clients: dict[str, object] = {}

    def cognito(self, region: str):
        """A cognito-idp client of the emulator in ``region`` (a pool lives in one region)."""
        if region not in self._clients:
            self._clients[region] = self._session.client(
                "cognito-idp",
                region_name=region,
                endpoint_url=self.endpoint_url,
                config=self._config,
            )
        return self._clients[region]

    def app_clients(self, authorizers: Iterable[Authorizer]) -> dict[str, frozenset[str]]:
        """App client ids of each user pool the Cognito authorizers name, by pool id (none when
        the pool does not exist)."""
        arns = {arn for a in authorizers if a.type == COGNITO for arn in a.provider_arns}
        clients: dict[str, frozenset[str]] = {}
        for region, pool_id in sorted(filter(None, map(user_pool, arns))):
            found: set[str] = set()
            try:
                pages = self.cognito(region).get_paginator("list_user_pool_clients")
                for page in pages.paginate(UserPoolId=pool_id):
                    found.update(item["ClientId"] for item in page.get("UserPoolClients", []))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                    raise
            clients[pool_id] = frozenset(found)
        return clients

    def fingerprint(self, apigateway, api_id: str) -> tuple:
        """What, when it changes, changes who may call what: the API's authorizers and their
        pools' app clients (part of the gateway's snapshot fingerprint)."""
        authorizers = load_authorizers(apigateway, api_id).values()
        return (
            tuple(sorted(json.dumps(asdict(a), sort_keys=True) for a in authorizers)),
            tuple(
                sorted((p, tuple(sorted(ids))) for p, ids in self.app_clients(authorizers).items())
            ),
        )

    def authorization(self, api: DeployedApi) -> Authorization:
        """Who may call each method of ``api``, with its pools' app clients as they are now."""
        return Authorization(api, self.app_clients(api.authorizers.values()), self.jwks)


def _unusable(authorizer: Authorizer) -> str | None:
    """Why a method's Cognito authorizer cannot be used (None: it can)."""
    if authorizer.type != COGNITO:
        return f"its authorizer {authorizer.name} is {authorizer.type}, not {COGNITO}"
    if header_of(authorizer.identity_source) is None:
        return f"the identity source {authorizer.identity_source!r} is not one header"
    try:
        re.compile(authorizer.identity_validation_expression)
    except re.error:
        return f"the identity validation expression of {authorizer.name} is no regex"
    return None


@dataclass(frozen=True)
class _Pool:
    id: str
    issuer: str
    clients: frozenset[str]


class Authorization:
    """Who may call each method of one snapshot of the API (see the module docstring)."""

    def __init__(self, api: DeployedApi, pool_clients: dict[str, frozenset[str]], jwks: Jwks):
        self.api = api
        self.jwks = jwks
        self.problems: list[str] = []
        self._pools: dict[str, dict[str, _Pool]] = {}  # authorizer id -> issuer -> pool
        for authorizer in api.authorizers.values():
            if authorizer.type == COGNITO:
                self._pools[authorizer.id] = self._pools_of(authorizer, pool_clients)
        for resource in api.resources.values():
            for method in resource.methods.values():
                refusal = self.refusal(method)
                if refusal:
                    self.problems.append(
                        f"{method.http_method} {resource.path}: {refusal}; "
                        "the local gateway answers it with 500."
                    )

    def _pools_of(self, authorizer: Authorizer, pool_clients: dict) -> dict[str, _Pool]:
        pools = {}
        for arn in authorizer.provider_arns:
            found = user_pool(arn)
            if found is None:
                self.problems.append(
                    f"Authorizer {authorizer.name}: {arn} is not a user pool ARN; ignored."
                )
                continue
            region, pool_id = found
            clients = pool_clients.get(pool_id, frozenset())
            if not clients:
                self.problems.append(
                    f"Authorizer {authorizer.name}: user pool {pool_id} has no app client on "
                    "the emulator, so no token of it is accepted."
                )
            issuer = ISSUER.format(region=region, pool_id=pool_id)
            pools[issuer] = _Pool(pool_id, issuer, clients)
        return pools

    def refusal(self, method: Method) -> str | None:
        """Why the local gateway cannot enforce the method's authorization (None: it can)."""
        kind = method.authorization_type
        if kind == "NONE":
            return None
        if kind != COGNITO:
            return f"{kind} authorization cannot be checked by the local gateway"
        if method.authorization_scopes:
            return "authorization scopes (access tokens) are not checked by the local gateway"
        authorizer = self.api.authorizers.get(method.authorizer_id or "")
        if authorizer is None:
            return f"its authorizer {method.authorizer_id} does not exist"
        return _unusable(authorizer)

    def check(self, method: Method, request: IncomingRequest, log: dict) -> dict[str, str] | None:
        """The claims to hand to the function (None: the method needs no token); raises the
        GatewayError API Gateway answers with. Says in ``log["authError"]`` why it refused."""
        if method.authorization_type == "NONE":
            return None
        refusal = self.refusal(method)
        if refusal:
            log["authError"] = refusal
            kind = "AUTHORIZER_CONFIGURATION_ERROR"
            if method.authorization_type != COGNITO:
                kind = "API_CONFIGURATION_ERROR"
            raise GatewayError(kind, INTERNAL, status=500)
        authorizer = self.api.authorizers[method.authorizer_id]
        try:
            claims = self._verify(authorizer, request.header(header_of(authorizer.identity_source)))
        except Rejected as exc:
            log["authError"] = str(exc)
            raise GatewayError("UNAUTHORIZED", exc.message) from None
        except KeysUnavailable as exc:
            log["authError"] = str(exc)
            raise GatewayError("AUTHORIZER_CONFIGURATION_ERROR", INTERNAL, status=500) from None
        return claims_as_strings(claims)

    def _verify(self, authorizer: Authorizer, value: str | None) -> dict:
        token = (value or "").strip()
        scheme, _, rest = token.partition(" ")
        if scheme.lower() == "bearer":
            token = rest.strip()
        if not token:
            raise Rejected("no token in the identity source header")
        try:
            unverified = jws.extract_compact(token.encode())
            header = unverified.headers()
            issuer = json.loads(unverified.payload).get("iss")
        except (JoseError, ValueError, TypeError, AttributeError):
            raise Rejected("the token is not a JWT") from None
        if header.get("alg") != "RS256":
            raise Rejected(f"algorithm {header.get('alg')!r} refused: RS256 only")
        pool = self._pools[authorizer.id].get(issuer) if isinstance(issuer, str) else None
        if pool is None:
            raise Rejected(f"issuer {issuer!r} is none of authorizer {authorizer.name}'s pools")
        kid = header.get("kid")
        key = self.jwks.key(pool.id, kid) if isinstance(kid, str) else None
        if key is None:
            raise Rejected(f"signing key {kid!r} is not one that pool {pool.id} publishes")
        try:
            claims = jwt.decode(token, key, algorithms=["RS256"]).claims
        except BadSignatureError:
            raise Rejected("the signature does not verify") from None
        except (JoseError, ValueError, TypeError):
            raise Rejected("the token is not a JWT") from None
        self._check_claims(authorizer, pool, claims)
        return claims

    @staticmethod
    def _check_claims(authorizer: Authorizer, pool: _Pool, claims: dict) -> None:
        try:
            jwt.JWTClaimsRegistry(exp={"essential": True}, sub={"essential": True}).validate(claims)
        except ExpiredTokenError:
            raise Rejected("the token has expired", EXPIRED) from None
        except JoseError as exc:
            raise Rejected(f"claim check failed: {exc}") from None
        if claims.get("token_use") != "id":
            raise Rejected(f"token_use is {claims.get('token_use')!r}: an ID token is needed")
        audience = claims.get("aud")
        if not isinstance(audience, str) or audience not in pool.clients:
            raise Rejected(f"audience {audience!r} is no app client of pool {pool.id}")
        expression = authorizer.identity_validation_expression
        if expression and not re.fullmatch(expression, audience):
            raise Rejected(f"audience {audience!r} does not match {expression!r}")
