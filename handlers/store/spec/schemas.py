"""JSON Schemas (draft-04) of the API's request and response bodies: the one place they live.

Pure data. The handlers validate request bodies with ``BODIES``; the Api construct attaches the
same documents as API Gateway request models (which speak draft-04); the OpenAPI document is
generated from ``BODIES`` and ``RESPONSES``.

Money: no ``multipleOf: 0.01`` here. Validators that parse JSON numbers as binary floats (API
Gateway, ``jsonschema`` on ``json.loads`` output) compute ``0.07 / 0.01`` as ``7.000000000000001``
and would reject valid prices. The gateways therefore only check the range; the handler parses
numbers as ``Decimal`` and enforces the places listed in ``DECIMAL_PLACES`` exactly.
"""

from . import events

DRAFT_04 = "http://json-schema.org/draft-04/schema#"

# The largest request body the API takes (the contract's 413 PAYLOAD_TOO_LARGE above it), checked
# by the functions and by the firewall in front of the API.
MAX_BODY_BYTES = 64 * 1024
# Server-generated identifiers are lowercase UUIDv4 strings.
UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
# The WHATWG "valid e-mail address" (what browsers accept), plus a dot in the domain: a public
# API should not accept addresses that cannot receive mail on the internet.
EMAIL_PATTERN = (
    # "$" escaped inside the class: fastjsonschema rewrites every bare "$" into "\\Z".
    "^[A-Za-z0-9.!#\\$%&'*+/=?^_`{|}~-]+"
    "@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
CURRENCY_PATTERN = "^[A-Z]{3}$"
# At least one character that is not white space: a name of only spaces is as empty as "".
# Spelled out as ECMA-262's white space and line terminators (what JSON Schema's patterns mean):
# "\\S" differs between regex dialects (Python counts U+001C..U+001F as space, ECMA-262 and
# Java do not), so a client, the fuzzer and the handler would disagree on "\x1d".
NOT_BLANK_PATTERN = (
    "[^\\t\\n\\x0B\\f\\r \\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF]"
)
TIMESTAMP_PATTERN = "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$"

# The Idempotency-Key header of POST /orders: printable ASCII, as header values are, 1..255.
IDEMPOTENCY_KEY = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}

ORDER_STATUSES = ("PENDING", "CONFIRMED", "SHIPPED", "DELIVERED", "CANCELLED")
MAX_PRICE = 1_000_000
MAX_STOCK = 1_000_000_000
MAX_ORDER_ITEMS = 25
MAX_QUANTITY = 100

_ID = {"type": "string", "pattern": UUID_PATTERN, "description": "A UUIDv4."}
_TIMESTAMP = {
    "type": "string",
    "pattern": TIMESTAMP_PATTERN,
    "description": "ISO 8601 UTC timestamp with a Z suffix.",
}
_MONEY = {
    "type": "number",
    "minimum": 0,
    "exclusiveMinimum": True,
    "maximum": MAX_PRICE,
    "description": "Amount with at most 2 decimal places (enforced by the handler).",
}
_NAME = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": NOT_BLANK_PATTERN}
_DESCRIPTION = {"type": "string", "maxLength": 2000}
_CATEGORY = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": NOT_BLANK_PATTERN}
_CURRENCY = {
    "type": "string",
    "minLength": 3,
    "maxLength": 3,
    "pattern": CURRENCY_PATTERN,
    "description": "ISO 4217 currency code; USD when omitted.",
}
_STOCK = {"type": "integer", "minimum": 0, "maximum": MAX_STOCK}
_EMAIL = {
    "type": "string",
    "minLength": 3,
    "maxLength": 254,
    "pattern": EMAIL_PATTERN,
    "description": "E-mail address, unique without regard to case.",
}
_USER_NAME = {"type": "string", "minLength": 1, "maxLength": 100, "pattern": NOT_BLANK_PATTERN}
_STATUS = {"type": "string", "enum": list(ORDER_STATUSES)}
_QUANTITY = {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY}


def _object(title: str, properties: dict, required: tuple[str, ...] = (), **extra) -> dict:
    """A closed object schema: unknown fields are rejected so that a typo never does nothing."""
    schema = {
        "$schema": DRAFT_04,
        "title": title,
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        **extra,
    }
    if required:
        schema["required"] = list(required)
    return schema


# What a client says of a product when it creates one; the product as read has these and the
# fields the server sets (its ID, when it was created and last changed).
_PRODUCT_FIELDS = {
    "name": _NAME,
    "description": _DESCRIPTION,
    "price": _MONEY,
    "currency": _CURRENCY,
    "category": _CATEGORY,
    "stock": _STOCK,
}

BODIES: dict[str, dict] = {
    "ProductCreate": _object(
        "ProductCreate", dict(_PRODUCT_FIELDS), required=("name", "price", "category", "stock")
    ),
    "ProductUpdate": _object(
        "ProductUpdate",
        {
            "name": _NAME,
            "description": _DESCRIPTION,
            "price": _MONEY,
            "category": _CATEGORY,
            "stock": _STOCK,
        },
        minProperties=1,
    ),
    "UserCreate": _object(
        "UserCreate", {"email": _EMAIL, "name": _USER_NAME}, required=("email", "name")
    ),
    "UserUpdate": _object("UserUpdate", {"email": _EMAIL, "name": _USER_NAME}, minProperties=1),
    "OrderCreate": _object(
        "OrderCreate",
        {
            "userId": {
                **_ID,
                "description": (
                    "Whose order it is: the caller's own when left out; only an admin may name "
                    "another user."
                ),
            },
            "items": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_ORDER_ITEMS,
                "description": "Distinct products (enforced by the handler).",
                "items": {
                    "type": "object",
                    "properties": {"productId": _ID, "quantity": _QUANTITY},
                    "required": ["productId", "quantity"],
                    "additionalProperties": False,
                },
            },
        },
        required=("items",),
    ),
    "OrderStatusUpdate": _object("OrderStatusUpdate", {"status": _STATUS}, required=("status",)),
}

# Number fields whose decimal places the handler enforces (see the module docstring).
DECIMAL_PLACES: dict[str, dict[str, int]] = {
    "ProductCreate": {"price": 2},
    "ProductUpdate": {"price": 2},
}


def _response(title: str, properties: dict, required: tuple[str, ...]) -> dict:
    return _object(title, properties, required=required)


_PRODUCT = _response(
    "Product",
    {"productId": _ID, **_PRODUCT_FIELDS, "createdAt": _TIMESTAMP, "updatedAt": _TIMESTAMP},
    ("productId", "name", "price", "currency", "category", "stock", "createdAt", "updatedAt"),
)
_USER = _response(
    "User",
    {
        "userId": _ID,
        "email": _EMAIL,
        "name": _USER_NAME,
        "createdAt": _TIMESTAMP,
        "updatedAt": _TIMESTAMP,
    },
    ("userId", "email", "name", "createdAt", "updatedAt"),
)
_ORDER_ITEM = {
    "type": "object",
    "properties": {
        "productId": _ID,
        "name": _NAME,
        "quantity": _QUANTITY,
        "unitPrice": _MONEY,
    },
    "required": ["productId", "name", "quantity", "unitPrice"],
    "additionalProperties": False,
}
_ORDER = _response(
    "Order",
    {
        "orderId": _ID,
        "userId": _ID,
        "items": {"type": "array", "items": _ORDER_ITEM},
        "total": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
        "currency": _CURRENCY,
        "status": _STATUS,
        # Only on a CANCELLED order: who cancelled it (store.spec.events.CANCEL_REASONS).
        "cancelReason": {"type": "string", "enum": list(events.CANCEL_REASONS)},
        "createdAt": _TIMESTAMP,
        "updatedAt": _TIMESTAMP,
    },
    ("orderId", "userId", "items", "total", "currency", "status", "createdAt", "updatedAt"),
)


def _list(title: str, item: dict) -> dict:
    item = {key: value for key, value in item.items() if key != "$schema"}
    return _response(
        title,
        {
            "items": {"type": "array", "items": item},
            "nextToken": {
                "type": ["string", "null"],
                "description": "Opaque; null on the last page.",
            },
        },
        ("items", "nextToken"),
    )


ERROR_CODES = (
    "BAD_REQUEST",
    "UNAUTHORIZED",
    "FORBIDDEN",
    "NOT_FOUND",
    "CONFLICT",
    "UNPROCESSABLE",
    "PAYLOAD_TOO_LARGE",
    "TOO_MANY_REQUESTS",
    "SERVICE_UNAVAILABLE",
    "INTERNAL",
)

RESPONSES: dict[str, dict] = {
    "Product": _PRODUCT,
    "ProductList": _list("ProductList", _PRODUCT),
    "User": _USER,
    "UserList": _list("UserList", _USER),
    "Order": _ORDER,
    "OrderList": _list("OrderList", _ORDER),
    "Error": _response(
        "Error",
        {
            "error": {
                "type": "object",
                "properties": {
                    "code": {"type": "string", "enum": list(ERROR_CODES)},
                    "message": {"type": "string"},
                    "details": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "field": {"type": "string"},
                                "message": {"type": "string"},
                            },
                            "required": ["field", "message"],
                        },
                    },
                },
                "required": ["code", "message", "details"],
                "additionalProperties": False,
            }
        },
        ("error",),
    ),
}
