"""The REST API: a resource and method per route of the contract, proxied to the functions."""

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

import jsii
from cdktf import (
    Fn,
    IResolveContext,
    IStringProducer,
    Lazy,
    TerraformResource,
    TerraformResourceLifecycle,
)
from cdktf_cdktf_provider_aws.api_gateway_authorizer import ApiGatewayAuthorizer
from cdktf_cdktf_provider_aws.api_gateway_deployment import ApiGatewayDeployment
from cdktf_cdktf_provider_aws.api_gateway_gateway_response import ApiGatewayGatewayResponse
from cdktf_cdktf_provider_aws.api_gateway_integration import ApiGatewayIntegration
from cdktf_cdktf_provider_aws.api_gateway_integration_response import (
    ApiGatewayIntegrationResponse,
)
from cdktf_cdktf_provider_aws.api_gateway_method import ApiGatewayMethod
from cdktf_cdktf_provider_aws.api_gateway_method_response import ApiGatewayMethodResponse
from cdktf_cdktf_provider_aws.api_gateway_method_settings import (
    ApiGatewayMethodSettings,
    ApiGatewayMethodSettingsSettings,
)
from cdktf_cdktf_provider_aws.api_gateway_model import ApiGatewayModel
from cdktf_cdktf_provider_aws.api_gateway_resource import ApiGatewayResource
from cdktf_cdktf_provider_aws.api_gateway_rest_api import (
    ApiGatewayRestApi,
    ApiGatewayRestApiEndpointConfiguration,
)
from cdktf_cdktf_provider_aws.api_gateway_stage import (
    ApiGatewayStage,
    ApiGatewayStageAccessLogSettings,
)
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from constructs import Construct

from handlers.store.spec import cors, schemas
from handlers.store.spec import routes as route_table

CORS_ALLOW_HEADERS = ",".join(cors.ALLOW_HEADERS)
CORS_ALLOW_METHODS = ",".join(cors.ALLOW_METHODS)
# Resources under the construct that a deployment does not snapshot (everything else of
# API Gateway's does, so it is hashed into the deployment's trigger).
NOT_SNAPSHOTTED = frozenset(
    (
        "aws_api_gateway_account",
        "aws_api_gateway_deployment",
        "aws_api_gateway_method_settings",
        "aws_api_gateway_stage",
    )
)
# Errors raised by API Gateway itself, answered in the contract's error shape.
CONTRACT_ERRORS = {
    "BAD_REQUEST_BODY": ("400", "BAD_REQUEST", "The request body does not match its schema."),
    "BAD_REQUEST_PARAMETERS": ("400", "BAD_REQUEST", "A required request parameter is missing."),
    "REQUEST_TOO_LARGE": ("413", "PAYLOAD_TOO_LARGE", "The request body is too large."),
    # Sign-in (the contract's "Who may call what"): no token, or one that fails a check.
    "UNAUTHORIZED": ("401", "UNAUTHORIZED", "Sign in: a valid ID token is required."),
    "EXPIRED_TOKEN": ("401", "UNAUTHORIZED", "The ID token has expired; sign in again."),
    "ACCESS_DENIED": ("403", "FORBIDDEN", "Access denied."),
    # API Gateway's answer to a method or path the API does not have.
    "MISSING_AUTHENTICATION_TOKEN": ("404", "NOT_FOUND", "No such resource."),
    "RESOURCE_NOT_FOUND": ("404", "NOT_FOUND", "No such resource."),
    # The stage's throttling (and usage plans' quotas, should one ever apply).
    "THROTTLED": ("429", "TOO_MANY_REQUESTS", "Too many requests; try again shortly."),
    "QUOTA_EXCEEDED": ("429", "TOO_MANY_REQUESTS", "Too many requests; try again later."),
    # A block by the firewall that carries no custom response of its own (every rule of the
    # stack's has one: see stacks/store/firewall.py), and API Gateway's other refusals.
    "WAF_FILTERED": ("403", "FORBIDDEN", "The request was refused by the firewall."),
    "INVALID_API_KEY": ("403", "FORBIDDEN", "Access denied."),
    "INVALID_SIGNATURE": ("403", "FORBIDDEN", "Access denied."),
    "DEFAULT_5XX": (None, "INTERNAL", "Internal server error."),
}
DEFAULT_4XX_BODY = {
    "error": {"code": "BAD_REQUEST", "message": "The request was refused.", "details": []}
}
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "latency": "$context.responseLatency",
        "integrationLatency": "$context.integrationLatency",
        "errorMessage": "$context.error.message",
        "xrayTraceId": "$context.xrayTraceId",
    }
)


@dataclass(frozen=True)
class ApiProps:
    """Inputs of ``Api``."""

    prefix: str
    stage_name: str
    partition: str
    functions: Mapping[str, LambdaFunction]
    cors_allowed_origins: tuple[str, ...]
    throttle_rate: float
    throttle_burst: int
    log_retention_days: int
    kms_key_arn: str
    routes: tuple[route_table.Route, ...] = route_table.ROUTES
    bodies: Mapping[str, dict] | None = None
    # The Cognito user pools whose ID tokens sign a caller in (needed by any signed-in route).
    user_pool_arns: tuple[str, ...] = ()


def model_name(body: str) -> str:
    """API Gateway model names are alphanumeric."""
    return re.sub(r"[^A-Za-z0-9]", "", body)


def construct_slug(method: str, path: str) -> str:
    """``GET /products/{productId}`` -> ``get-products-productId``: a construct id per method."""
    return f"{method.lower()}{path.replace('/', '-')}".replace("{", "").replace("}", "")


def permission_source_arn(execution_arn: str, route: route_table.Route) -> str:
    """The execute-api ARN of one route on any stage: path parameters become wildcards."""
    path = re.sub(r"\{[^}]+\}", "*", route.path)
    return f"{execution_arn}/*/{route.method}{path}"


class Api(Construct):
    """A regional REST API serving the route table of ``handlers/store/spec/routes.py``.

    Each route is a method with a Lambda proxy integration. Its request model (the JSON Schema
    the handler validates with) and parameters document it, but API Gateway validates nothing:
    its validation errors cannot name the bad field, which the contract requires, so the handler
    validates and names each one. Every resource answers CORS preflight from a MOCK integration
    that gives each allowed origin its own origin back; API Gateway's own errors carry the CORS
    headers (and, where the contract has a code for them, its error body). Routes whose
    access needs sign-in go through one Cognito user pool authorizer; the others are open. The
    stage is named after the environment, with JSON access logs, X-Ray, metrics and throttling;
    its deployment is redeployed whenever anything a deployment snapshots changes. Each function
    may be invoked only by its own routes of this API. Stage logging relies on API Gateway's
    account-wide CloudWatch role, which ``ecommerce-account`` sets once per account and region.
    """

    def __init__(self, scope: Construct, construct_id: str, props: ApiProps):
        super().__init__(scope, construct_id)
        self.props = props
        bodies = props.bodies if props.bodies is not None else schemas.BODIES
        self.rest_api = ApiGatewayRestApi(
            self,
            "api",
            name=f"{props.prefix}-api",
            description="Store API: products, users, orders",
            endpoint_configuration=ApiGatewayRestApiEndpointConfiguration(types=["REGIONAL"]),
            # A replacement API is built before the old one goes, so clients see no gap.
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        self.models = {
            name: ApiGatewayModel(
                self,
                f"model-{name}",
                rest_api_id=self.rest_api.id,
                name=model_name(name),
                content_type="application/json",
                schema=json.dumps(schema),
            )
            for name, schema in bodies.items()
        }
        self.resources: dict[str, ApiGatewayResource] = {}
        self.methods: list = []
        self.authorizer = self._authorizer()
        for route in props.routes:
            self._route(route)
        for path in sorted(self.resources):
            self._preflight(path)
        self._gateway_responses()
        self._stage()

    @property
    def any_origin(self) -> bool:
        """Whether every origin is allowed ("*")."""
        return "*" in self.props.cors_allowed_origins

    def _resource(self, path: str) -> str:
        if path == "/":
            return self.rest_api.root_resource_id
        if path not in self.resources:
            parent, _, part = path.rpartition("/")
            self.resources[path] = ApiGatewayResource(
                self,
                construct_slug("resource", path),
                rest_api_id=self.rest_api.id,
                parent_id=self._resource(parent or "/"),
                path_part=part,
            )
        return self.resources[path].id

    def _route(self, route: route_table.Route) -> None:
        resource_id = self._resource(route.path)
        slug = construct_slug(route.method, route.path)
        parameters = {f"method.request.path.{name}": True for name in route.path_parameters}
        parameters |= {f"method.request.querystring.{q.name}": q.required for q in route.query}
        parameters |= {f"method.request.header.{h.name}": h.required for h in route.headers}
        method = ApiGatewayMethod(
            self,
            slug,
            rest_api_id=self.rest_api.id,
            resource_id=resource_id,
            http_method=route.method,
            **self._authorization(route),
            request_parameters=parameters or None,
            request_models={"application/json": self.models[route.body].name}
            if route.body
            else None,
        )
        function = self.props.functions[route.function]
        integration = self._integration(
            method,
            slug,
            resource_id,
            type="AWS_PROXY",
            integration_http_method="POST",
            uri=function.invoke_arn,
        )
        LambdaPermission(
            self,
            f"{slug}-permission",
            statement_id=f"invoke-{slug}",
            action="lambda:InvokeFunction",
            function_name=function.function_name,
            principal="apigateway.amazonaws.com",
            source_arn=permission_source_arn(self.rest_api.execution_arn, route),
        )
        self.methods += [method, integration]

    def _integration(
        self, method: ApiGatewayMethod, slug: str, resource_id: str, **how: str | dict[str, str]
    ) -> ApiGatewayIntegration:
        """The integration of ``method``: ``how`` says what kind and where it goes."""
        return ApiGatewayIntegration(
            self,
            f"{slug}-integration",
            rest_api_id=self.rest_api.id,
            resource_id=resource_id,
            http_method=method.http_method,
            **how,
        )

    def _authorizer(self) -> ApiGatewayAuthorizer | None:
        """The API's one Cognito user pool authorizer (None when no route needs sign-in).

        It reads the ID token from the Authorization header and checks it against the pools'
        keys, issuer, app clients, ``token_use`` and expiry before any function runs.
        """
        signed_in = [f"{r.method} {r.path}" for r in self.props.routes if r.signed_in]
        if not signed_in:
            return None
        if not self.props.user_pool_arns:
            raise ValueError(
                f"ApiProps.user_pool_arns is empty, but {', '.join(signed_in)} need sign-in"
            )
        authorizer = ApiGatewayAuthorizer(
            self,
            "authorizer",
            name=f"{self.props.prefix}-cognito",
            rest_api_id=self.rest_api.id,
            type="COGNITO_USER_POOLS",
            provider_arns=list(self.props.user_pool_arns),
            identity_source="method.request.header.Authorization",
        )
        self.methods.append(authorizer)
        return authorizer

    def _authorization(self, route: route_table.Route) -> dict[str, str]:
        """A method's authorization, from its route's access: the authorizer, or none."""
        if route.signed_in and self.authorizer is not None:
            return {"authorization": "COGNITO_USER_POOLS", "authorizer_id": self.authorizer.id}
        return {"authorization": "NONE"}

    def _cors_headers(self, prefix: str, origin: str | None) -> dict[str, str]:
        headers = {
            f"{prefix}.header.Access-Control-Allow-Headers": f"'{CORS_ALLOW_HEADERS}'",
            f"{prefix}.header.Access-Control-Allow-Methods": f"'{CORS_ALLOW_METHODS}'",
            f"{prefix}.header.Access-Control-Max-Age": f"'{cors.MAX_AGE_SECONDS}'",
            f"{prefix}.header.Vary": "'Origin'",
        }
        if origin:
            headers[f"{prefix}.header.Access-Control-Allow-Origin"] = origin
        return headers

    def _preflight(self, path: str) -> None:
        resource_id = self.resources[path].id
        slug = construct_slug("OPTIONS", path)
        method = ApiGatewayMethod(
            self,
            slug,
            rest_api_id=self.rest_api.id,
            resource_id=resource_id,
            http_method="OPTIONS",
            authorization="NONE",
        )
        integration = self._integration(
            method,
            slug,
            resource_id,
            type="MOCK",
            request_templates={"application/json": '{"statusCode": 204}'},
        )
        response = ApiGatewayMethodResponse(
            self,
            f"{slug}-response",
            rest_api_id=self.rest_api.id,
            resource_id=resource_id,
            http_method=method.http_method,
            status_code="204",
            response_parameters=dict.fromkeys(self._cors_headers("method.response", "'*'"), True),
        )
        integration_response = ApiGatewayIntegrationResponse(
            self,
            f"{slug}-integration-response",
            rest_api_id=self.rest_api.id,
            resource_id=resource_id,
            http_method=method.http_method,
            status_code=response.status_code,
            response_parameters=self._cors_headers(
                "method.response", "'*'" if self.any_origin else None
            ),
            response_templates=None
            if self.any_origin
            else {"application/json": cors.preflight_template(self.props.cors_allowed_origins)},
            depends_on=[integration],
        )
        self.methods += [method, integration, response, integration_response]

    def _gateway_responses(self) -> None:
        # A gateway response template is not run by VTL (only simple variable substitution), so
        # it cannot choose an origin; its headers can only be fixed or copy a request header.
        # With a list of origins it copies the request's Origin, and the firewall blocks every
        # request whose Origin is not on the list before it reaches API Gateway (see Firewall).
        headers = self._cors_headers(
            "gatewayresponse", "'*'" if self.any_origin else "method.request.header.Origin"
        )
        self.methods.append(
            ApiGatewayGatewayResponse(
                self,
                "gateway-4xx",
                rest_api_id=self.rest_api.id,
                response_type="DEFAULT_4XX",
                response_parameters=headers,
                # Any other refusal of API Gateway's keeps its own status, in the contract's shape.
                response_templates={"application/json": json.dumps(DEFAULT_4XX_BODY)},
            )
        )
        for response_type, (status, code, message) in CONTRACT_ERRORS.items():
            body = {"error": {"code": code, "message": message, "details": []}}
            self.methods.append(
                ApiGatewayGatewayResponse(
                    self,
                    f"gateway-{response_type.lower().replace('_', '-')}",
                    rest_api_id=self.rest_api.id,
                    response_type=response_type,
                    status_code=status,
                    response_parameters=headers,
                    response_templates={"application/json": json.dumps(body)},
                )
            )

    def snapshotted(self) -> list[TerraformResource]:
        """Every resource of this API that a deployment snapshots: all of API Gateway's under
        this construct but the deployment, the stage and their settings."""
        return [
            child
            for child in self.node.find_all()
            if isinstance(child, TerraformResource)
            and child.terraform_resource_type.startswith("aws_api_gateway_")
            and child.terraform_resource_type not in NOT_SNAPSHOTTED
        ]

    def _stage(self) -> None:
        props = self.props
        self.deployment = ApiGatewayDeployment(
            self,
            "deployment",
            rest_api_id=self.rest_api.id,
            # A deployment is a snapshot: AWS serves the stage from it until a new one is made.
            # Hashing the synthesized configuration of everything it snapshots (references kept
            # symbolic, so it is stable across applies) makes any content change redeploy; the
            # values those references point to (the authorizer's user pools, the integrations'
            # functions) are in the trigger too, resolved by Terraform at apply, so a replaced
            # pool or function redeploys as well.
            triggers={
                "redeployment": Lazy.string_value(_SnapshotHash(self)),
                "references": Lazy.string_value(_SnapshotReferences(self)),
            },
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
            depends_on=[r for r in self.snapshotted() if r is not self.rest_api],
        )
        self.access_logs = CloudwatchLogGroup(
            self,
            "access-logs",
            name=f"/aws/apigateway/{props.prefix}-api/access",
            retention_in_days=props.log_retention_days,
            kms_key_id=props.kms_key_arn,
        )
        self.stage = ApiGatewayStage(
            self,
            "stage",
            rest_api_id=self.rest_api.id,
            deployment_id=self.deployment.id,
            stage_name=props.stage_name,
            xray_tracing_enabled=True,
            access_log_settings=ApiGatewayStageAccessLogSettings(
                destination_arn=self.access_logs.arn, format=ACCESS_LOG_FORMAT
            ),
        )
        ApiGatewayMethodSettings(
            self,
            "stage-settings",
            rest_api_id=self.rest_api.id,
            stage_name=self.stage.stage_name,
            method_path="*/*",
            settings=ApiGatewayMethodSettingsSettings(
                metrics_enabled=True,
                logging_level="ERROR",
                data_trace_enabled=False,
                throttling_rate_limit=props.throttle_rate,
                throttling_burst_limit=props.throttle_burst,
            ),
        )


@jsii.implements(IStringProducer)
class _SnapshotHash:  # pylint: disable=too-few-public-methods  # a jsii producer
    """SHA-256 of the synthesized configuration of ``api.snapshotted()``, computed at synth so
    that resources added to the construct after the deployment are covered too."""

    def __init__(self, api: Api):
        self.api = api

    def produce(self, context: IResolveContext) -> str:
        """The hash."""
        config = [context.resolve(r.to_terraform()) for r in self.api.snapshotted()]
        return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()


@jsii.implements(IStringProducer)
class _SnapshotReferences:  # pylint: disable=too-few-public-methods  # a jsii producer
    """The values the snapshot points to but does not hold: each authorizer's provider ARNs and
    each integration's URI, as Terraform expressions (one per line), so that a change of what
    they reference changes the trigger even though the configuration, and its hash, does not."""

    def __init__(self, api: Api):
        self.api = api

    def produce(self, _context: IResolveContext) -> str:
        """The expressions, in the order of ``api.snapshotted()``."""
        values = []
        for resource in self.api.snapshotted():
            if isinstance(resource, ApiGatewayAuthorizer):
                values.append(Fn.join(",", Fn.sort(resource.provider_arns)))
            elif isinstance(resource, ApiGatewayIntegration) and resource.uri_input:
                values.append(resource.uri)
        return "\n".join(values)
