"""The API's OpenAPI 3.0 document, generated from the route table and the JSON Schemas.

One source, three uses: ``handlers/store/spec/routes.py`` and ``handlers/store/spec/schemas.py``
build the
API Gateway resources and request models (``stacks/store/api.py``), drive the handlers' routing and
validation, and are turned here into ``openapi.json`` at the repository root::

    python -m contract.openapi            # (re)write openapi.json
    python -m contract.openapi OUT.json   # write it elsewhere

Everything about one route (summary, role, parameters, success, the errors it answers and why,
links) is read from its row of the table; what is written here holds for every route: which
statuses follow from a route's shape (a body can be a 400 or 413, a signed-in route a 401...),
the security scheme, and the API's general description. The tests (``tests/contract``) compare
the checked-in file with ``document()`` so that it can never go stale, and schemathesis fuzzes
the running API against it (``scripts/fuzz.sh``).
"""

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from handlers.store.spec import routes, schemas
from localcloud.base import arguments

OPENAPI_VERSION = "3.0.3"
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "openapi.json"
ERROR_SCHEMA = "Error"
ERROR_REF = f"#/components/schemas/{ERROR_SCHEMA}"
JSON = "application/json"

# Draft-04 keywords that mean the same in an OpenAPI 3.0 Schema Object. Anything else in a schema
# (``$ref``, ``definitions``, ``patternProperties``, ``const``...) has no 3.0 equivalent or needs a
# rule of its own: ``to_openapi`` refuses it rather than writing a document that lies.
_KEYWORDS = frozenset(
    {
        "title",
        "description",
        "default",
        "format",
        "multipleOf",
        "maximum",
        "exclusiveMaximum",
        "minimum",
        "exclusiveMinimum",
        "maxLength",
        "minLength",
        "pattern",
        "maxItems",
        "minItems",
        "uniqueItems",
        "maxProperties",
        "minProperties",
        "required",
        "enum",
    }
)
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")

SECURITY_SCHEME = "idToken"
_SECURITY_SCHEMES = {
    SECURITY_SCHEME: {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": (
            "The ID token of the environment's Cognito user pool (outputs UserPoolId and "
            "UserPoolClientId), sent as it is: `Authorization: eyJ...`. API Gateway checks it "
            "before any function runs: signature against the pool's published keys, issuer, "
            "audience (the app client), `token_use` = `id` (an access token is refused) and "
            "expiry. Any failure, or no token, is a 401 UNAUTHORIZED."
        ),
    }
}
_CORS_ORIGIN = {"Access-Control-Allow-Origin": {"$ref": "#/components/headers/CorsOrigin"}}
# The statuses the firewall may answer itself, whose CORS header is a fixed one (if any).
_FIREWALL_STATUSES = ("403", "413", "429")
_FIREWALL_CORS_ORIGIN = {
    "Access-Control-Allow-Origin": {"$ref": "#/components/headers/FirewallCorsOrigin"}
}
_UNAUTHORIZED = (
    "UNAUTHORIZED: no ID token, or one that fails a check (signature, issuer, audience, "
    "token_use, expiry); answered by API Gateway before any function runs."
)
_DESCRIPTION = """\
The store API: products, users and orders. This document is generated from the route table and \
JSON Schemas that also build the API Gateway resources, request models and the functions' \
validation (`python -m contract.openapi`).

- Bodies are JSON (UTF-8). Unknown fields in a request body are a 400. Money (`price`, \
`unitPrice`, `total`) is a JSON number with at most 2 decimal places, computed with decimal \
arithmetic: a request with more places is a 400.
- Lists are paginated with `limit` (1..100, default 20) and the opaque `nextToken` of the \
previous page; a tampered or foreign token is a 400.
- Errors are `{"error": {"code", "message", "details"}}`; a request that fails writes nothing. \
5XX responses carry the `INTERNAL` code, or `SERVICE_UNAVAILABLE` (503, with `Retry-After`) when \
AWS kept failing after the function's own retries, and never an internal detail.
- A request from an allowed `Origin` gets that origin back in `Access-Control-Allow-Origin` \
(with `Vary: Origin`) on every response, errors included; a request from no or a foreign origin \
gets no allow header (the firewall refuses a foreign origin with 403 `FORBIDDEN`).
- Sign-in: operations with the `idToken` security requirement need the Cognito user pool's ID \
token in the `Authorization` header; API Gateway answers a missing or failing token with 401 \
`UNAUTHORIZED` before any function runs. Three roles: anyone (no token: reading products), a \
customer (any valid token), an admin (a token whose `cognito:groups` holds `admins`). A signed-in \
caller whose role may not do something gets 403 `FORBIDDEN`; a customer naming another user's \
profile or order gets 404 `NOT_FOUND`. Each operation's description says who may call it.
- API Gateway itself answers a method or path that is not listed here with 404 `NOT_FOUND`, and \
a request over the stage's throttling with 429 `TOO_MANY_REQUESTS`. The web application firewall \
in front of it answers any operation in the same shape: 403 `FORBIDDEN` for a request it refuses, \
413 `PAYLOAD_TOO_LARGE` for a body over 64 KiB, 429 `TOO_MANY_REQUESTS` for an address over its \
rate limit.
"""


def to_openapi(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A draft-04 JSON Schema as an OpenAPI 3.0 Schema Object.

    ``$schema`` goes; ``"type": [T, "null"]`` becomes ``"type": T, "nullable": true``; the
    draft-04 boolean ``exclusiveMinimum``/``exclusiveMaximum`` is already 3.0's. A keyword 3.0
    does not have raises ``ValueError``.
    """
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$schema":
            continue
        if key == "type":
            result.update(_type(value))
        elif key in _KEYWORDS:
            result[key] = value
        elif key == "properties":
            result[key] = {name: to_openapi(sub) for name, sub in value.items()}
        elif key in {"items", "not"}:
            result[key] = to_openapi(value)
        elif key == "additionalProperties":
            result[key] = value if isinstance(value, bool) else to_openapi(value)
        elif key in _SUBSCHEMA_LISTS:
            result[key] = [to_openapi(sub) for sub in value]
        else:
            raise ValueError(f"JSON Schema keyword {key!r} has no OpenAPI 3.0 equivalent here")
    return result


def _type(value: str | list[str]) -> dict[str, Any]:
    if isinstance(value, str):
        return {"type": value}
    types = [name for name in value if name != "null"]
    if len(types) != 1:
        raise ValueError(f"type {value!r}: OpenAPI 3.0 has one type per schema (and nullable)")
    return {"type": types[0], "nullable": True} if "null" in value else {"type": types[0]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _parameters(route: routes.Route) -> list[dict[str, Any]]:
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": "A UUIDv4; anything else cannot exist (404).",
            "schema": {"type": "string", "pattern": schemas.UUID_PATTERN},
        }
        for name in route.path_parameters
    ]
    for place, params in (("query", route.query), ("header", route.headers)):
        parameters += [
            {
                "name": param.name,
                "in": place,
                "required": param.required,
                "schema": to_openapi(param.schema),
            }
            for param in params
        ]
    return parameters


def _response(description: str, schema: str | None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "headers": _CORS_ORIGIN}
    if schema is not None:
        response["content"] = {JSON: {"schema": _ref(schema)}}
    return response


def _success(route: routes.Route) -> dict[str, Any]:
    success = _response(route.success.description, route.success.schema)
    if route.links:
        success["links"] = {
            link.name: {
                "operationId": link.operation_id,
                "parameters": {
                    parameter: f"$response.body#/{field}" for parameter, field in link.parameters
                },
            }
            for link in route.links
        }
    return success


FIREWALL_403 = "the firewall refused the request (a foreign origin, a managed rule)"
FIREWALL_429 = (
    "TOO_MANY_REQUESTS: the address is over the firewall's rate limit, or the stage's "
    "throttling refused the request."
)


def _errors(route: routes.Route) -> dict[str, str]:
    """Each error status the route can answer, with why (its code first)."""
    errors = {}
    if route.body or route.query or route.headers:
        errors["400"] = (
            "BAD_REQUEST: malformed JSON, a wrong type, an out-of-range value, an unknown field, "
            "or a missing or invalid parameter; details name each bad field."
        )
    if route.signed_in:
        errors["401"] = _UNAUTHORIZED
    if route.access is routes.Access.ADMIN:
        errors["403"] = "FORBIDDEN: the caller is not an admin."
    elif route.forbidden:
        errors["403"] = f"FORBIDDEN: {route.forbidden}"
    if route.path_parameters:
        mine = route.access is routes.Access.OWNER_OR_ADMIN
        errors["404"] = "NOT_FOUND: no such resource" + (
            ", or it is another user's." if mine else "."
        )
    if route.conflict:
        errors["409"] = f"CONFLICT: {route.conflict}"
    if route.body:
        errors["413"] = "PAYLOAD_TOO_LARGE: the body is over 64 KiB."
    if route.unprocessable:
        errors["422"] = f"UNPROCESSABLE: {route.unprocessable}"
    # The firewall in front of the API answers any operation.
    errors["403"] = (
        f"{errors['403']} Or {FIREWALL_403}." if "403" in errors else f"FORBIDDEN: {FIREWALL_403}."
    )
    errors["429"] = FIREWALL_429
    errors = dict(sorted(errors.items()))
    errors["5XX"] = (
        "INTERNAL: an unexpected error (500), or the function failed or timed out (502, 504); "
        "SERVICE_UNAVAILABLE: AWS kept failing after the function's retries (503, with "
        "Retry-After; nothing was written)."
    )
    return errors


def _responses(route: routes.Route) -> dict[str, Any]:
    responses = {str(route.success.status): _success(route)}
    for status, description in _errors(route).items():
        responses[status] = _response(description, ERROR_SCHEMA)
        if status in _FIREWALL_STATUSES:
            responses[status]["headers"] = _FIREWALL_CORS_ORIGIN
    return responses


def _operation(route: routes.Route) -> dict[str, Any]:
    rule = f" {route.access_rule}" if route.access_rule else ""
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "description": route.access.who_may_call + rule,
        "tags": [route.function],
        # Empty: open to anyone, whatever the document's default.
        "security": [{SECURITY_SCHEME: []}] if route.signed_in else [],
        "responses": _responses(route),
    }
    parameters = _parameters(route)
    if parameters:
        operation["parameters"] = parameters
    if route.body:
        operation["requestBody"] = {
            "required": True,
            "content": {JSON: {"schema": _ref(route.body)}},
        }
    return operation


def _check_schemas(
    route_table: tuple[routes.Route, ...], bodies: Mapping[str, dict], responses: Mapping[str, dict]
) -> None:
    """Refuse a document whose references would dangle or be ambiguous."""
    clash = set(bodies) & set(responses)
    if clash:
        raise ValueError(f"schema names used for both requests and responses: {sorted(clash)}")
    for route in route_table:
        if route.body is not None and route.body not in bodies:
            raise ValueError(f"{route.operation_id}: no request body schema {route.body!r}")
        if route.success.schema is not None and route.success.schema not in responses:
            raise ValueError(f"{route.operation_id}: no response schema {route.success.schema!r}")


def document(
    route_table: tuple[routes.Route, ...] = routes.ROUTES,
    bodies: Mapping[str, dict] | None = None,
    responses: Mapping[str, dict] | None = None,
) -> dict[str, Any]:
    """The OpenAPI 3.0 document of the API served by ``route_table``."""
    bodies = schemas.BODIES if bodies is None else bodies
    responses = schemas.RESPONSES if responses is None else responses
    _check_schemas(route_table, bodies, responses)
    paths: dict[str, dict[str, Any]] = {}
    for route in route_table:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    components = {name: to_openapi(schema) for name, schema in {**bodies, **responses}.items()}
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Store API",
            "version": "1.0.0",
            "description": _DESCRIPTION,
        },
        "servers": [
            {
                "url": "{baseUrl}",
                "description": "The stage invoke URL (output ApiGatewayUrl), or the local one.",
                "variables": {
                    "baseUrl": {
                        "default": "http://127.0.0.1:3000/local",
                        "description": (
                            "https://{api-id}.execute-api.{region}.amazonaws.com/{stage}, or "
                            "what `python -m localcloud` prints."
                        ),
                    }
                },
            }
        ],
        # One per function, in the table's order.
        "tags": [{"name": name} for name in dict.fromkeys(r.function for r in route_table)],
        "paths": paths,
        "components": {
            "securitySchemes": _SECURITY_SCHEMES,
            "schemas": components,
            "headers": {
                "CorsOrigin": {
                    "description": (
                        "CORS: on every response to a request from an allowed origin, errors of "
                        "API Gateway's own included, that origin (or * where any origin is "
                        "allowed), with Vary: Origin. A request from no or a foreign origin gets "
                        "none."
                    ),
                    "required": True,
                    "schema": {"type": "string", "minLength": 1},
                },
                "FirewallCorsOrigin": {
                    "description": (
                        "CORS, where the firewall may answer: as CorsOrigin when the API answers. "
                        "The firewall's own answer is fixed: it says * where any origin is "
                        "allowed and the origin where only one is, and carries none where several "
                        "are (a browser then sees a failed request) or to a foreign origin."
                    ),
                    "required": False,
                    "schema": {"type": "string", "minLength": 1},
                },
            },
        },
    }


def render(doc: Mapping[str, Any]) -> str:
    """The document as written to disk: sorted keys, two-space indents, a final newline."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the document (to ``openapi.json`` at the repository root unless a path is given);
    a path that cannot be written is refused with argparse's usage and one line, exit status 2."""
    parser = argparse.ArgumentParser(
        prog="python -m contract.openapi", description="Write the API's OpenAPI document."
    )
    parser.add_argument(
        "path",
        nargs="?",
        type=arguments.file_to_write,
        help="where to write it (default: openapi.json at the repository root)",
    )
    path = parser.parse_args(argv).path or DEFAULT_PATH
    path.write_text(render(document()), encoding="utf-8")
    print(f"Wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
