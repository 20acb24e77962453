"""Access patterns on the users table.

| pattern          | operation                                         | index             |
| ---------------- | ------------------------------------------------- | ----------------- |
| get              | GetItem                                           | table             |
| find_by_email    | Query on emailLower                               | emailLower-index  |
| create           | transaction: Put user + Put email claim, if absent | table             |
| rename           | UpdateItem if the user exists, ALL_NEW            | table             |
| update           | transaction: Update user (+ move the email claim)  | table             |
| delete           | transaction: Delete user + Delete email claim      | table             |
| exists_op        | transaction ConditionCheck (orders)                | table             |

Email uniqueness: besides each user, the table holds one *claim* item per address, keyed
``EMAIL#<lowercased address>`` in the ``userId`` attribute and naming its owner. A claim is only
ever created with ``attribute_not_exists`` in the same transaction as the user it belongs to, so
two racing sign-ups with one address cannot both commit. Claims have no ``emailLower``
attribute, so they never appear in the index, and their key is no UUID, so no route reaches them.
"""

from typing import Any

from ..spec import settings, table_schemas
from ..spec.errors import Conflict, NotFound
from . import dynamo

TABLE = dynamo.table_name(settings.USERS_TABLE)
BY_EMAIL = table_schemas.USERS_BY_EMAIL
CLAIM_PREFIX = "EMAIL#"
_TAKEN = "The email address is already in use."
_EXISTS = "You already have a profile."
_RACED = "The user was changed by another request; retry."


def _key(user_id: str) -> dict[str, Any]:
    return {"userId": {"S": user_id}}


def _claim_key(email: str) -> dict[str, Any]:
    return _key(CLAIM_PREFIX + email.lower())


def public(user: dict[str, Any]) -> dict[str, Any]:
    """The user as the API shows it (without the lowercased lookup key)."""
    return {key: value for key, value in user.items() if key != "emailLower"}


def get(user_id: str) -> dict[str, Any]:
    """The user, or 404."""
    item = dynamo.client().get_item(TableName=TABLE, Key=_key(user_id), ConsistentRead=True)
    if "Item" not in item:
        raise NotFound("User not found.")
    return dynamo.from_item(item["Item"])


def find_by_email(email: str) -> list[dict[str, Any]]:
    """The user with this address, whatever its case (0 or 1 item; Query on emailLower-index)."""
    response = dynamo.client().query(
        TableName=TABLE,
        IndexName=BY_EMAIL.name,
        KeyConditionExpression="emailLower = :email",
        ExpressionAttributeValues=dynamo.values(email=email.lower()),
    )
    return [dynamo.from_item(item) for item in response["Items"]]


def _put_claim(email: str, user_id: str) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": TABLE,
            "Item": dynamo.to_item({"userId": CLAIM_PREFIX + email.lower(), "ownerId": user_id}),
            "ConditionExpression": "attribute_not_exists(userId)",
        }
    }


def _delete_claim(email: str, user_id: str) -> dict[str, Any]:
    return {
        "Delete": {
            "TableName": TABLE,
            "Key": _claim_key(email),
            "ConditionExpression": "ownerId = :owner",
            "ExpressionAttributeValues": dynamo.values(owner=user_id),
        }
    }


def create(fields: dict[str, Any], user_id: str, now: str) -> dict[str, Any]:
    """Store a new user and claim its address atomically; 409 if the user (the caller's own
    profile, keyed by its ``sub``) exists or the address is taken."""
    user = {
        "userId": user_id,
        **fields,
        "emailLower": fields["email"].lower(),
        "createdAt": now,
        "updatedAt": now,
    }
    try:
        dynamo.transact(
            {
                "user": {
                    "Put": {
                        "TableName": TABLE,
                        "Item": dynamo.to_item(user),
                        "ConditionExpression": "attribute_not_exists(userId)",
                    }
                },
                "claim": _put_claim(user["email"], user_id),
            }
        )
    except dynamo.Cancelled as exc:
        if exc.failed("user"):
            raise Conflict(_EXISTS) from exc
        raise Conflict(_TAKEN, [{"field": "email", "message": "is already in use"}]) from exc
    return user


def rename(user_id: str, name: str, now: str) -> dict[str, Any]:
    """Change only the user's name: one conditional UpdateItem (the address and its claim stay
    as they are, so nothing needs reading first); 404 if there is no such user."""
    try:
        response = dynamo.client().update_item(
            TableName=TABLE,
            Key=_key(user_id),
            UpdateExpression="SET #name = :name, updatedAt = :now",
            # A user, not an email claim (claims have no emailLower), and never a new item.
            ConditionExpression="attribute_exists(emailLower)",
            ExpressionAttributeNames={"#name": "name"},
            ExpressionAttributeValues=dynamo.values(name=name, now=now),
            ReturnValues="ALL_NEW",
        )
    except dynamo.client().exceptions.ConditionalCheckFailedException as exc:
        raise NotFound("User not found.") from exc
    return dynamo.from_item(response["Attributes"])


def update(user: dict[str, Any], changes: dict[str, Any], now: str) -> dict[str, Any]:
    """Apply ``changes`` to ``user`` (as read); a new address moves the claim in the same step.

    The user item is conditioned on the address it was read with, so a concurrent change of
    the address (or a deletion) makes this a 409 instead of leaving a stale claim behind.
    """
    updated = {**user, **changes, "updatedAt": now}
    updated["emailLower"] = updated["email"].lower()
    names = ("email", "emailLower", "name", "updatedAt")
    operations = {
        "user": {
            "Update": {
                "TableName": TABLE,
                "Key": _key(user["userId"]),
                "UpdateExpression": "SET " + ", ".join(f"#{name} = :{name}" for name in names),
                "ConditionExpression": "emailLower = :old",
                "ExpressionAttributeNames": {f"#{name}": name for name in names},
                "ExpressionAttributeValues": dynamo.values(
                    old=user["emailLower"], **{name: updated[name] for name in names}
                ),
            }
        }
    }
    if updated["emailLower"] != user["emailLower"]:
        operations["old claim"] = _delete_claim(user["email"], user["userId"])
        operations["new claim"] = _put_claim(updated["email"], user["userId"])
    try:
        dynamo.transact(operations)
    except dynamo.Cancelled as exc:
        if exc.failed("new claim"):
            raise Conflict(_TAKEN, [{"field": "email", "message": "is already in use"}]) from exc
        raise Conflict(_RACED) from exc
    return updated


def delete(user: dict[str, Any]) -> None:
    """Delete the user (as read) and release its address in one step."""
    try:
        dynamo.transact(
            {
                "user": {
                    "Delete": {
                        "TableName": TABLE,
                        "Key": _key(user["userId"]),
                        "ConditionExpression": "emailLower = :old",
                        "ExpressionAttributeValues": dynamo.values(old=user["emailLower"]),
                    }
                },
                "claim": _delete_claim(user["email"], user["userId"]),
            }
        )
    except dynamo.Cancelled as exc:
        raise Conflict(_RACED) from exc


def exists_op(user_id: str) -> dict[str, Any]:
    """Transaction item: the user exists (and is a user, not an email claim)."""
    return {
        "ConditionCheck": {
            "TableName": TABLE,
            "Key": _key(user_id),
            "ConditionExpression": "attribute_exists(emailLower)",
        }
    }
