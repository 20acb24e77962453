"""Api: a method per route, proxy integrations, CORS, validation, stage, scoped permissions."""

import copy
import json
import re
from pathlib import Path

import pytest
from cdktf import TerraformStack, Testing
from cdktf_cdktf_provider_aws.api_gateway_gateway_response import ApiGatewayGatewayResponse
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from cdktf_cdktf_provider_aws.provider import AwsProvider

from handlers.store.spec import schemas
from handlers.store.spec.routes import DELETED, ROUTES, Access, Route
from handlers.store.spec.schemas import BODIES
from localcloud.gateway import vtl
from stacks.base.config import load
from stacks.store import api as api_module
from stacks.store.api import CONTRACT_ERRORS, Api, ApiProps, permission_source_arn
from stacks.store.store_stack import StoreStack

PATHS = {r.path for r in ROUTES}
REPOSITORY = Path(__file__).resolve().parents[3]
_REF = re.compile(r"\$\{aws_api_gateway_resource\.([^.]+)\.id\}")


def _methods(env, verb=None):
    methods = env.resources("aws_api_gateway_method").values()
    return [m for m in methods if verb is None or m["http_method"] == verb]


def test_a_method_per_route_and_a_preflight_per_resource(env):
    assert len(_methods(env)) == len(ROUTES) + len(PATHS)
    assert len(_methods(env, "OPTIONS")) == len(PATHS)
    assert len(env.resources("aws_api_gateway_resource")) == len(PATHS)
    parts = sorted(r["path_part"] for r in env.resources("aws_api_gateway_resource").values())
    assert parts == ["orders", "products", "users", "{orderId}", "{productId}", "{userId}"]


def test_proxy_integrations_target_the_right_function(env):
    integrations = env.resources("aws_api_gateway_integration")
    proxies = {k: v for k, v in integrations.items() if v["type"] == "AWS_PROXY"}
    assert len(proxies) == len(ROUTES)
    for route in ROUTES:
        slug = f"{route.method.lower()}{route.path.replace('/', '-')}".replace("{", "").replace(
            "}", ""
        )
        found = [v for k, v in proxies.items() if k.startswith(f"api_{slug}-integration")]
        assert len(found) == 1, slug
        assert found[0]["integration_http_method"] == "POST"
        assert f"functions_{route.function}_" in found[0]["uri"]
        assert found[0]["uri"].endswith(".invoke_arn}")


def test_no_validation_at_the_edge_models_document_the_bodies(env):
    # Was: two request validators (bodies and parameters). API Gateway's validation errors do
    # not name the bad field, which the contract requires, so the handlers validate instead.
    assert env.resources("aws_api_gateway_request_validator") == {}
    for method in _methods(env):
        assert "request_validator_id" not in method
    body_methods = [m for m in _methods(env) if "request_models" in m]
    assert len(body_methods) == len([r for r in ROUTES if r.body])


def test_models_are_the_shared_schemas(env):
    models = {m["name"]: m for m in env.resources("aws_api_gateway_model").values()}
    assert set(models) == set(BODIES)
    for name, schema in BODIES.items():
        assert json.loads(models[name]["schema"]) == schema
        assert models[name]["content_type"] == "application/json"


def test_required_parameters_are_declared(env):
    by_key = {
        (m["http_method"], tuple(sorted(m.get("request_parameters", {}).items())))
        for m in _methods(env)
    }
    assert ("GET", (("method.request.querystring.email", True),)) in by_key
    assert (
        "GET",
        (
            ("method.request.querystring.limit", False),
            ("method.request.querystring.nextToken", False),
            ("method.request.querystring.userId", True),
        ),
    ) in by_key
    assert ("POST", (("method.request.header.Idempotency-Key", False),)) in by_key


def test_preflight_is_mock_with_cors_headers(env):
    mocks = [
        v for v in env.resources("aws_api_gateway_integration").values() if v["type"] == "MOCK"
    ]
    # One preflight per resource of the contract: /products, /products/{productId}, /users,
    # /users/{userId}, /orders, /orders/{orderId}.
    assert len(mocks) == 6
    responses = env.resources("aws_api_gateway_integration_response").values()
    assert len(responses) == 6
    for response in responses:
        # Static values of a MOCK integration's response are quoted (API Gateway's syntax).
        assert {
            name.removeprefix("method.response.header."): value
            for name, value in response["response_parameters"].items()
            if "Allow-Origin" not in name
        } == {
            "Access-Control-Allow-Methods": "'GET,POST,PATCH,DELETE,OPTIONS'",
            "Access-Control-Allow-Headers": (
                "'Authorization,Content-Type,Idempotency-Key,X-Amz-Date,X-Amz-Security-Token,"
                "X-Api-Key'"
            ),
            "Access-Control-Max-Age": "'300'",
            "Vary": "'Origin'",
        }


def _render_preflight(template: str, origin: str | None) -> vtl.Rendered:
    headers = {"Origin": origin} if origin else {}
    return vtl.render(template, context={}, request=vtl.Input({}, {}, headers, ""))


@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_preflight_gives_each_allowed_origin_its_own_and_a_foreign_one_none(synths, name):
    env = synths[name]
    for response in env.resources("aws_api_gateway_integration_response").values():
        assert (
            "method.response.header.Access-Control-Allow-Origin"
            not in (response["response_parameters"])
        )
        template = response["response_templates"]["application/json"]
        for origin in env.config.cors_allowed_origins:
            rendered = _render_preflight(template, origin)
            assert rendered.headers == {"Access-Control-Allow-Origin": origin}
            assert rendered.body == ""
        for foreign in (None, "https://evil.example", f"{env.config.cors_allowed_origins[0]}.x"):
            assert _render_preflight(template, foreign).headers == {}


def test_preflight_for_any_origin_is_a_static_star(synths):
    for response in synths["local"].resources("aws_api_gateway_integration_response").values():
        params = response["response_parameters"]
        assert params["method.response.header.Access-Control-Allow-Origin"] == "'*'"
        assert "response_templates" not in response


def test_two_origins_from_the_environment_reach_the_preflight():
    config = load(
        "staging", {"ECOMMERCE_STAGING_CORS_ORIGINS": "https://a.example,https://b.example"}
    )
    synth = json.loads(Testing.synth(StoreStack(Testing.app(), config)))
    response = next(iter(synth["resource"]["aws_api_gateway_integration_response"].values()))
    template = response["response_templates"]["application/json"]
    for origin in ("https://a.example", "https://b.example"):
        assert _render_preflight(template, origin).headers == {
            "Access-Control-Allow-Origin": origin
        }


def test_gateway_errors_carry_cors_and_the_contract_body(env):
    responses = {
        r["response_type"]: r for r in env.resources("aws_api_gateway_gateway_response").values()
    }
    assert set(responses) == {"DEFAULT_4XX", *CONTRACT_ERRORS}
    # A gateway response cannot choose an origin: it copies the request's (foreign ones are
    # blocked by the firewall before they get here), or says "*" where any origin is allowed.
    expected = "'*'" if "*" in env.config.cors_allowed_origins else "method.request.header.Origin"
    for response in responses.values():
        params = response["response_parameters"]
        assert params["gatewayresponse.header.Access-Control-Allow-Origin"] == expected
        assert params["gatewayresponse.header.Vary"] == "'Origin'"
    body = json.loads(responses["BAD_REQUEST_BODY"]["response_templates"]["application/json"])
    assert body["error"]["code"] == "BAD_REQUEST"
    assert responses["REQUEST_TOO_LARGE"]["status_code"] == "413"


@pytest.mark.parametrize(
    "response_type, status, code",
    [
        ("THROTTLED", "429", "TOO_MANY_REQUESTS"),
        ("QUOTA_EXCEEDED", "429", "TOO_MANY_REQUESTS"),
        ("WAF_FILTERED", "403", "FORBIDDEN"),
        ("RESOURCE_NOT_FOUND", "404", "NOT_FOUND"),
        ("DEFAULT_4XX", None, "BAD_REQUEST"),
    ],
)
def test_no_gateway_response_answers_a_bare_message(env, response_type, status, code):
    # API Gateway's own {"message": ...} is not the contract's shape: every 4XX, the stage's
    # throttling included, answers {"error": {"code", "message", "details"}}.
    responses = {
        r["response_type"]: r for r in env.resources("aws_api_gateway_gateway_response").values()
    }
    response = responses[response_type]
    assert response.get("status_code") == status
    body = json.loads(response["response_templates"]["application/json"])
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert all("message" not in json.loads(t) for t in _templates(responses.values()))


def _templates(responses):
    return [t for r in responses for t in (r.get("response_templates") or {}).values()]


def test_gateway_response_templates_are_plain_substitution(env):
    # AWS does not run VTL on gateway response templates: a directive would be sent as written.
    for response in env.resources("aws_api_gateway_gateway_response").values():
        for template in (response.get("response_templates") or {}).values():
            assert "#" not in template


def test_stage_named_after_environment(env):
    stage = env.one("aws_api_gateway_stage")
    assert stage["stage_name"] == env.config.name
    assert stage["xray_tracing_enabled"] is True
    assert "aws_cloudwatch_log_group" in stage["access_log_settings"]["destination_arn"]
    assert "$context.requestId" in stage["access_log_settings"]["format"]
    settings = env.one("aws_api_gateway_method_settings")["settings"]
    assert settings["metrics_enabled"] is True
    assert settings["throttling_rate_limit"] == env.config.api_throttle_rate
    assert settings["throttling_burst_limit"] == env.config.api_throttle_burst


def test_the_account_wide_logging_role_is_not_the_environments(env):
    # One per account and region, owned by ecommerce-account (see test_api_gateway_logging.py).
    assert env.resources("aws_api_gateway_account") == {}
    assert not [r for r in env.resources("aws_iam_role") if "cloudwatch-role" in r]


def test_api_is_replaced_before_it_is_destroyed(env):
    assert env.one("aws_api_gateway_rest_api")["lifecycle"]["create_before_destroy"] is True


def test_deployment_redeploys_on_change(env):
    deployment = env.one("aws_api_gateway_deployment")
    assert re.fullmatch(r"[0-9a-f]{64}", deployment["triggers"]["redeployment"])
    assert deployment["lifecycle"]["create_before_destroy"] is True


def test_the_trigger_holds_the_values_the_snapshot_references(env):
    """A replaced user pool or function changes the authorizer's provider ARNs or an
    integration's URI, not the configuration's hash: the trigger holds those values too, as
    expressions Terraform resolves at apply, so the stage never keeps serving the old ones."""
    references = env.one("aws_api_gateway_deployment")["triggers"]["references"].split("\n")
    [authorizer] = env.resources("aws_api_gateway_authorizer")
    proxies = [
        key
        for key, integration in env.resources("aws_api_gateway_integration").items()
        if integration["type"] == "AWS_PROXY"
    ]
    assert len(proxies) == len(ROUTES)
    assert sorted(references) == sorted(
        [
            f'${{join(",", sort(tolist(aws_api_gateway_authorizer.{authorizer}.provider_arns)))}}',
            *(f"${{aws_api_gateway_integration.{key}.uri}}" for key in proxies),
        ]
    )


def _trigger(stack: StoreStack) -> str:
    synth = json.loads(Testing.synth(stack))
    deployment = next(iter(synth["resource"]["aws_api_gateway_deployment"].values()))
    return deployment["triggers"]["redeployment"]


@pytest.fixture(scope="module")
def dev_trigger() -> str:
    """The dev deployment's trigger, unchanged."""
    return _trigger(StoreStack(Testing.app(), load("dev", {})))


def test_trigger_is_stable_when_nothing_changes(dev_trigger):
    assert _trigger(StoreStack(Testing.app(), load("dev", {}))) == dev_trigger


def test_a_schema_change_redeploys(dev_trigger, monkeypatch):
    bodies = copy.deepcopy(schemas.BODIES)
    bodies["ProductCreate"]["properties"]["name"]["maxLength"] = 201
    monkeypatch.setattr(schemas, "BODIES", bodies)
    assert _trigger(StoreStack(Testing.app(), load("dev", {}))) != dev_trigger


def test_a_gateway_response_or_method_change_redeploys(dev_trigger, monkeypatch):
    errors = dict(CONTRACT_ERRORS)
    errors["DEFAULT_5XX"] = (None, "INTERNAL", "Something else.")
    monkeypatch.setattr(api_module, "CONTRACT_ERRORS", errors)
    assert _trigger(StoreStack(Testing.app(), load("dev", {}))) != dev_trigger
    monkeypatch.undo()
    # A method-level setting: the methods the preflights (and gateway responses) allow.
    monkeypatch.setattr(api_module, "CORS_ALLOW_METHODS", "GET,OPTIONS")
    assert _trigger(StoreStack(Testing.app(), load("dev", {}))) != dev_trigger


def test_resources_added_after_the_deployment_are_covered(dev_trigger):
    # As an authorizer or a gateway response added later to the construct would be.
    stack = StoreStack(Testing.app(), load("dev", {}))
    ApiGatewayGatewayResponse(
        stack.api,
        "gateway-added-later",
        rest_api_id=stack.api.rest_api.id,
        response_type="QUOTA_EXCEEDED",
        status_code="429",
    )
    assert _trigger(stack) != dev_trigger


def test_what_the_deployment_waits_for(env):
    deployment = env.one("aws_api_gateway_deployment")
    waits = set(deployment["depends_on"])
    for kind in (
        "aws_api_gateway_method",
        "aws_api_gateway_integration",
        "aws_api_gateway_method_response",
        "aws_api_gateway_integration_response",
        "aws_api_gateway_gateway_response",
        "aws_api_gateway_model",
        "aws_api_gateway_resource",
    ):
        ids = {f"{kind}.{key}" for key in env.resources(kind)}
        assert ids and ids <= waits, kind
    stage = env.one("aws_api_gateway_stage")
    assert stage["deployment_id"].startswith("${aws_api_gateway_deployment.")


def test_permissions_scoped_to_each_route(env):
    permissions = list(env.resources("aws_lambda_permission").values())
    assert len(permissions) == len(ROUTES)
    for permission in permissions:
        assert permission["principal"] == "apigateway.amazonaws.com"
        assert permission["source_arn"].startswith("${aws_api_gateway_rest_api.")
        assert ".execution_arn}/*/" in permission["source_arn"]
        assert not permission["source_arn"].endswith("/*/*")


@pytest.mark.parametrize(
    ("index", "expected"),
    [(0, "arn/*/POST/products"), (2, "arn/*/GET/products/*"), (13, "arn/*/PATCH/orders/*")],
)
def test_permission_source_arn(index, expected):
    assert permission_source_arn("arn", ROUTES[index]) == expected


def method_paths(synth: dict) -> dict[tuple[str, str], dict]:
    """Every synthesized method by (HTTP method, path), the path rebuilt from its resources."""
    resources = synth["resource"]["aws_api_gateway_resource"]

    def path_of(reference: str) -> str:
        found = _REF.fullmatch(reference)
        if found is None:
            return ""  # the API's root resource
        resource = resources[found.group(1)]
        return f"{path_of(resource['parent_id'])}/{resource['path_part']}"

    methods = {}
    for method in synth["resource"]["aws_api_gateway_method"].values():
        key = (method["http_method"], path_of(method["resource_id"]))
        assert key not in methods, key
        methods[key] = method
    return methods


def test_one_cognito_authorizer_on_the_pool(env):
    authorizer = env.one("aws_api_gateway_authorizer")
    assert authorizer["type"] == "COGNITO_USER_POOLS"
    pool_arn = env.json["output"]["UserPoolArn"]["value"]
    assert authorizer["provider_arns"] == [pool_arn]
    assert authorizer["identity_source"] == "method.request.header.Authorization"
    assert authorizer["rest_api_id"].startswith("${aws_api_gateway_rest_api.")
    # ID tokens carry no scopes; a validation expression would be checked before the signature.
    assert "identity_validation_expression" not in authorizer


def test_every_method_has_the_authorization_its_route_requires(env):
    """Derived from the route table: a route cannot ship without the sign-in its access needs."""
    methods = method_paths(env.json)
    authorizer = next(iter(env.resources("aws_api_gateway_authorizer")))
    by_key = {(r.method, r.path): r for r in ROUTES}
    for key, method in methods.items():
        if key[0] == "OPTIONS":
            assert method["authorization"] == "NONE" and "authorizer_id" not in method, key
            continue
        route = by_key.pop(key)  # KeyError: a method that no route declares
        if route.signed_in:
            assert method["authorization"] == "COGNITO_USER_POOLS", key
            assert method["authorizer_id"] == f"${{aws_api_gateway_authorizer.{authorizer}.id}}"
        else:
            assert method["authorization"] == "NONE" and "authorizer_id" not in method, key
        assert "authorization_scopes" not in method and "api_key_required" not in method
    assert not by_key, f"routes without a method: {sorted(by_key)}"
    open_methods = sorted(k for k, m in methods.items() if m["authorization"] == "NONE")
    assert [k for k in open_methods if k[0] != "OPTIONS"] == [
        ("GET", "/products"),
        ("GET", "/products/{productId}"),
    ]


def test_sign_in_errors_in_the_contract_shape(env):
    responses = {
        r["response_type"]: r for r in env.resources("aws_api_gateway_gateway_response").values()
    }
    expected = {
        "UNAUTHORIZED": ("401", "UNAUTHORIZED"),
        "EXPIRED_TOKEN": ("401", "UNAUTHORIZED"),
        "ACCESS_DENIED": ("403", "FORBIDDEN"),
        "MISSING_AUTHENTICATION_TOKEN": ("404", "NOT_FOUND"),
    }
    # Gateway responses cannot choose an origin: they copy the request's (the firewall blocks
    # foreign ones first), or say "*" where every origin is allowed.
    origin = "'*'" if "*" in env.config.cors_allowed_origins else "method.request.header.Origin"
    for response_type, (status, code) in expected.items():
        response = responses[response_type]
        assert response["status_code"] == status
        body = json.loads(response["response_templates"]["application/json"])
        assert body["error"]["code"] == code and body["error"]["details"] == []
        headers = response["response_parameters"]
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == origin
        assert "Authorization" in headers["gatewayresponse.header.Access-Control-Allow-Headers"]


def _route(method, path, operation_id, access):
    """A route of the products function that no real table has."""
    return Route(method, path, "products", operation_id, access, summary="Test.", success=DELETED)


def _api_stack(routes, user_pool_arns):
    stack = TerraformStack(Testing.app(), "api-only")
    AwsProvider(stack, "aws", region="us-east-1")
    function = LambdaFunction(
        stack,
        "fn",
        function_name="fn",
        role="arn:aws:iam::123456789012:role/fn",
        handler="fn.handler",
        runtime="python3.12",
        filename="fn.zip",
    )
    props = ApiProps(
        prefix="t",
        stage_name="t",
        partition="aws",
        functions={"products": function},
        cors_allowed_origins=("*",),
        throttle_rate=1,
        throttle_burst=1,
        log_retention_days=1,
        kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/k",
        routes=routes,
        bodies={},
        user_pool_arns=user_pool_arns,
    )
    return stack, props


def test_a_new_route_gets_the_sign_in_its_access_needs():
    routes = (
        _route("GET", "/reports", "getReports", Access.ADMIN),
        _route("GET", "/catalogue", "getCatalogue", Access.ANYONE),
    )
    stack, props = _api_stack(routes, ("arn:aws:cognito-idp:us-east-1:123456789012:userpool/p",))
    Api(stack, "api", props)
    methods = method_paths(json.loads(Testing.synth(stack)))
    assert methods["GET", "/reports"]["authorization"] == "COGNITO_USER_POOLS"
    assert methods["GET", "/catalogue"]["authorization"] == "NONE"


def test_a_signed_in_route_without_a_pool_fails_synth():
    stack, props = _api_stack((_route("DELETE", "/reports", "deleteReports", Access.CUSTOMER),), ())
    with pytest.raises(ValueError, match="user_pool_arns is empty, but DELETE /reports need"):
        Api(stack, "api", props)


def test_no_authorizer_when_no_route_needs_sign_in():
    stack, props = _api_stack((_route("GET", "/catalogue", "c", Access.ANYONE),), ())
    assert Api(stack, "api", props).authorizer is None
    assert "aws_api_gateway_authorizer" not in json.loads(Testing.synth(stack))["resource"]


def test_checkov_accepts_open_access_only_on_the_routes_open_by_contract(env):
    # .checkov.baseline accepts CKV_AWS_59 per resource: exactly the methods of the route table's
    # open rows, so any other method without an authorizer fails checkov.
    baseline = json.loads((REPOSITORY / ".checkov.baseline").read_text(encoding="utf-8"))
    (entry,) = baseline["failed_checks"]
    assert entry["file"] == "/cdk.tf.json"
    assert all(finding["check_ids"] == ["CKV_AWS_59"] for finding in entry["findings"])
    accepted = {finding["resource"] for finding in entry["findings"]}
    methods = env.resources("aws_api_gateway_method")
    paths = {id(m): key for key, m in method_paths(env.json).items()}
    assert {paths[id(methods[name.removeprefix("resource.")])] for name in accepted} == {
        (r.method, r.path) for r in ROUTES if not r.signed_in
    }
