"""The deployed REST API, read back from the emulator with boto3 (never from project source)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

LAMBDA_URI = re.compile(
    r"^arn:aws[\w-]*:apigateway:(?P<region>[\w-]+):lambda:path/[\d-]+/functions/"
    r"(?P<function_arn>arn:aws[\w-]*:lambda:[\w-]+:\d+:function:[^/:]+(?::[^/]+)?)/invocations$"
)


@dataclass
class Integration:
    """A method's integration (AWS_PROXY and MOCK are served; others are refused)."""

    type: str
    uri: str = ""
    timeout_ms: int = 29000
    request_templates: dict[str, str] = field(default_factory=dict)
    responses: dict[str, dict] = field(default_factory=dict)

    @property
    def function_arn(self) -> str | None:
        """The Lambda function an AWS_PROXY integration calls."""
        match = LAMBDA_URI.match(self.uri or "")
        return match.group("function_arn") if match else None

    @property
    def function_name(self) -> str | None:
        """The name of that function."""
        arn = self.function_arn
        return arn.split(":")[6] if arn else None


@dataclass
class RequestValidator:
    """Which parts of a request API Gateway validates for a method."""

    name: str
    body: bool
    parameters: bool


@dataclass
class Method:
    """One HTTP method of a resource."""

    http_method: str
    authorization_type: str = "NONE"
    authorizer_id: str | None = None
    authorization_scopes: list[str] = field(default_factory=list)
    api_key_required: bool = False
    validator: RequestValidator | None = None
    request_models: dict[str, str] = field(default_factory=dict)
    request_parameters: dict[str, bool] = field(default_factory=dict)
    integration: Integration | None = None


@dataclass
class Authorizer:
    """An authorizer of the API, as deployed."""

    id: str
    name: str
    type: str
    provider_arns: list[str] = field(default_factory=list)
    identity_source: str = ""
    identity_validation_expression: str = ""


@dataclass
class Resource:
    """A resource of the API: a path and its methods."""

    id: str
    path: str
    path_part: str
    parent_id: str | None
    methods: dict[str, Method] = field(default_factory=dict)
    children: list[Resource] = field(default_factory=list)


@dataclass
class DeployedApi:
    """Everything the gateway needs to serve one REST API."""

    id: str
    name: str
    region: str
    binary_media_types: list[str]
    root: Resource
    resources: dict[str, Resource]
    stages: dict[str, dict[str, str]]
    models: dict[str, dict]
    gateway_responses: dict[str, dict]
    authorizers: dict[str, Authorizer] = field(default_factory=dict)

    def function_names(self) -> set[str]:
        """Names of the functions behind AWS_PROXY integrations."""
        names = set()
        for resource in self.resources.values():
            for method in resource.methods.values():
                integ = method.integration
                if integ and integ.type == "AWS_PROXY" and integ.function_name:
                    names.add(integ.function_name)
        return names


def _pages(call, key: str, **kwargs):
    position = None
    while True:
        page = call(**kwargs, limit=500, **({"position": position} if position else {}))
        yield from page.get(key, [])
        position = page.get("position")
        if not position:
            return


def _method(data: dict, validators: dict[str, RequestValidator]) -> Method:
    integration = None
    raw = data.get("methodIntegration")
    if raw:
        integration = Integration(
            type=raw.get("type", ""),
            uri=raw.get("uri", ""),
            timeout_ms=int(raw.get("timeoutInMillis") or 29000),
            request_templates={k: v or "" for k, v in (raw.get("requestTemplates") or {}).items()},
            responses=dict(raw.get("integrationResponses") or {}),
        )
    return Method(
        http_method=data["httpMethod"],
        authorization_type=data.get("authorizationType") or "NONE",
        authorizer_id=data.get("authorizerId") or None,
        authorization_scopes=list(data.get("authorizationScopes") or []),
        api_key_required=bool(data.get("apiKeyRequired")),
        validator=validators.get(data.get("requestValidatorId") or ""),
        request_models=dict(data.get("requestModels") or {}),
        request_parameters=dict(data.get("requestParameters") or {}),
        integration=integration,
    )


def load_authorizers(apigateway, api_id: str) -> dict[str, Authorizer]:
    """The API's authorizers, by id."""
    return {
        item["id"]: Authorizer(
            id=item["id"],
            name=item.get("name") or "",
            type=item.get("type") or "",
            provider_arns=list(item.get("providerARNs") or []),
            identity_source=item.get("identitySource") or "",
            identity_validation_expression=item.get("identityValidationExpression") or "",
        )
        for item in _pages(apigateway.get_authorizers, "items", restApiId=api_id)
    }


def load_api(apigateway, api_id: str, region: str) -> DeployedApi:
    """Read a REST API, its stages, models, validators, gateway responses and authorizers."""
    api = apigateway.get_rest_api(restApiId=api_id)
    resources = _load_resources(apigateway, api_id, _load_validators(apigateway, api_id))
    stages = {
        stage["stageName"]: dict(stage.get("variables") or {})
        for stage in apigateway.get_stages(restApiId=api_id).get("item", [])
    }
    gateway_responses = {
        item["responseType"]: item
        for item in _pages(apigateway.get_gateway_responses, "items", restApiId=api_id)
    }
    return DeployedApi(
        id=api_id,
        name=api.get("name", ""),
        region=region,
        binary_media_types=[t for t in api.get("binaryMediaTypes") or [] if t],
        root=_tree(resources, api.get("rootResourceId", "")),
        resources=resources,
        stages=stages,
        models=_load_models(apigateway, api_id),
        gateway_responses=gateway_responses,
        authorizers=load_authorizers(apigateway, api_id),
    )


def _load_validators(apigateway, api_id: str) -> dict[str, RequestValidator]:
    return {
        v["id"]: RequestValidator(
            name=v.get("name", ""),
            body=bool(v.get("validateRequestBody")),
            parameters=bool(v.get("validateRequestParameters")),
        )
        for v in _pages(apigateway.get_request_validators, "items", restApiId=api_id)
    }


def _load_models(apigateway, api_id: str) -> dict[str, dict]:
    """Each model's schema, by name (an unreadable one: no constraint)."""
    models = {}
    for model in _pages(apigateway.get_models, "items", restApiId=api_id):
        try:
            models[model["name"]] = json.loads(model.get("schema") or "{}")
        except ValueError:
            models[model["name"]] = {}
    return models


def _load_resources(
    apigateway, api_id: str, validators: dict[str, RequestValidator]
) -> dict[str, Resource]:
    """The API's resources and their methods, by id (not linked into a tree yet)."""
    resources: dict[str, Resource] = {}
    for item in _pages(apigateway.get_resources, "items", restApiId=api_id, embed=["methods"]):
        resource = Resource(
            id=item["id"],
            path=item["path"],
            path_part=item.get("pathPart", ""),
            parent_id=item.get("parentId"),
        )
        for verb, embedded in (item.get("resourceMethods") or {}).items():
            data = embedded
            if "httpMethod" not in data:  # an emulator that does not embed methods
                data = apigateway.get_method(
                    restApiId=api_id, resourceId=item["id"], httpMethod=verb
                )
            resource.methods[verb] = _method(data, validators)
        resources[resource.id] = resource
    return resources


def _tree(resources: dict[str, Resource], root_id: str) -> Resource:
    """Link each resource to its parent's children; the root (``/``)."""
    root = None
    for resource in resources.values():
        parent = resources.get(resource.parent_id or "")
        if parent is None:
            root = resource if resource.path == "/" else root
        else:
            parent.children.append(resource)
    if root is None:
        root = Resource(id=root_id, path="/", path_part="", parent_id=None)
    return root
