"""The local gateway enforces the deployed Cognito user pool authorizer as API Gateway does:
every bad token is a 401 before any function runs; a good one hands the claims over as strings."""

from __future__ import annotations

import base64
import io
import json
import re
import time

import pytest
import requests
from joserfc import jws, jwt
from joserfc.jwk import OctKey, RSAKey
from moto.utilities.utils import load_resource

from localcloud.gateway.authorizers import Authorization, Jwks, claim_date, claims_as_strings
from localcloud.gateway.model import Method
from localcloud.gateway.proxy import IncomingRequest
from localcloud.gateway.responses import GatewayError
from localcloud.gateway.routing import find_route
from localcloud.gateway.server import Gateway
from tests.localcloud.conftest import REGION, clients, cognito, integrate, sign_in

DATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{2} \d{2}:\d{2}:\d{2} UTC \d{4}$"
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _payload(token: str) -> dict:
    return json.loads(jws.extract_compact(token.encode()).payload)


def _issuer(pool_id: str) -> str:
    return f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}"


@pytest.fixture(scope="module")
def idp(emulator):
    """A cognito-idp client of the emulator."""
    return cognito(emulator.url)


@pytest.fixture(scope="module")
def people(idp, hand_built_api):
    """Signed-in users: ann (admins, editors), bob (no group), dora (the pool's second app
    client), carl (a pool no authorizer names)."""
    api = hand_built_api
    return {
        "ann": sign_in(idp, api.pool, "ann@example.com", groups=("admins", "editors")),
        "bob": sign_in(idp, api.pool, "bob@example.com"),
        "dora": sign_in(idp, api.pool, "dora@example.com", client_id=api.second_client_id),
        "carl": sign_in(idp, api.other_pool, "carl@example.com"),
    }


@pytest.fixture(scope="module")
def pool_key():
    """The emulator's signing key (moto signs every pool with this one)."""
    return RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))


def _claims(api, **changes) -> dict:
    now = int(time.time())
    claims = {
        "iss": _issuer(api.pool.id),
        "sub": "5e1f3c1a-0000-4000-8000-000000000001",
        "aud": api.pool.client_id,
        "token_use": "id",
        "iat": now,
        "auth_time": now,
        "exp": now + 3600,
        "email": "forged@example.com",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.fixture(scope="module")
def bad_tokens(hand_built_api, people, pool_key):
    """Authorization header values the gateway must refuse: (value, reason in the log, message)."""
    api = hand_built_api
    header = {"alg": "RS256", "kid": "dummy"}

    def signed(key=pool_key, head=None, **changes):
        return jwt.encode(head or header, _claims(api, **changes), key)

    bob = people["bob"]["IdToken"]
    head, _, signature = bob.split(".")
    raised = {**_payload(bob), "cognito:groups": ["admins"]}
    tampered = f"{head}.{_b64(json.dumps(raised).encode())}.{signature}"
    unsigned = ".".join(
        (_b64(json.dumps({"alg": "none", "typ": "JWT"}).encode()), bob.split(".")[1], "")
    )
    public = pool_key.as_dict(private=False)
    # The classic confusion: HS256 keyed with the pool's public key material.
    confused = jwt.encode(
        {"alg": "HS256", "kid": "dummy"}, _claims(api), OctKey.import_key(public["n"])
    )
    stranger = RSAKey.generate_key(2048)
    hour_ago = int(time.time()) - 3600
    return {
        "missing header": (None, "no token", "Unauthorized"),
        "blank header": ("", "no token", "Unauthorized"),
        "bearer without token": ("Bearer ", "no token", "Unauthorized"),
        "malformed": ("not-a-jwt", "not a JWT", "Unauthorized"),
        "three garbage parts": ("abc.def.ghi", "not a JWT", "Unauthorized"),
        "alg none": (unsigned, "algorithm 'none' refused", "Unauthorized"),
        "HS256": (confused, "algorithm 'HS256' refused", "Unauthorized"),
        "tampered payload": (tampered, "signature does not verify", "Unauthorized"),
        "another key, same kid": (signed(stranger), "signature does not verify", "Unauthorized"),
        "another key, unknown kid": (
            signed(stranger, {"alg": "RS256", "kid": "stranger"}),
            "signing key 'stranger' is not one",
            "Unauthorized",
        ),
        "no kid": (signed(head={"alg": "RS256"}), "signing key None", "Unauthorized"),
        "expired": (
            signed(exp=hour_ago, iat=hour_ago - 3600),
            "expired",
            "The incoming token has expired",
        ),
        "not yet valid (nbf)": (
            signed(nbf=int(time.time()) + 600),
            "not yet valid",
            "Unauthorized",
        ),
        "issued in the future (iat)": (
            signed(iat=int(time.time()) + 600),
            "issued in the future",
            "Unauthorized",
        ),
        "no exp": (signed(exp=None), "exp", "Unauthorized"),
        "issued by another pool": (
            people["carl"]["IdToken"],
            f"issuer '{_issuer(api.other_pool.id)}' is none",
            "Unauthorized",
        ),
        "audience: a client of another pool": (
            signed(aud=api.other_pool.client_id),
            "no app client of pool",
            "Unauthorized",
        ),
        "audience: no such client": (signed(aud="0" * 26), "no app client", "Unauthorized"),
        "audience: a list": (signed(aud=[api.pool.client_id]), "no app client", "Unauthorized"),
        "access token": (people["ann"]["AccessToken"], "token_use is 'access'", "Unauthorized"),
        "refresh token": (people["ann"]["RefreshToken"], "not a JWT", "Unauthorized"),
    }


def _function_calls(served) -> int:
    return len([r for r in served.log.records() if r.get("function")])


def _record(served, response) -> dict:
    request_id = response.headers["x-amzn-RequestId"]
    return next(r for r in served.log.records() if r.get("requestId") == request_id)


def _call(served, path, token=None, method="GET", **kwargs):
    headers = kwargs.pop("headers", {})
    if token is not None:
        headers["Authorization"] = token
    return requests.request(method, served.base + path, headers=headers, timeout=30, **kwargs)


def _assert_unauthorized(served, response, message="Unauthorized") -> dict:
    assert response.status_code == 401
    # The deployed UNAUTHORIZED response's body, DEFAULT_4XX's headers.
    assert response.json() == {"error": {"code": "UNAUTHORIZED", "message": message}}
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["x-amzn-ErrorType"] == "UnauthorizedException"
    record = _record(served, response)
    assert "function" not in record
    assert "start" not in record
    return record


@pytest.mark.parametrize(
    "case",
    [
        "missing header",
        "blank header",
        "bearer without token",
        "malformed",
        "three garbage parts",
        "alg none",
        "HS256",
        "tampered payload",
        "another key, same kid",
        "another key, unknown kid",
        "no kid",
        "expired",
        "not yet valid (nbf)",
        "issued in the future (iat)",
        "no exp",
        "issued by another pool",
        "audience: a client of another pool",
        "audience: no such client",
        "audience: a list",
        "access token",
        "refresh token",
    ],
)
def test_a_bad_token_is_401_and_no_function_runs(served, bad_tokens, case):
    token, reason, message = bad_tokens[case]
    before = _function_calls(served)
    response = _call(served, "/private", token)
    record = _assert_unauthorized(served, response, message)
    assert reason in record["authError"]
    assert _function_calls(served) == before


def test_a_valid_id_token_hands_the_claims_over_as_strings(served, people, hand_built_api):
    token = people["ann"]["IdToken"]
    decoded = _payload(token)
    before = _function_calls(served)
    response = _call(served, "/private", token)
    assert response.status_code == 200
    assert _function_calls(served) == before + 1
    claims = response.json()["event"]["requestContext"]["authorizer"]["claims"]
    assert set(claims) == set(decoded)
    assert all(isinstance(value, str) for value in claims.values())
    assert claims["sub"] == decoded["sub"]
    assert claims["aud"] == hand_built_api.pool.client_id
    assert claims["iss"] == _issuer(hand_built_api.pool.id)
    assert claims["token_use"] == "id"
    assert claims["email"] == "ann@example.com"
    assert claims["auth_time"] == str(decoded["auth_time"])
    assert claims["auth_time"].isdigit()
    for name in ("exp", "iat"):
        assert DATE.match(claims[name]), claims[name]
        assert claims[name] == claim_date(decoded[name])
    # An array joined with commas, no brackets or spaces (the order is the pool's).
    assert sorted(claims["cognito:groups"].split(",")) == ["admins", "editors"]
    assert not re.search(r"[\[\] ]", claims["cognito:groups"])


def test_bearer_prefix_and_header_case_are_accepted(served, people):
    token = people["bob"]["IdToken"]
    response = _call(served, "/private", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200
    claims = response.json()["event"]["requestContext"]["authorizer"]["claims"]
    assert claims["email"] == "bob@example.com"
    assert "cognito:groups" not in claims


def test_public_methods_need_no_token_and_get_no_authorizer(served, people):
    response = _call(served, "/items/1")
    assert response.status_code == 200
    assert "authorizer" not in response.json()["event"]["requestContext"]
    # A token on a public method is not checked, nor handed over (as in API Gateway).
    response = _call(served, "/items/1", "not-a-jwt")
    assert response.status_code == 200
    assert "authorizer" not in response.json()["event"]["requestContext"]


def test_any_app_client_of_the_pool_unless_the_authorizer_pins_one(served, people):
    dora = people["dora"]["IdToken"]  # the pool's second app client
    assert _call(served, "/private", dora).status_code == 200
    record = _assert_unauthorized(served, _call(served, "/pinned", dora))
    assert "does not match" in record["authError"]
    assert _call(served, "/pinned", people["ann"]["IdToken"]).status_code == 200


def test_authorization_comes_before_request_validation(served, people):
    before = _function_calls(served)
    _assert_unauthorized(served, _call(served, "/private", method="POST", json={"name": ""}))
    token = people["ann"]["IdToken"]
    invalid = _call(served, "/private", token, method="POST", json={"name": ""})
    assert invalid.status_code == 400
    assert invalid.json() == {"message": "Invalid request body"}
    assert _function_calls(served) == before
    valid = _call(served, "/private", token, method="POST", json={"name": "widget"})
    assert valid.status_code == 200


def test_authorization_the_gateway_cannot_check_is_refused(served, people):
    problems = served.gateway.served.problems
    assert any(p.startswith("GET /iam: AWS_IAM authorization cannot be checked") for p in problems)
    assert not any("does not enforce" in p for p in problems)
    before = _function_calls(served)
    for token in (None, people["ann"]["IdToken"]):
        response = _call(served, "/iam", token)
        assert response.status_code == 500
        assert response.json() == {"message": "Internal server error"}
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        record = _record(served, response)
        assert "AWS_IAM" in record["authError"]
    assert _function_calls(served) == before


def _emulator_fetches(emulator, pool_id: str) -> int:
    text = emulator.log_path.read_text(encoding="utf-8", errors="replace")
    return text.count(f"GET /{pool_id}/.well-known/jwks.json")


def _request(path: str, token: str) -> IncomingRequest:
    return IncomingRequest(
        method="GET",
        path=path,
        stage="local",
        raw_headers=[("Authorization", token)],
        query_pairs=[],
        body=b"",
        source_ip="127.0.0.1",
        host="localhost",
    )


def test_the_jwks_is_fetched_once_and_again_once_for_an_unknown_key(
    emulator, hand_built_api, people, bad_tokens, tmp_path
):
    gateway = Gateway(
        emulator.url,
        region=REGION,
        api_id=hand_built_api.api_id,
        code_dirs=[hand_built_api.code_dir],
        extract_dir=tmp_path,
        log_stream=io.StringIO(),
        poll_interval=0,
    )
    pool_id = hand_built_api.pool.id
    try:
        before = _emulator_fetches(emulator, pool_id)
        assert before == _emulator_fetches(emulator, pool_id)
        for name in ("ann", "bob", "ann", "dora", "bob"):
            answer = gateway.handle(_request("/private", people[name]["IdToken"]))
            assert answer.status == 200
        assert gateway.user_pools.jwks.fetches[pool_id] == 1
        assert _emulator_fetches(emulator, pool_id) == before + 1
        # A key id the cached set lacks: fetched again, once, then refused.
        unknown_kid = bad_tokens["another key, unknown kid"][0]
        for _ in range(3):
            assert gateway.handle(_request("/private", unknown_kid)).status == 401
        assert gateway.user_pools.jwks.fetches[pool_id] == 2
        assert _emulator_fetches(emulator, pool_id) == before + 2
        # The cache survives a reload of the API.
        clients(emulator.url)[0].create_deployment(restApiId=hand_built_api.api_id)
        assert gateway.refresh() is True
        assert gateway.handle(_request("/private", people["ann"]["IdToken"])).status == 200
        assert gateway.user_pools.jwks.fetches[pool_id] == 2
    finally:
        gateway.close()


def test_a_redeploy_of_authorization_and_a_new_app_client_are_picked_up(
    served, emulator, hand_built_api, idp
):
    apigw, _, _ = clients(emulator.url)
    api = hand_built_api
    items = apigw.get_resources(restApiId=api.api_id)["items"]
    root = next(r["id"] for r in items if r["path"] == "/")
    guarded = apigw.create_resource(restApiId=api.api_id, parentId=root, pathPart="guarded")["id"]
    integrate(apigw, api.api_id, guarded, "GET", api.functions["app"])
    apigw.create_deployment(restApiId=api.api_id)  # keeps the stage (and its variables)
    assert served.gateway.refresh() is True
    assert _call(served, "/guarded").status_code == 200
    authorizers = apigw.get_authorizers(restApiId=api.api_id)["items"]
    authorizer = next(a["id"] for a in authorizers if a["name"] == "cognito")
    integrate(
        apigw,
        api.api_id,
        guarded,
        "GET",
        api.functions["app"],
        authorizationType="COGNITO_USER_POOLS",
        authorizerId=authorizer,
    )
    apigw.create_deployment(restApiId=api.api_id)  # keeps the stage (and its variables)
    assert served.gateway.refresh() is True
    _assert_unauthorized(served, _call(served, "/guarded"))
    # A new app client of the pool, nothing redeployed: its tokens are accepted within a poll.
    assert served.gateway.refresh() is False
    new_client = idp.create_user_pool_client(UserPoolId=api.pool.id, ClientName="mobile")[
        "UserPoolClient"
    ]["ClientId"]
    assert served.gateway.refresh() is True
    token = sign_in(idp, api.pool, "erin@example.com", client_id=new_client)["IdToken"]
    response = _call(served, "/guarded", token)
    assert response.status_code == 200
    assert response.json()["event"]["requestContext"]["authorizer"]["claims"]["aud"] == new_client


def test_claims_as_strings_follows_api_gateway_rest():
    claims = {
        "sub": "abc",
        "exp": 1680633579,
        "iat": 1680629979,
        "auth_time": 1700000000,
        "email_verified": True,
        "phone_number_verified": False,
        "cognito:groups": ["admins", "editors"],
        "custom:score": 1.5,
        "custom:empty": None,
        "custom:object": {"a": 1},
    }
    assert claims_as_strings(claims) == {
        "sub": "abc",
        "exp": "Tue Apr 04 18:39:39 UTC 2023",
        "iat": "Tue Apr 04 17:39:39 UTC 2023",
        "auth_time": "1700000000",
        "email_verified": "true",
        "phone_number_verified": "false",
        "cognito:groups": "admins,editors",
        "custom:score": "1.5",
        "custom:empty": "",
        "custom:object": '{"a":1}',
    }


def test_what_cannot_be_enforced_is_a_500_never_open(served, hand_built_api, people):
    current = served.gateway.served
    authorization = current.authorization
    cognito_id = next(a.id for a in current.api.authorizers.values() if a.name == "cognito")
    request = _request("/private", people["ann"]["IdToken"])
    cases = {
        "does not exist": Method("GET", "COGNITO_USER_POOLS", authorizer_id="gone"),
        "authorization scopes": Method(
            "GET", "COGNITO_USER_POOLS", authorizer_id=cognito_id, authorization_scopes=["x/y"]
        ),
        "CUSTOM authorization cannot be checked": Method("GET", "CUSTOM", authorizer_id="x"),
    }
    for reason, method in cases.items():
        assert reason in authorization.refusal(method)
        log: dict = {}
        with pytest.raises(GatewayError) as refused:
            authorization.check(method, request, log)
        assert refused.value.status == 500
        assert reason in log["authError"]
    # The pool's keys cannot be read: a 500 too, not a pass.
    unreachable = Authorization(
        current.api,
        {hand_built_api.pool.id: frozenset({hand_built_api.pool.client_id})},
        Jwks("http://127.0.0.1:9"),
    )
    method = find_route(current.api.root, "/private", "GET").method
    log = {}
    with pytest.raises(GatewayError) as refused:
        unreachable.check(method, request, log)
    assert (refused.value.response_type, refused.value.status) == (
        "AUTHORIZER_CONFIGURATION_ERROR",
        500,
    )
    assert "could not read the signing keys" in log["authError"]
