"""Request validation (handlers/store/http/validation.py)."""

from decimal import Decimal

import pytest
from store.http import validation
from store.spec import errors, schemas

HANDLED = {
    "$schema",
    "title",
    "type",
    "properties",
    "additionalProperties",
    "required",
    "minProperties",
}


def test_every_top_level_keyword_is_reported_field_by_field():
    # validation._schema_errors explains failures keyword by keyword; a new top-level keyword
    # would only be reported through its safety net.
    for schema in schemas.BODIES.values():
        assert set(schema) <= HANDLED


def test_safety_net_names_the_body(monkeypatch):
    strict = {**schemas.BODIES["UserUpdate"], "maxProperties": 1}
    monkeypatch.setitem(schemas.BODIES, "Strict", strict)
    with pytest.raises(errors.BadRequest) as caught:
        validation.validate("Strict", {"name": "a", "email": "a@b.co"})
    assert caught.value.details[0]["field"] == "body"


def test_valid_bodies_pass_unchanged():
    body = {"name": "Pen", "price": Decimal("0.07"), "category": "c", "stock": 0}
    assert validation.validate("ProductCreate", body) is body


@pytest.mark.parametrize(
    ("value", "places", "ok"),
    [
        ("0.07", 2, True),
        ("19.990", 2, True),
        ("1E+3", 2, True),
        ("0.005", 2, False),
        ("1.5", 0, False),
    ],
)
def test_has_places(value, places, ok):
    assert validation.has_places(Decimal(value), places) is ok


def test_field_valid():
    assert validation.field_valid("UserCreate", "email", "a@b.co")
    assert not validation.field_valid("UserCreate", "email", "a@b")
