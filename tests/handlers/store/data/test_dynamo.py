"""DynamoDB plumbing (handlers/store/data/dynamo.py) and the paths moto never takes: unprocessed
batch keys, transaction conflicts, 1 MB pages."""

import pytest
from botocore.exceptions import ClientError
from store.data import dynamo, products_table
from store.runtime import sdk
from store.spec import errors

from stacks.base import config


def cancelled(*codes):
    """A TransactionCanceledException with these reasons."""
    error = ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": [{"Code": code} for code in codes],
        },
        "TransactWriteItems",
    )
    error.__class__ = dynamo.client().exceptions.TransactionCanceledException
    return error


def test_transaction_conflicts_are_retried(monkeypatch):
    outcomes = [cancelled("None", "TransactionConflict"), None]
    calls = []

    def transact_write_items(**kwargs):
        calls.append(kwargs)
        outcome = outcomes.pop(0)
        if outcome:
            raise outcome

    monkeypatch.setattr(dynamo.client(), "transact_write_items", transact_write_items)
    monkeypatch.setattr(dynamo.time, "sleep", lambda seconds: None)
    dynamo.transact({"check": {"ConditionCheck": {}}})
    assert len(calls) == 2


def test_persistent_conflicts_become_503_after_jittered_waits(monkeypatch):
    calls, waits = [], []

    def transact_write_items(**_):
        calls.append(1)
        raise cancelled("TransactionConflict")

    monkeypatch.setattr(dynamo.client(), "transact_write_items", transact_write_items)
    monkeypatch.setattr(dynamo.time, "sleep", waits.append)
    monkeypatch.setattr(dynamo.random, "uniform", lambda low, high: high / 2)
    with pytest.raises(errors.ServiceUnavailable):
        dynamo.transact({"check": {"ConditionCheck": {}}})
    assert len(calls) == dynamo.TRANSACTION_ATTEMPTS
    # Full jitter: a random share of a bound that doubles each time.
    assert waits == [dynamo.TRANSACTION_BACKOFF_S * 2**n / 2 for n in range(len(waits))]


def test_a_call_that_keeps_timing_out_ends_inside_the_functions_timeout():
    # Standard mode waits at most 1 s, then 2 s, ... between tries (full jitter, doubling).
    waits = sum(2**n for n in range(sdk.ATTEMPTS - 1))
    worst = sdk.ATTEMPTS * (sdk.CONNECT_TIMEOUT_S + sdk.READ_TIMEOUT_S) + waits
    assert all(worst < env.lambda_timeout_seconds for env in config.load_all())
    retries = dynamo.client().meta.config.retries
    assert retries == {"mode": "standard", "total_max_attempts": sdk.ATTEMPTS}


@pytest.mark.parametrize("codes", [("ConditionalCheckFailed", "TransactionConflict"), ("None",)])
def test_condition_failures_are_not_retried(monkeypatch, codes):
    calls = []

    def transact_write_items(**_):
        calls.append(1)
        raise cancelled(*codes)

    monkeypatch.setattr(dynamo.client(), "transact_write_items", transact_write_items)
    with pytest.raises(dynamo.Cancelled) as caught:
        dynamo.transact({"check": {"ConditionCheck": {}}})
    assert len(calls) == 1 and caught.value.failed("check") == (
        codes[0] == "ConditionalCheckFailed"
    )
    assert caught.value.old_item("check") is None


def test_unprocessed_batch_keys_are_fetched_again(api, monkeypatch):
    ids = [
        api(
            "POST", "/products", body={"name": f"P{i}", "price": 1, "category": "c", "stock": 1}
        ).body["productId"]
        for i in range(3)
    ]
    real = dynamo.client().batch_get_item
    calls = []

    def batch_get_item(RequestItems):  # pylint: disable=invalid-name
        calls.append(RequestItems)
        if len(calls) > 1:
            return real(RequestItems=RequestItems)
        keys = RequestItems[products_table.TABLE]["Keys"]
        response = real(RequestItems={products_table.TABLE: {"Keys": keys[:1]}})
        unprocessed = {products_table.TABLE: {"Keys": keys[1:], "ConsistentRead": True}}
        return {**response, "UnprocessedKeys": unprocessed}

    monkeypatch.setattr(dynamo.client(), "batch_get_item", batch_get_item)
    assert set(products_table.get_many(ids)) == set(ids)
    assert len(calls) == 2


def test_a_short_page_with_more_data_keeps_the_key(monkeypatch):
    last = {"productId": {"S": "p"}}
    client = dynamo.client()
    monkeypatch.setattr(client, "scan", lambda **_: {"Items": [], "LastEvaluatedKey": last})
    assert dynamo.page("scan", "t", spec=products_table.SPEC, index=None, limit=5, start=None) == (
        [],
        last,
    )
