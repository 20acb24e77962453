"""Request body validation against ``store.spec.schemas.BODIES``, naming every bad field.

fastjsonschema (shipped in the Powertools layer, unlike ``jsonschema``) compiles each schema to
Python once per cold start. It stops at the first error, so on failure the body is checked again
field by field to name each bad one in ``details``.
"""

import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import fastjsonschema

from ..spec.errors import BadRequest, detail
from ..spec.schemas import BODIES, DECIMAL_PLACES, DRAFT_04


@functools.cache
def _validator(body_name: str, field: str | None = None) -> Callable[[Any], Any]:
    schema = BODIES[body_name]
    if field is not None:
        # A property's schema has no "$schema" of its own: pin draft-04 so that
        # "exclusiveMinimum": true keeps its draft-04 meaning.
        schema = {"$schema": DRAFT_04, **schema["properties"][field]}
    return fastjsonschema.compile(schema)


def validate(body_name: str, body: Any) -> dict[str, Any]:
    """Return ``body`` if it satisfies the schema, else raise 400 with one detail per bad field."""
    details = _schema_errors(body_name, body)
    if isinstance(body, dict):
        reported = {entry["field"] for entry in details}
        details += _decimal_errors(body_name, body, reported)
    if details:
        raise BadRequest("The request body is invalid.", details)
    return body


def field_valid(body_name: str, field: str, value: Any) -> bool:
    """Whether ``value`` satisfies the schema of one field of a body (for query parameters)."""
    return not _field_errors(body_name, field, value)


def _schema_errors(body_name: str, body: Any) -> list[dict[str, Any]]:
    try:
        _validator(body_name)(body)
        return []
    except fastjsonschema.JsonSchemaValueException as first:
        if not isinstance(body, dict):
            return [detail("body", "must be a JSON object")]
        schema = BODIES[body_name]
        properties = schema["properties"]
        details = [detail(key, "is not an allowed field") for key in body if key not in properties]
        details += [
            detail(key, "is required") for key in schema.get("required", ()) if key not in body
        ]
        if len(body) < schema.get("minProperties", 0):
            details.append(detail("body", f"must set at least one of: {', '.join(properties)}"))
        for key in properties:
            if key in body:
                details += _field_errors(body_name, key, body[key])
        # The checks above cover every top-level keyword the schemas use; the first error is
        # kept as a safety net should a schema grow a keyword they do not know.
        return details or [_from_exception("body", first)]


def _field_errors(body_name: str, field: str, value: Any) -> list[dict[str, Any]]:
    try:
        _validator(body_name, field)(value)
        return []
    except fastjsonschema.JsonSchemaValueException as exc:
        return [_from_exception(field, exc)]


def _from_exception(field: str, exc: fastjsonschema.JsonSchemaValueException) -> dict[str, Any]:
    # fastjsonschema names the value "data", "data[2].quantity", ...; messages start with it.
    name = exc.name or "data"
    path = field + name[len("data") :]
    message = exc.message[len(name) :].strip() or exc.message
    return detail(path, message)


def _decimal_errors(
    body_name: str, body: dict[str, Any], reported: set[str]
) -> list[dict[str, Any]]:
    # Only fields that passed the schema are numbers in range here; the others are reported.
    return [
        detail(field, f"must have at most {places} decimal places")
        for field, places in DECIMAL_PLACES.get(body_name, {}).items()
        if field in body and field not in reported and not has_places(Decimal(body[field]), places)
    ]


def has_places(value: Decimal, places: int) -> bool:
    """Whether ``value`` (already range-checked) has at most ``places`` decimal places."""
    return value == value.quantize(Decimal(1).scaleb(-places))
