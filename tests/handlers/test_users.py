"""Routes of the users function (handlers/users.py)."""

import uuid

import pytest
from store.data import users_table

from tests.events import customer


def sign_up(api, email="Ann@Example.com", name="Ann", caller=None):
    """A customer (new unless given) creates its profile; return it."""
    caller = caller or customer()
    reply = api("POST", "/users", body={"email": email, "name": name}, caller=caller)
    assert reply.status == 201, reply.body
    assert reply.body["userId"] == caller.sub
    return reply.body


def test_create_returns_the_user(api):
    ann = customer()
    user = sign_up(api, caller=ann)
    assert user["userId"] == ann.sub and uuid.UUID(user["userId"]).version == 4
    assert user["email"] == "Ann@Example.com" and user["name"] == "Ann"
    assert user["createdAt"].endswith("Z")
    assert "emailLower" not in user
    assert api("GET", f"/users/{user['userId']}").body == user
    assert api("GET", f"/users/{user['userId']}", caller=ann).body == user


def test_a_second_profile_for_the_same_caller_is_409_and_writes_nothing(api, snapshot):
    ann = customer()
    sign_up(api, caller=ann)
    before = snapshot()
    reply = api("POST", "/users", body={"email": "other@example.com", "name": "A"}, caller=ann)
    assert (reply.status, reply.code) == (409, "CONFLICT")
    assert reply.body["error"]["message"] == "You already have a profile."
    assert snapshot() == before


@pytest.mark.parametrize("other", ["ann@example.com", "ANN@EXAMPLE.COM", "Ann@Example.com"])
def test_email_is_unique_without_regard_to_case(api, snapshot, other):
    sign_up(api)
    before = snapshot()
    reply = api("POST", "/users", body={"email": other, "name": "Other"}, caller=customer())
    assert (reply.status, reply.code) == (409, "CONFLICT")
    assert reply.body["error"]["details"][0]["field"] == "email"
    assert snapshot() == before


def test_find_by_email_in_any_case(api):
    user = sign_up(api)
    reply = api("GET", "/users", query={"email": "ANN@example.COM"})
    assert reply.status == 200
    assert reply.body == {"items": [user], "nextToken": None}
    assert api("GET", "/users", query={"email": "bob@example.com"}).body["items"] == []


@pytest.mark.parametrize("query", [{}, {"email": "nope"}, {"email": "a@b.com\n"}, {"email": ""}])
def test_find_needs_a_valid_email(api, query):
    reply = api("GET", "/users", query=query)
    assert (reply.status, reply.code) == (400, "BAD_REQUEST")
    assert reply.body["error"]["details"][0]["field"] == "email"


def test_get_unknown_or_malformed_is_404(api):
    for user_id in (str(uuid.uuid4()), "EMAIL#ann@example.com", "x"):
        reply = api("GET", f"/users/{user_id}")
        assert (reply.status, reply.code) == (404, "NOT_FOUND")


def test_patch_name(api):
    user = sign_up(api)
    reply = api("PATCH", f"/users/{user['userId']}", body={"name": "Annie"})
    assert reply.status == 200 and reply.body["name"] == "Annie"
    assert reply.body["email"] == user["email"]


def test_patch_email_moves_the_claim(api):
    user = sign_up(api)
    reply = api("PATCH", f"/users/{user['userId']}", body={"email": "ann@new.example"})
    assert reply.status == 200 and reply.body["email"] == "ann@new.example"
    # The old address is free again, the new one is taken.
    sign_up(api, email="ann@example.com", name="New Ann")
    reply = api("POST", "/users", body={"email": "ANN@new.example", "name": "X"}, caller=customer())
    assert reply.status == 409
    found = api("GET", "/users", query={"email": "ann@new.example"}).body["items"]
    assert [u["userId"] for u in found] == [user["userId"]]


def test_patch_email_case_only_keeps_the_claim(api, snapshot):
    user = sign_up(api)
    reply = api("PATCH", f"/users/{user['userId']}", body={"email": "ANN@example.com"})
    assert reply.status == 200 and reply.body["email"] == "ANN@example.com"
    claims = [i for i in snapshot()["users"] if i["userId"]["S"].startswith("EMAIL#")]
    assert len(claims) == 1


def test_patch_to_a_taken_email_is_409_and_writes_nothing(api, snapshot):
    sign_up(api)
    bob = sign_up(api, email="bob@example.com", name="Bob")
    before = snapshot()
    reply = api("PATCH", f"/users/{bob['userId']}", body={"email": "ann@EXAMPLE.com"})
    assert (reply.status, reply.code) == (409, "CONFLICT")
    assert reply.body["error"]["details"] == [{"field": "email", "message": "is already in use"}]
    assert snapshot() == before


def test_patch_after_a_concurrent_change_is_409(api, aws, snapshot, monkeypatch):
    user = sign_up(api)
    stale = users_table.get(user["userId"])
    aws.update_item(
        TableName="test-users",
        Key={"userId": {"S": user["userId"]}},
        UpdateExpression="SET emailLower = :e",
        ExpressionAttributeValues={":e": {"S": "changed@example.com"}},
    )
    monkeypatch.setattr(users_table, "get", lambda user_id: stale)
    before = snapshot()
    reply = api("PATCH", f"/users/{user['userId']}", body={"email": "other@example.com"})
    assert (reply.status, reply.code) == (409, "CONFLICT")
    reply = api("DELETE", f"/users/{user['userId']}")
    assert (reply.status, reply.code) == (409, "CONFLICT")
    assert snapshot() == before
    # A new name alone needs no read, so no stale copy: it applies, and keeps the new address.
    reply = api("PATCH", f"/users/{user['userId']}", body={"name": "X"})
    assert reply.status == 200 and reply.body["name"] == "X"
    stored = aws.get_item(TableName="test-users", Key={"userId": {"S": user["userId"]}})["Item"]
    assert stored["emailLower"] == {"S": "changed@example.com"}


def test_patch_unknown_user_is_404(api):
    reply = api("PATCH", f"/users/{uuid.uuid4()}", body={"name": "X"})
    assert (reply.status, reply.code) == (404, "NOT_FOUND")


def test_patch_needs_a_field(api):
    user = sign_up(api)
    reply = api("PATCH", f"/users/{user['userId']}", body={})
    assert (reply.status, reply.code) == (400, "BAD_REQUEST")


def test_delete_releases_the_email(api, snapshot):
    user = sign_up(api)
    reply = api("DELETE", f"/users/{user['userId']}")
    assert reply.status == 204
    assert snapshot()["users"] == []
    assert api("GET", f"/users/{user['userId']}").status == 404
    assert api("DELETE", f"/users/{user['userId']}").status == 404
    sign_up(api)
