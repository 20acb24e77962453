"""The deployed REST API: each route integrates with the function the outputs name; alarms."""

import pytest

from handlers.store.spec.routes import ROUTES


@pytest.fixture(scope="module")
def resources(aws, outputs):
    """The API's resources (with their methods), by path."""
    items = aws("apigateway").get_resources(
        restApiId=outputs["ApiGatewayId"], limit=500, embed=["methods"]
    )["items"]
    return {item["path"]: item for item in items}


def test_root_resource(resources, outputs):
    assert resources["/"]["id"] == outputs["ApiGatewayRootResourceId"]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_route_integrates_with_its_function(aws, outputs, resources, route):
    resource = resources[route.path]
    integration = aws("apigateway").get_integration(
        restApiId=outputs["ApiGatewayId"], resourceId=resource["id"], httpMethod=route.method
    )
    assert integration["type"] == "AWS_PROXY"
    assert integration["uri"] == outputs[f"{route.function.capitalize()}LambdaInvokeArn"]


@pytest.mark.parametrize("path", sorted({r.path for r in ROUTES}))
def test_preflight_is_a_mock(aws, outputs, resources, path):
    integration = aws("apigateway").get_integration(
        restApiId=outputs["ApiGatewayId"], resourceId=resources[path]["id"], httpMethod="OPTIONS"
    )
    assert integration["type"] == "MOCK"


def test_body_routes_document_their_model_and_the_edge_validates_nothing(aws, outputs, resources):
    # Was: validated at the edge. API Gateway's validation errors cannot name the bad field
    # (the contract requires it), so the handlers validate; the models still document each body.
    api_id = outputs["ApiGatewayId"]
    assert aws("apigateway").get_request_validators(restApiId=api_id)["items"] == []
    for route in (r for r in ROUTES if r.body):
        method = aws("apigateway").get_method(
            restApiId=api_id, resourceId=resources[route.path]["id"], httpMethod=route.method
        )
        assert "requestValidatorId" not in method
        assert method["requestModels"] == {"application/json": route.body}


def test_stage(aws, outputs):
    stage = aws("apigateway").get_stage(
        restApiId=outputs["ApiGatewayId"], stageName=outputs["ApiGatewayStageName"]
    )
    assert stage["tracingEnabled"] is True
    assert stage["accessLogSettings"]["destinationArn"]


def test_alarms_exist(aws, config):
    alarms = aws("cloudwatch").describe_alarms(AlarmNamePrefix=f"{config.prefix}-")["MetricAlarms"]
    names = {a["AlarmName"] for a in alarms}
    for function in ("products", "users", "orders"):
        assert f"{config.prefix}-{function}-errors" in names
    assert f"{config.prefix}-api-5xx" in names
    for alarm in alarms:
        assert bool(alarm["AlarmActions"]) is config.alarms_to_sns


@pytest.fixture(scope="module")
def authorizer(aws, outputs):
    """The API's one authorizer."""
    items = aws("apigateway").get_authorizers(restApiId=outputs["ApiGatewayId"])["items"]
    assert len(items) == 1, items
    return items[0]


def test_the_authorizer_checks_the_stacks_user_pool(authorizer, outputs):
    assert authorizer["type"] == "COGNITO_USER_POOLS"
    assert authorizer["providerARNs"] == [outputs["UserPoolArn"]]
    assert authorizer["identitySource"] == "method.request.header.Authorization"
    assert outputs["UserPoolArn"].endswith(f"/{outputs['UserPoolId']}")


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_method_authorization_is_the_route_tables(aws, outputs, resources, authorizer, route):
    method = aws("apigateway").get_method(
        restApiId=outputs["ApiGatewayId"],
        resourceId=resources[route.path]["id"],
        httpMethod=route.method,
    )
    if route.signed_in:
        assert method["authorizationType"] == "COGNITO_USER_POOLS"
        assert method["authorizerId"] == authorizer["id"]
    else:
        assert method["authorizationType"] == "NONE"
        assert not method.get("authorizerId")
    assert not method.get("authorizationScopes") and not method.get("apiKeyRequired")


def test_every_deployed_method_is_a_route_or_an_open_preflight(resources):
    declared = {(r.method, r.path) for r in ROUTES}
    for path, resource in resources.items():
        for verb, method in (resource.get("resourceMethods") or {}).items():
            if verb == "OPTIONS":
                assert method.get("authorizationType", "NONE") == "NONE", path
            else:
                assert (verb, path) in declared


def test_alarm_topic_is_the_output(aws, outputs, config):
    topic = aws("sns").get_topic_attributes(TopicArn=outputs["AlarmTopicArn"])["Attributes"]
    assert topic["TopicArn"].endswith(f":{config.prefix}-alarms")
    subscriptions = aws("sns").list_subscriptions_by_topic(TopicArn=outputs["AlarmTopicArn"])
    endpoints = {s["Endpoint"] for s in subscriptions["Subscriptions"]}
    expected = set(config.alarm_emails) | (
        {config.alarm_https_endpoint} if config.alarm_https_endpoint else set()
    )
    assert endpoints == expected
