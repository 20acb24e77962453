"""Who may call what (the contract, as handlers/store/spec/routes.py holds it): every row of the
table, allowed and refused, for anyone (no token), a customer, the owner and an admin. A refused
request writes nothing.

The functions see what API Gateway's Cognito authorizer passes them (``tests.events.Person``);
API Gateway itself answers a missing or bad token with 401 before any function runs, and the
functions answer 401 too if they are ever invoked without claims.
"""

import uuid
from decimal import Decimal

import pytest
from conftest import ADMIN, ALLOWED_ORIGIN, invoke, make_event
from store.spec import routes

from tests.events import Person, customer

ANN, BOB, CAROL = customer(), customer(), customer()
# Who signs each case: nobody, Ann (owner of the addressed data), Bob (another customer),
# Carol (a customer with no profile yet), an admin.
PEOPLE = {"anyone": None, "ann": ANN, "bob": BOB, "carol": CAROL, "admin": ADMIN}


@pytest.fixture(name="world")
def world_fixture(api):
    """Ann and Bob with profiles and one order each; two products. Ids by name."""
    ids = {"ann": ANN.sub, "bob": BOB.sub, "nobody": str(uuid.uuid4())}
    for name, person in (("ann", ANN), ("bob", BOB)):
        body = {"email": f"{name}@example.com", "name": name}
        reply = api("POST", "/users", body=body, caller=person)
        assert reply.status == 201, reply.body
    for name in ("pen", "ink"):
        body = {"name": name, "price": Decimal("1.50"), "category": "office", "stock": 10}
        ids[name] = api("POST", "/products", body=body).body["productId"]
    for name, person in (("ann", ANN), ("bob", BOB)):
        body = {"items": [{"productId": ids["pen"], "quantity": 1}]}
        ids[f"{name}_order"] = api("POST", "/orders", body=body, caller=person).body["orderId"]
    return ids


def _order(product="pen", **extra):
    return {"items": [{"productId": f"{{{product}}}", "quantity": 1}], **extra}


NEW_PRODUCT = {"body": {"name": "x", "price": 1, "category": "c", "stock": 1}}
NEW_PROFILE = {"body": {"email": "c@example.com", "name": "C"}}
TO_CANCELLED, TO_CONFIRMED, TO_SHIPPED = (
    {"body": {"status": status}} for status in ("CANCELLED", "CONFIRMED", "SHIPPED")
)
# (who, method, path, request, expected status, expected code). Paths and bodies name the world's
# ids in braces. Refusals come first in each row's group; the last allowed case of a group may
# delete what it addresses, so each case runs in a world of its own.
CASES = [
    # Products: reading is for anyone; changing is for admins.
    ("anyone", "GET", "/products", {}, 200, None),
    ("bob", "GET", "/products", {"query": {"category": "office"}}, 200, None),
    ("anyone", "GET", "/products/{pen}", {}, 200, None),
    ("bob", "GET", "/products/{pen}", {}, 200, None),
    ("anyone", "POST", "/products", NEW_PRODUCT, 401, "UNAUTHORIZED"),
    ("bob", "POST", "/products", NEW_PRODUCT, 403, "FORBIDDEN"),
    ("admin", "POST", "/products", NEW_PRODUCT, 201, None),
    ("anyone", "PATCH", "/products/{pen}", {"body": {"price": 0.5}}, 401, "UNAUTHORIZED"),
    ("bob", "PATCH", "/products/{pen}", {"body": {"price": 0.5}}, 403, "FORBIDDEN"),
    ("admin", "PATCH", "/products/{pen}", {"body": {"price": 0.5}}, 200, None),
    ("anyone", "DELETE", "/products/{pen}", {}, 401, "UNAUTHORIZED"),
    ("bob", "DELETE", "/products/{pen}", {}, 403, "FORBIDDEN"),
    ("admin", "DELETE", "/products/{pen}", {}, 204, None),
    # POST /users: a customer creates its own profile, once.
    ("anyone", "POST", "/users", NEW_PROFILE, 401, "UNAUTHORIZED"),
    ("ann", "POST", "/users", NEW_PROFILE, 409, "CONFLICT"),
    ("carol", "POST", "/users", NEW_PROFILE, 201, None),
    # GET /users?email= is for admins.
    ("anyone", "GET", "/users", {"query": {"email": "ann@example.com"}}, 401, "UNAUTHORIZED"),
    ("ann", "GET", "/users", {"query": {"email": "ann@example.com"}}, 403, "FORBIDDEN"),
    ("admin", "GET", "/users", {"query": {"email": "ann@example.com"}}, 200, None),
    # A profile: its owner or an admin; anyone else is told it does not exist.
    ("anyone", "GET", "/users/{ann}", {}, 401, "UNAUTHORIZED"),
    ("bob", "GET", "/users/{ann}", {}, 404, "NOT_FOUND"),
    ("ann", "GET", "/users/{ann}", {}, 200, None),
    ("admin", "GET", "/users/{ann}", {}, 200, None),
    ("anyone", "PATCH", "/users/{ann}", {"body": {"name": "Evil"}}, 401, "UNAUTHORIZED"),
    ("bob", "PATCH", "/users/{ann}", {"body": {"name": "Evil"}}, 404, "NOT_FOUND"),
    ("bob", "PATCH", "/users/{ann}", {"body": {"email": "evil@example.com"}}, 404, "NOT_FOUND"),
    ("ann", "PATCH", "/users/{ann}", {"body": {"name": "Annie"}}, 200, None),
    ("ann", "PATCH", "/users/{ann}", {"body": {"email": "annie@example.com"}}, 200, None),
    ("admin", "PATCH", "/users/{ann}", {"body": {"name": "Annie"}}, 200, None),
    ("anyone", "DELETE", "/users/{ann}", {}, 401, "UNAUTHORIZED"),
    ("bob", "DELETE", "/users/{ann}", {}, 404, "NOT_FOUND"),
    ("ann", "DELETE", "/users/{ann}", {}, 204, None),
    ("admin", "DELETE", "/users/{ann}", {}, 204, None),
    # POST /orders: for oneself (userId left out or one's own); for another only as an admin.
    ("anyone", "POST", "/orders", {"body": _order()}, 401, "UNAUTHORIZED"),
    ("bob", "POST", "/orders", {"body": _order(userId="{ann}")}, 403, "FORBIDDEN"),
    ("ann", "POST", "/orders", {"body": _order()}, 201, None),
    ("ann", "POST", "/orders", {"body": _order(userId="{ann}")}, 201, None),
    ("admin", "POST", "/orders", {"body": _order(userId="{ann}")}, 201, None),
    # GET /orders?userId=: the owner of userId or an admin; another's list is a 403.
    ("anyone", "GET", "/orders", {"query": {"userId": "{ann}"}}, 401, "UNAUTHORIZED"),
    ("bob", "GET", "/orders", {"query": {"userId": "{ann}"}}, 403, "FORBIDDEN"),
    ("ann", "GET", "/orders", {"query": {"userId": "{ann}"}}, 200, None),
    ("admin", "GET", "/orders", {"query": {"userId": "{ann}"}}, 200, None),
    # An order: its owner or an admin; anyone else is told it does not exist.
    ("anyone", "GET", "/orders/{ann_order}", {}, 401, "UNAUTHORIZED"),
    ("bob", "GET", "/orders/{ann_order}", {}, 404, "NOT_FOUND"),
    ("ann", "GET", "/orders/{ann_order}", {}, 200, None),
    ("admin", "GET", "/orders/{ann_order}", {}, 200, None),
    # PATCH an order: an admin, any allowed move; the owner only to CANCELLED.
    ("anyone", "PATCH", "/orders/{ann_order}", TO_CANCELLED, 401, "UNAUTHORIZED"),
    ("bob", "PATCH", "/orders/{ann_order}", TO_CANCELLED, 404, "NOT_FOUND"),
    ("bob", "PATCH", "/orders/{ann_order}", TO_CONFIRMED, 403, "FORBIDDEN"),
    ("ann", "PATCH", "/orders/{ann_order}", TO_CONFIRMED, 403, "FORBIDDEN"),
    ("ann", "PATCH", "/orders/{ann_order}", TO_SHIPPED, 403, "FORBIDDEN"),
    ("ann", "PATCH", "/orders/{ann_order}", TO_CANCELLED, 200, None),
    ("admin", "PATCH", "/orders/{ann_order}", TO_CONFIRMED, 200, None),
    ("admin", "PATCH", "/orders/{ann_order}", TO_CANCELLED, 200, None),
]  # fmt: skip


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    return value


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]} {c[1]} {c[2]} {c[4]}" for c in CASES])
def test_who_may_call_what(api, world, snapshot, case):
    who, method, path, request, status, code = case
    before = snapshot()
    reply = api(method, _fill(path, world), caller=PEOPLE[who], **_fill(request, world))
    assert (reply.status, reply.code) == (status, code), reply.body
    assert reply.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    if status >= 400:
        assert snapshot() == before
        assert set(reply.body["error"]) == {"code", "message", "details"}


def test_every_route_has_a_refused_and_an_allowed_case():
    for route in routes.ROUTES:
        cases = [c for c in CASES if route.matches(c[1], c[2].replace("{", "").replace("}", ""))]
        statuses = {c[4] for c in cases}
        assert any(s < 300 for s in statuses), route
        if route.signed_in:
            assert 401 in statuses, route
        if route.access in (routes.Access.ADMIN, routes.Access.OWNER_OR_ADMIN):
            assert statuses & {403, 404}, route


def test_own_profile_is_keyed_by_the_callers_sub(api, world):
    reply = api("POST", "/users", body={"email": "carol@example.com", "name": "C"}, caller=CAROL)
    assert reply.body["userId"] == CAROL.sub
    assert api("GET", f"/users/{CAROL.sub}", caller=CAROL).body == reply.body


def test_another_users_order_looks_like_no_order(api, world):
    foreign = api("GET", f"/orders/{world['ann_order']}", caller=BOB)
    missing = api("GET", f"/orders/{uuid.uuid4()}", caller=BOB)
    assert (foreign.status, foreign.body) == (missing.status, missing.body)
    foreign = api("GET", f"/users/{ANN.sub}", caller=BOB)
    missing = api("GET", f"/users/{uuid.uuid4()}", caller=BOB)
    assert (foreign.status, foreign.body) == (missing.status, missing.body)


def test_an_order_without_user_id_is_the_callers(api, world):
    reply = api("POST", "/orders", body=_fill(_order(), world), caller=BOB)
    assert reply.status == 201 and reply.body["userId"] == BOB.sub


def test_an_admin_orders_for_another_user(api, world):
    reply = api("POST", "/orders", body=_fill(_order(userId="{bob}"), world))
    assert reply.status == 201 and reply.body["userId"] == BOB.sub
    mine = api("GET", f"/orders/{reply.body['orderId']}", caller=BOB)
    assert mine.status == 200


def test_the_owners_cancel_restocks(api, world):
    before = api("GET", f"/products/{world['pen']}", caller=None).body["stock"]
    reply = api("PATCH", f"/orders/{world['ann_order']}", body={"status": "CANCELLED"}, caller=ANN)
    assert reply.status == 200 and reply.body["status"] == "CANCELLED"
    assert api("GET", f"/products/{world['pen']}", caller=None).body["stock"] == before + 1


def test_idempotency_keys_are_per_caller(api, world):
    body = _fill(_order(), world)
    headers = {"Idempotency-Key": "same-key"}
    ann = api("POST", "/orders", body=body, headers=headers, caller=ANN)
    bob = api("POST", "/orders", body=body, headers=headers, caller=BOB)
    again = api("POST", "/orders", body=body, headers=headers, caller=ANN)
    assert ann.status == bob.status == again.status == 201
    assert (ann.body["userId"], bob.body["userId"]) == (ANN.sub, BOB.sub)
    assert ann.body["orderId"] != bob.body["orderId"]
    assert again.raw["body"] == ann.raw["body"]
    # Two orders took stock (10 - the world's 2 - these 2), the retry none.
    assert api("GET", f"/products/{world['pen']}", caller=None).body["stock"] == 6


@pytest.mark.parametrize(
    "claims",
    [
        {},
        {"sub": ""},
        {"sub": "not-a-user-id", "cognito:groups": "admins"},
        {"cognito:groups": "admins"},
    ],
)
def test_without_a_usable_sub_the_function_answers_401(api, snapshot, claims):
    body = {"name": "x", "price": 1, "category": "c", "stock": 1}
    event = make_event("POST", "/products", body=body)
    event["requestContext"]["authorizer"] = {"claims": claims}
    before = snapshot()
    reply = invoke(event)
    assert (reply.status, reply.code) == (401, "UNAUTHORIZED")
    assert snapshot() == before


@pytest.mark.parametrize("groups", [("editors",), ("Admins",), ("admins-x",)])
def test_only_the_admins_group_is_admin(api, snapshot, groups):
    before = snapshot()
    reply = api("GET", "/users", query={"email": "a@example.com"}, caller=Person(groups=groups))
    assert (reply.status, reply.code) == (403, "FORBIDDEN")
    assert snapshot() == before
