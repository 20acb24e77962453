"""AWS answering late never holds a function past its timeout: each attempt gives up at the
SDK's read timeout, and when every attempt does the caller gets the contract's 503 with
``Retry-After`` rather than the gateway's 504."""

from decimal import Decimal

from tests.chaos.storm import AWS_TEXT


def test_dynamodb_answering_late_is_503_not_a_function_timeout(api, emulator_faults):
    product = api.create_product()
    # Longer than the read timeout (1.5 s), on every attempt the SDK makes (3).
    emulator_faults.add("dynamodb", "GetItem", latency_ms=5000, count=3)
    late = api.get(f"/products/{product['productId']}")
    assert late.status_code == 503, late.text
    assert late.headers["Retry-After"] == "1"
    assert late.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert not AWS_TEXT.search(late.text)
    assert emulator_faults.rules()[0]["hits"] == 3
    # Once DynamoDB answers in time again, so does the function.
    again = api.get(f"/products/{product['productId']}")
    assert again.status_code == 200
    assert again.json(parse_float=Decimal)["productId"] == product["productId"]
