"""bench/fixed_cost.py: the one table of how each kind is priced is also the set of priced kinds."""

from bench.fixed_cost import FREE_WHEN_IDLE, PRICING, fixed_costs
from bench.prices import load_prices


def test_the_priced_kinds_are_the_tables_keys_and_the_rest_is_free_or_reported():
    prices = load_prices()
    config = {
        "resource": {
            "aws_kms_key": {"k": {"description": "the key"}},
            "aws_nat_gateway": {"a": {}, "b": {}},
            "aws_secretsmanager_secret_version": {"v": {}},
            "aws_lambda_function": {"f": {}},
            "aws_sfn_state_machine": {"q": {}},
        }
    }
    lines, unpriced = fixed_costs(config, prices)
    assert [(line.category, line.quantity) for line in lines] == [
        ("KMS keys", 1),
        ("NAT gateways", 2),
    ]
    nat = 2 * prices["hours_per_month"] * prices["prices"]["nat_gateway_hour"]["price"]
    assert lines[1].monthly == nat
    # Priced with another kind, free while idle, and unknown (reported, never dropped).
    assert "aws_secretsmanager_secret_version" in PRICING
    assert any("aws_lambda_function".startswith(prefix) for prefix in FREE_WHEN_IDLE)
    assert unpriced == ["aws_sfn_state_machine"]
