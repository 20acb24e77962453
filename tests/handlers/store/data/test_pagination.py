"""Pagination tokens (handlers/store/data/pagination.py): opaque, bound to their query, 400 if
bad."""

import pytest
from botocore.exceptions import ClientError
from store.data import pagination
from store.spec import errors, settings

KEY = {"productId": {"S": "abc"}}
CONTEXT = {"query": "products-all"}


def test_round_trip_and_opacity(aws):  # pylint: disable=unused-argument
    token = pagination.encode(KEY, CONTEXT)
    assert "abc" not in token and "=" not in token
    assert pagination.decode(token, CONTEXT) == KEY
    assert pagination.encode(None, CONTEXT) is None
    assert pagination.decode(None, CONTEXT) is None


def test_other_context_is_rejected(aws):  # pylint: disable=unused-argument
    token = pagination.encode(KEY, {"query": "orders-by-user", "userId": "a"})
    with pytest.raises(errors.BadRequest):
        pagination.decode(token, {"query": "orders-by-user", "userId": "b"})


def test_token_from_another_key_is_rejected(aws, monkeypatch):  # pylint: disable=unused-argument
    token = pagination.encode(KEY, CONTEXT)
    other = pagination._kms().create_key()["KeyMetadata"]["KeyId"]  # pylint: disable=protected-access
    monkeypatch.setenv(settings.PAGINATION_KEY_ID, other)
    with pytest.raises(errors.BadRequest):
        pagination.decode(token, CONTEXT)


def test_kms_outage_is_not_a_client_error(aws, monkeypatch):  # pylint: disable=unused-argument
    token = pagination.encode(KEY, CONTEXT)

    def throttled(**_):
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "x"}}, "Decrypt")

    monkeypatch.setattr(pagination._kms(), "decrypt", throttled)  # pylint: disable=protected-access
    with pytest.raises(ClientError):
        pagination.decode(token, CONTEXT)


def test_kms_is_called_with_the_functions_retries_and_timeouts():
    config = pagination._kms().meta.config  # pylint: disable=protected-access
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}
    assert (config.connect_timeout, config.read_timeout) == (0.5, 1.5)
