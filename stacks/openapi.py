"""The API's OpenAPI 3.0 document, generated from the route table and the JSON Schemas.

One source, three uses: ``handlers/store/routes.py`` and ``handlers/store/schemas.py`` build the
API Gateway resources and request models (``stacks/api.py``), drive the handlers' validation, and
are turned here into ``openapi.json`` at the repository root::

    python -m stacks.openapi            # (re)write openapi.json
    python -m stacks.openapi OUT.json   # write it elsewhere

Pure Python (no cdktf): the unit tests compare the checked-in file with ``document()`` so that it
can never go stale, and schemathesis fuzzes the running API against it (``scripts/fuzz.sh``).

What a route table cannot say is written down below, next to the handler behaviour it describes:
which operations answer 409 and 422 and why, and the request headers' exact syntax.
"""

import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from handlers.store import routes, schemas

OPENAPI_VERSION = "3.0.3"
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "openapi.json"
ERROR_REF = "#/components/schemas/Error"
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

# Query parameters: the handlers' rules (``store.web.page_params``, ``store.pagination``) and the
# contract's, for parameters whose value is not a field of a request body.
_PAGE_LIMIT = {
    "type": "integer",
    "minimum": 1,
    "maximum": 100,
    "default": 20,
    "description": "Page size.",
}
_NEXT_TOKEN = {
    "type": "string",
    "minLength": 1,
    "maxLength": 2048,
    "description": "The previous page's nextToken, as it was; any other value is a 400.",
}
# Query parameters whose value is validated as this field of this request body.
_QUERY_FIELDS = {
    "category": ("ProductCreate", "category"),
    "email": ("UserCreate", "email"),
    "userId": ("OrderCreate", "userId"),
}
# ``handlers/orders.py`` answers a key outside this schema with a 400.
_HEADERS = {
    "Idempotency-Key": {
        **schemas.IDEMPOTENCY_KEY,
        "description": (
            "Retrying with the same key and body returns the first order again (201) and takes "
            "stock once; the same key with another body is a 422. Kept for 24 hours."
        ),
    },
}

# One line per operation for readers (the contract, shared/API.md, says the rest).
_SUMMARIES = {
    "createProduct": "Create a product.",
    "listProducts": "List products, all or one category's (newest first).",
    "getProduct": "Get a product.",
    "updateProduct": "Change some of a product's attributes.",
    "deleteProduct": "Delete a product.",
    "createUser": "Create the caller's profile (its e-mail address unique without regard to case).",
    "findUsers": "Find the user with an e-mail address: a list of 0 or 1 item.",
    "getUser": "Get a user.",
    "updateUser": "Change a user's name or e-mail address.",
    "deleteUser": "Delete a user and release the e-mail address.",
    "createOrder": "Place an order, taking the stock of every item in one atomic step.",
    "listOrders": "List a user's orders, newest first.",
    "getOrder": "Get an order.",
    "updateOrderStatus": "Move an order along its lifecycle (CANCELLED puts the stock back).",
}

# Who may call an operation, from its route's access (API.md, "Who may call what").
_ACCESS = {
    routes.Access.ANYONE: "Who may call: anyone; no token needed.",
    routes.Access.CUSTOMER: "Who may call: any signed-in user (a customer, or an admin).",
    routes.Access.OWNER_OR_ADMIN: (
        "Who may call: the owner of the addressed data (the user whose `userId` it is), or an "
        "admin. A customer naming another user's profile or order gets 404, as if it did not "
        "exist."
    ),
    routes.Access.ADMIN: "Who may call: admins only (members of the user pool's `admins` group).",
}
# What else an operation's role rule says, where the access column alone does not.
_ACCESS_RULES = {
    "createUser": "The profile is the caller's own: its `userId` is the ID token's `sub`.",
    "createOrder": (
        "`userId` may be left out (the caller's own); naming another user is for admins only. "
        "The Idempotency-Key is the caller's: the same key from two callers is two requests."
    ),
    "listOrders": "Listing another user's orders is a 403 unless the caller is an admin.",
    "updateOrderStatus": (
        "An admin makes any allowed move; the order's owner may only set CANCELLED (403 for "
        "anything else)."
    ),
}
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
_UNAUTHORIZED = (
    "UNAUTHORIZED: no ID token, or one that fails a check (signature, issuer, audience, "
    "token_use, expiry); answered by API Gateway before any function runs."
)
# The 403s the handlers answer, beyond an admin's route refusing a customer.
_FORBIDDEN = {
    "createOrder": "FORBIDDEN: `userId` names another user, and the caller is not an admin.",
    "listOrders": "FORBIDDEN: `userId` is another user's, and the caller is not an admin.",
    "updateOrderStatus": (
        "FORBIDDEN: a status other than CANCELLED, and the caller is not an admin."
    ),
}

# The statuses a route table cannot tell: which operations conflict, and with what.
_CONFLICTS = {
    "createUser": (
        "The caller has a profile already, or the e-mail address is taken (without regard to case)."
    ),
    "updateUser": (
        "The new e-mail address is taken, or the user was changed by a concurrent request."
    ),
    "deleteUser": "The user was changed by a concurrent request; retry.",
    "createOrder": (
        "Not enough stock (details name each short item), a product changed while the order was "
        "placed, or a request with the same Idempotency-Key is still in progress."
    ),
    "updateOrderStatus": (
        "The transition is not allowed (PENDING -> CONFIRMED -> SHIPPED -> DELIVERED; PENDING or "
        "CONFIRMED -> CANCELLED), or the order was changed by a concurrent request."
    ),
}
_UNPROCESSABLE = {
    "createOrder": (
        "The user or some products do not exist, the items do not share one currency, or the "
        "Idempotency-Key was used with a different body."
    ),
}

# What each resource is called in the route table's functions, and its response schemas.
_RESOURCES = {
    "products": ("Product", "productId"),
    "users": ("User", "userId"),
    "orders": ("Order", "orderId"),
}

# Stateful links from a created resource to the operations that address it (schemathesis follows
# them: create, then get, update, delete). Values are OpenAPI runtime expressions.
_LINKS = {
    ("createProduct", "201"): {
        "GetProduct": ("getProduct", {"productId": "$response.body#/productId"}),
        "UpdateProduct": ("updateProduct", {"productId": "$response.body#/productId"}),
        "DeleteProduct": ("deleteProduct", {"productId": "$response.body#/productId"}),
        "ListProductsInCategory": ("listProducts", {"category": "$response.body#/category"}),
    },
    ("updateProduct", "200"): {
        "GetProduct": ("getProduct", {"productId": "$response.body#/productId"}),
    },
    ("createUser", "201"): {
        "GetUser": ("getUser", {"userId": "$response.body#/userId"}),
        "UpdateUser": ("updateUser", {"userId": "$response.body#/userId"}),
        "DeleteUser": ("deleteUser", {"userId": "$response.body#/userId"}),
        "FindUsers": ("findUsers", {"email": "$response.body#/email"}),
        "ListOrders": ("listOrders", {"userId": "$response.body#/userId"}),
    },
    ("updateUser", "200"): {
        "GetUser": ("getUser", {"userId": "$response.body#/userId"}),
    },
    ("createOrder", "201"): {
        "GetOrder": ("getOrder", {"orderId": "$response.body#/orderId"}),
        "UpdateOrderStatus": ("updateOrderStatus", {"orderId": "$response.body#/orderId"}),
        "ListOrders": ("listOrders", {"userId": "$response.body#/userId"}),
    },
    ("updateOrderStatus", "200"): {
        "GetOrder": ("getOrder", {"orderId": "$response.body#/orderId"}),
    },
}

_DESCRIPTION = """\
The store API: products, users and orders. The contract is shared/API.md; this document is \
generated from the route table and JSON Schemas that also build the API Gateway resources, \
request models and the functions' validation (`python -m stacks.openapi`).

- Bodies are JSON (UTF-8). Unknown fields in a request body are a 400. Money (`price`, \
`unitPrice`, `total`) is a JSON number with at most 2 decimal places, computed with decimal \
arithmetic: a request with more places is a 400.
- Lists are paginated with `limit` (1..100, default 20) and the opaque `nextToken` of the \
previous page; a tampered or foreign token is a 400.
- Errors are `{"error": {"code", "message", "details"}}`; a request that fails writes nothing. \
5XX responses carry the `INTERNAL` code and never an internal detail.
- Every response carries the environment's CORS headers.
- Sign-in: operations with the `idToken` security requirement need the Cognito user pool's ID \
token in the `Authorization` header; API Gateway answers a missing or failing token with 401 \
`UNAUTHORIZED` before any function runs. Three roles: anyone (no token: reading products), a \
customer (any valid token), an admin (a token whose `cognito:groups` holds `admins`). A signed-in \
caller whose role may not do something gets 403 `FORBIDDEN`; a customer naming another user's \
profile or order gets 404 `NOT_FOUND`. Each operation's description says who may call it.
- API Gateway itself answers a method or path that is not listed here with 404 `NOT_FOUND`, a \
throttled request with 429 `{"message": "Too Many Requests"}` and, in prod, a request blocked by \
the web application firewall with 403 `{"message": "Forbidden"}`.
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


def _path_parameters(path: str) -> list[str]:
    return re.findall(r"\{(\w+)\}", path)


def _parameters(route: routes.Route) -> list[dict[str, Any]]:
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": "A UUIDv4; anything else cannot exist (404).",
            "schema": {"type": "string", "pattern": schemas.UUID_PATTERN},
        }
        for name in _path_parameters(route.path)
    ]
    for name, required in route.query:
        parameters.append(
            {"name": name, "in": "query", "required": required, "schema": _query_schema(name)}
        )
    for name, required in route.headers:
        parameters.append(
            {"name": name, "in": "header", "required": required, "schema": _HEADERS[name]}
        )
    return parameters


def _query_schema(name: str) -> dict[str, Any]:
    if name == "limit":
        return _PAGE_LIMIT
    if name == "nextToken":
        return _NEXT_TOKEN
    body, field = _QUERY_FIELDS[name]
    return to_openapi(schemas.BODIES[body]["properties"][field])


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"Access-Control-Allow-Origin": {"$ref": "#/components/headers/CorsOrigin"}},
        "content": {JSON: {"schema": {"$ref": ERROR_REF}}},
    }


def _success(route: routes.Route) -> tuple[str, dict[str, Any]]:
    """The status and response of a successful call, from the route's method and path shape."""
    resource, id_name = _RESOURCES[route.function]
    collection = f"/{route.function}"
    item = f"{collection}/{{{id_name}}}"
    shapes = {
        ("POST", collection): ("201", resource, f"The new {resource.lower()}."),
        ("GET", collection): ("200", f"{resource}List", "A page of the list."),
        ("GET", item): ("200", resource, f"The {resource.lower()}."),
        ("PATCH", item): ("200", resource, f"The updated {resource.lower()}."),
        ("DELETE", item): ("204", None, "Deleted."),
    }
    if (route.method, route.path) not in shapes:
        raise ValueError(f"{route.method} {route.path}: no rule for its success response")
    status, schema, description = shapes[route.method, route.path]
    response: dict[str, Any] = {
        "description": description,
        "headers": {"Access-Control-Allow-Origin": {"$ref": "#/components/headers/CorsOrigin"}},
    }
    if schema is not None:
        response["content"] = {JSON: {"schema": _ref(schema)}}
    return status, response


def _responses(route: routes.Route) -> dict[str, Any]:
    status, success = _success(route)
    links = _LINKS.get((route.operation_id, status))
    if links:
        success["links"] = {
            name: {"operationId": target, "parameters": parameters}
            for name, (target, parameters) in links.items()
        }
    responses = {status: success}
    if route.body or route.query or route.headers:
        responses["400"] = _error(
            "BAD_REQUEST: malformed JSON, a wrong type, an out-of-range value, an unknown field, "
            "or a missing or invalid parameter; details name each bad field."
        )
    if route.signed_in:
        responses["401"] = _error(_UNAUTHORIZED)
    if route.access is routes.Access.ADMIN:
        responses["403"] = _error("FORBIDDEN: the caller is not an admin.")
    elif route.operation_id in _FORBIDDEN:
        responses["403"] = _error(_FORBIDDEN[route.operation_id])
    if _path_parameters(route.path):
        mine = route.access is routes.Access.OWNER_OR_ADMIN
        responses["404"] = _error(
            "NOT_FOUND: no such resource" + (", or it is another user's." if mine else ".")
        )
    if route.operation_id in _CONFLICTS:
        responses["409"] = _error(f"CONFLICT: {_CONFLICTS[route.operation_id]}")
    if route.body:
        responses["413"] = _error("PAYLOAD_TOO_LARGE: the body is over 64 KiB.")
    if route.operation_id in _UNPROCESSABLE:
        responses["422"] = _error(f"UNPROCESSABLE: {_UNPROCESSABLE[route.operation_id]}")
    responses["5XX"] = _error(
        "INTERNAL: an unexpected error (500), or the function failed or timed out (502, 504)."
    )
    return responses


def _operation(route: routes.Route) -> dict[str, Any]:
    rule = _ACCESS_RULES.get(route.operation_id)
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": _SUMMARIES[route.operation_id],
        "description": _ACCESS[route.access] + (f" {rule}" if rule else ""),
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


def document(
    route_table: tuple[routes.Route, ...] = routes.ROUTES,
    bodies: Mapping[str, dict] | None = None,
    responses: Mapping[str, dict] | None = None,
) -> dict[str, Any]:
    """The OpenAPI 3.0 document of the API served by ``route_table``."""
    bodies = schemas.BODIES if bodies is None else bodies
    responses = schemas.RESPONSES if responses is None else responses
    clash = set(bodies) & set(responses)
    if clash:
        raise ValueError(f"schema names used for both requests and responses: {sorted(clash)}")
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
        "tags": [{"name": name} for name in _RESOURCES],
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
                }
            },
        },
    }


def render(doc: Mapping[str, Any]) -> str:
    """The document as written to disk: sorted keys, two-space indents, a final newline."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the document (to ``openapi.json`` at the repository root unless a path is given)."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else DEFAULT_PATH
    path.write_text(render(document()), encoding="utf-8")
    print(f"Wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
