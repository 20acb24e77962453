"""Request validation as API Gateway does it: required parameters, and the body against the
method's model (JSON Schema draft 4), before any integration runs."""

from __future__ import annotations

import json

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from localcloud.gateway.model import DeployedApi, Method
from localcloud.gateway.responses import GatewayError

MODEL_URI = "https://apigateway.amazonaws.com/restapis/{api}/models/{name}"


def check_parameters(
    method: Method, headers: dict[str, str], query: dict[str, str], path: dict[str, str]
) -> None:
    """Raise BAD_REQUEST_PARAMETERS when a required parameter is missing or blank."""
    if not (method.validator and method.validator.parameters):
        return
    lowered = {k.lower(): v for k, v in headers.items()}
    missing = []
    for key, required in method.request_parameters.items():
        if not required:
            continue
        for prefix, source, fold in (
            ("method.request.header.", lowered, True),
            ("method.request.querystring.", query, False),
            ("method.request.path.", path, False),
        ):
            if key.startswith(prefix):
                name = key[len(prefix) :]
                value = source.get(name.lower() if fold else name)
                if value is None or value.strip() == "":
                    missing.append(name)
    if missing:
        raise GatewayError(
            "BAD_REQUEST_PARAMETERS",
            f"Missing required request parameters: [{', '.join(missing)}]",
        )


def _select_model(method: Method, content_type: str | None) -> str | None:
    media = (content_type or "application/json").split(";")[0].strip().lower()
    models = {k.lower(): v for k, v in method.request_models.items()}
    return models.get(media) or models.get("$default")


class BodyValidator:  # pylint: disable=too-few-public-methods
    """Validates bodies against the API's models (models may ``$ref`` each other)."""

    def __init__(self, api: DeployedApi):
        self.api = api
        resources = []
        for name, schema in api.models.items():
            uri = MODEL_URI.format(api=api.id, name=name)
            resources.append((uri, Resource.from_contents(schema, default_specification=DRAFT4)))
        self.registry = Registry().with_resources(resources)
        self._validators: dict[str, Draft4Validator] = {}

    def _validator(self, model_name: str) -> Draft4Validator:
        if model_name not in self._validators:
            schema = self.api.models.get(model_name, {})
            self._validators[model_name] = Draft4Validator(schema, registry=self.registry)
        return self._validators[model_name]

    def check(self, method: Method, content_type: str | None, body: bytes) -> None:
        """Raise BAD_REQUEST_BODY when the body does not fit the method's model."""
        if not (method.validator and method.validator.body):
            return
        model_name = _select_model(method, content_type)
        if not model_name:
            return
        try:
            document = json.loads(body.decode("utf-8")) if body.strip() else {}
        except ValueError as exc:
            raise GatewayError(
                "BAD_REQUEST_BODY", validation_error=f"[Invalid JSON: {exc}]"
            ) from None
        errors = sorted(self._validator(model_name).iter_errors(document), key=str)
        if errors:
            details = ", ".join(
                f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
                for e in errors
            )
            raise GatewayError("BAD_REQUEST_BODY", validation_error=f"[{details}]")
