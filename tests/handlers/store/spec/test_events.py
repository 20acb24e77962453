"""store.spec.events and contract/events.schema.json: the schema is valid, in step with the
names here and with the API's Order (an event's ``order`` is what ``GET /orders/{orderId}``
returns), and refuses what the contract forbids."""

import json
from pathlib import Path

import pytest
from jsonschema import Draft7Validator, ValidationError
from store.spec import events, schemas

SCHEMA = json.loads(
    (Path(__file__).parents[4] / "contract" / "events.schema.json").read_text(encoding="utf-8")
)
VALIDATOR = Draft7Validator(SCHEMA)
ORDER = {
    "orderId": "7f0d8a4e-8f55-4d7e-9a55-2a7e3a2b8f10",
    "userId": "1b4e28ba-2fa1-41d2-883f-0016d3cca427",
    "items": [
        {
            "productId": "9c858901-8a57-4791-81fe-4c455b099bc9",
            "name": "Pen",
            "quantity": 2,
            "unitPrice": 0.07,
        }
    ],
    "total": 0.14,
    "currency": "USD",
    "status": "PENDING",
    "createdAt": "2026-12-04T10:00:00.000Z",
    "updatedAt": "2026-12-04T10:00:00.000Z",
}
COMMON = {
    "eventId": "3d2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b",
    "schemaVersion": 1,
    "occurredAt": "2026-12-04T10:00:00.123Z",
}
CANCELLED = {**ORDER, "status": "CANCELLED", "cancelReason": "EXPIRED"}


def envelope(detail_type, **detail):
    return {"source": "store", "detail-type": detail_type, "detail": {**COMMON, **detail}}


def test_is_a_valid_schema_naming_the_spec_detail_types():
    Draft7Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["detail-type"]["enum"] == list(events.DETAIL_TYPES)
    assert SCHEMA["properties"]["source"]["const"] == events.SOURCE
    assert set(SCHEMA["definitions"]) >= set(events.DETAIL_TYPES)


def test_the_order_has_the_apis_order_fields():
    api_order = schemas.RESPONSES["Order"]
    event_order = SCHEMA["definitions"]["order"]
    assert set(event_order["properties"]) == set(api_order["properties"])
    assert sorted(event_order["required"]) == sorted(api_order["required"])
    assert event_order["properties"]["cancelReason"]["enum"] == list(events.CANCEL_REASONS)


@pytest.mark.parametrize(
    "event",
    [
        envelope("OrderPlaced", order=ORDER),
        envelope("OrderStatusChanged", order=CANCELLED, **{"from": "PENDING", "to": "CANCELLED"}),
        envelope("StockLow", productId=ORDER["userId"], name="Pen", stock=5, threshold=5),
    ],
    ids=["placed", "cancelled", "stock-low"],
)
def test_the_contracts_events_are_valid(event):
    if event["detail-type"] == "OrderStatusChanged":
        event["detail"]["reason"] = "EXPIRED"
    VALIDATOR.validate(event)


def _said(error: ValidationError) -> str:
    """Where an error (and each error under its anyOf/oneOf) is, and the property a missing or
    unexpected one names; never the instance its message may quote whole."""
    parts = [".".join(map(str, error.absolute_path))]
    if error.validator in ("required", "additionalProperties"):
        parts.append(error.message.split(" is a ")[0].split(" were ")[0].split(" was ")[0])
    if error.validator == "not":  # "must not have": the properties it forbids
        parts += error.validator_value.get("required", [])
    return " ".join([*parts, *(_said(sub) for sub in error.context or ())])


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (envelope("OrderPlaced", order={**ORDER, "email": "a@b.co"}), "email"),  # no address, ever
        (envelope("OrderPlaced", order={**ORDER, "status": "CONFIRMED"}), "status"),
        (
            envelope(
                "OrderStatusChanged", order=CANCELLED, **{"from": "PENDING", "to": "CANCELLED"}
            ),
            "reason",
        ),
        (
            envelope(
                "OrderStatusChanged",
                order=ORDER,
                reason="ADMIN",
                **{"from": "PENDING", "to": "CONFIRMED"},
            ),
            "reason",
        ),
        (envelope("StockLow", productId="x", name="Pen", stock=5, threshold=5), "productId"),
        ({**envelope("OrderPlaced", order=ORDER), "source": "shop"}, "source"),
        ({**envelope("OrderPlaced", order=ORDER), "detail-type": "OrderLost"}, "detail-type"),
        (envelope("OrderPlaced", order=ORDER, schemaVersion=2), "schemaVersion"),
    ],
    ids=[
        "an-email",
        "placed-not-pending",
        "cancel-without-reason",
        "reason-without-cancel",
        "bad-product-id",
        "other-source",
        "unknown-type",
        "other-version",
    ],
)
def test_what_the_contract_forbids_is_invalid_for_that_reason(event, field):
    """Each event breaks one rule of the contract; the validator refuses it naming that field."""
    errors = list(VALIDATOR.iter_errors(event))
    assert errors, "the schema accepts it"
    assert any(field in _said(error) for error in errors), [e.message for e in errors]
