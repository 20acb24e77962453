"""Opaque, tamper-evident pagination tokens.

A token is DynamoDB's ``LastEvaluatedKey`` encrypted with the KMS key named by
``PAGINATION_KMS_KEY_ID`` under an encryption context that names the query and its parameters.
A client can neither read nor forge it, and a token minted for one query (another category,
another user, another environment's key) fails to decrypt for any other: a 400, never a 500.
"""

import base64
import binascii
import json
import os
from typing import Any

from botocore.exceptions import ClientError

from ..runtime import sdk
from ..spec import settings
from ..spec.errors import BadRequest, detail

# KMS ciphertext of a key this small is a few hundred bytes; refuse anything absurd unread.
MAX_TOKEN_CHARS = 2048
# Errors that mean "this is not a token we issued for this query", as opposed to KMS being down.
# A ciphertext under another key is IncorrectKeyException in AWS (KeyId is pinned) and
# AccessDeniedException in moto and for keys we may not use: not ours either way. Our own key
# being unusable shows up as a 500 on every first page (encrypt), not hidden by this.
_FOREIGN = {"InvalidCiphertextException", "IncorrectKeyException", "AccessDeniedException"}


def _kms() -> Any:
    # Created on first use: the users function never paginates and never pays for it. The same
    # retries and timeouts as DynamoDB's client, for the same reasons (docs/architecture.md).
    return sdk.client("kms")


def encode(last_key: dict[str, Any] | None, context: dict[str, str]) -> str | None:
    """The token for the page after ``last_key`` (None when there is none)."""
    if last_key is None:
        return None
    ciphertext = _kms().encrypt(
        KeyId=os.environ[settings.PAGINATION_KEY_ID],
        Plaintext=json.dumps(last_key, separators=(",", ":")).encode(),
        EncryptionContext=context,
    )["CiphertextBlob"]
    return base64.urlsafe_b64encode(ciphertext).decode().rstrip("=")


def decode(token: str | None, context: dict[str, str]) -> dict[str, Any] | None:
    """The ``ExclusiveStartKey`` a token stands for; 400 if it is not ours for this query."""
    if token is None:
        return None
    invalid = BadRequest("Invalid pagination token.", [detail("nextToken", "is not valid")])
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise invalid
    try:
        ciphertext = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        plaintext = _kms().decrypt(
            KeyId=os.environ[settings.PAGINATION_KEY_ID],
            CiphertextBlob=ciphertext,
            EncryptionContext=context,
        )["Plaintext"]
    except (binascii.Error, ValueError) as exc:
        raise invalid from exc
    except ClientError as exc:
        if exc.response["Error"]["Code"] in _FOREIGN:
            raise invalid from exc
        raise
    return json.loads(plaintext)
