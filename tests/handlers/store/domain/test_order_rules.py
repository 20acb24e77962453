"""The order rules (handlers/store/domain/order_rules.py) against the contract (docs/api.md,
"Orders"): every expected value here is the contract's, written out by hand."""

from decimal import Decimal

import pytest
from store.domain import order_rules as rules
from store.spec import errors

STATUSES = ("PENDING", "CONFIRMED", "SHIPPED", "DELIVERED", "CANCELLED")
# docs/api.md: PENDING -> CONFIRMED -> SHIPPED -> DELIVERED; PENDING or CONFIRMED -> CANCELLED.
ALLOWED = {
    ("PENDING", "CONFIRMED"),
    ("CONFIRMED", "SHIPPED"),
    ("SHIPPED", "DELIVERED"),
    ("PENDING", "CANCELLED"),
    ("CONFIRMED", "CANCELLED"),
}
PEN = {"name": "Pen", "price": Decimal("1.10"), "currency": "EUR"}
INK = {"name": "Ink", "price": Decimal("0.20"), "currency": "EUR"}


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_the_status_machine_is_the_contracts(current, target):
    assert (current in rules.allowed_from(target)) == ((current, target) in ALLOWED)


def test_allowed_from_is_sorted_for_a_stable_condition():
    assert rules.allowed_from("CANCELLED") == ["CONFIRMED", "PENDING"]
    assert rules.allowed_from("PENDING") == []


def test_price_is_exact_decimal_at_current_prices():
    lines = [{"productId": "p", "quantity": 3}, {"productId": "i", "quantity": 1}]
    order = rules.price("u", lines, {"p": PEN, "i": INK})
    # 3 x 1.10 + 1 x 0.20 = 3.50, exactly (binary floats would give 3.5000000000000004).
    assert order["total"] == Decimal("3.50")
    assert (order["currency"], order["status"], order["userId"]) == ("EUR", "PENDING", "u")
    assert order["items"][1] == {
        "productId": "i",
        "name": "Ink",
        "quantity": 1,
        "unitPrice": Decimal("0.20"),
    }


def test_a_missing_product_is_422_naming_its_line():
    lines = [{"productId": "p", "quantity": 1}, {"productId": "gone", "quantity": 1}]
    with pytest.raises(errors.Unprocessable) as caught:
        rules.price("u", lines, {"p": PEN})
    assert caught.value.details == [{"field": "items[1].productId", "message": "no such product"}]


def test_mixed_currencies_are_422():
    lines = [{"productId": "p", "quantity": 1}, {"productId": "d", "quantity": 1}]
    with pytest.raises(errors.Unprocessable) as caught:
        rules.price("u", lines, {"p": PEN, "d": {**INK, "currency": "USD"}})
    assert caught.value.details == [{"field": "items", "message": "mixes currencies: EUR, USD"}]


def test_a_product_named_twice_is_400_at_its_second_line():
    lines = [{"productId": "a"}, {"productId": "b"}, {"productId": "a"}]
    with pytest.raises(errors.BadRequest) as caught:
        rules.check_lines(lines)
    assert caught.value.details == [
        {"field": "items[2].productId", "message": "appears more than once"}
    ]
    rules.check_lines(lines[:2])


def test_an_admin_moves_any_order_an_owner_only_cancels_their_own():
    assert rules.move_for("SHIPPED", sub="a", is_admin=True) == rules.Move("SHIPPED", None, None)
    assert rules.move_for("CANCELLED", sub="a", is_admin=True) == rules.Move(
        "CANCELLED", None, "ADMIN"
    )
    assert rules.move_for("CANCELLED", sub="c", is_admin=False) == rules.Move(
        "CANCELLED", "c", "CUSTOMER"
    )
    with pytest.raises(errors.Forbidden):
        rules.move_for("CONFIRMED", sub="c", is_admin=False)


def test_a_cancel_is_checked_for_owner_then_status():
    order = {"userId": "c", "status": "SHIPPED"}
    with pytest.raises(errors.NotFound):
        rules.check_cancel(order, owner="someone else")
    with pytest.raises(errors.Conflict) as caught:
        rules.check_cancel(order, owner="c")
    assert caught.value.details == [{"field": "status", "message": "not allowed from SHIPPED"}]
    rules.check_cancel({"userId": "c", "status": "CONFIRMED"}, owner=None)
    with pytest.raises(errors.Conflict):
        rules.check_cancel({"userId": "c", "status": "CONFIRMED"}, owner=None, only_from="PENDING")


def test_a_retry_is_answered_with_the_earlier_order_only_if_it_ordered_the_same():
    new = {"orderId": "o", "userId": "u", "items": [{"productId": "p", "quantity": 2}]}
    earlier = {
        "items": [{"quantity": 2, "productId": "p", "unitPrice": Decimal(1)}],
        "userId": "u",
        "orderId": "o",
        "total": Decimal(2),
    }
    answer = rules.answer_to_retry(new, earlier)
    assert list(answer) == ["orderId", "userId", "items"]
    assert answer["items"] == [{"productId": "p", "quantity": 2}]
    with pytest.raises(errors.Unprocessable) as caught:
        rules.answer_to_retry({**new, "userId": "v"}, earlier)
    assert caught.value.details == [
        {"field": "Idempotency-Key", "message": "was used with a different body"}
    ]
