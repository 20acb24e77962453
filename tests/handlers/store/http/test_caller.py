"""handlers/store/http/caller.py: the caller from the Cognito authorizer's claims, and role
checks."""

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from store.http import caller
from store.spec.errors import Forbidden, Unauthorized
from store.spec.routes import Access

from tests.events import Person, admin, customer, rest_proxy_event


def event_of(person=None, claims=None):
    """A Powertools event signed by ``person`` (or carrying exactly ``claims``)."""
    raw = rest_proxy_event("GET", "/users", headers={}, caller=person)
    if claims is not None:
        raw["requestContext"]["authorizer"] = {"claims": claims}
    return APIGatewayProxyEvent(raw)


@pytest.mark.parametrize(
    ("raw", "groups"),
    [
        ("admins", {"admins"}),
        ("admins,editors", {"admins", "editors"}),
        ("[admins, editors]", {"admins", "editors"}),
        ("[admins editors]", {"admins", "editors"}),
        ("[]", set()),
        ("", set()),
        (["admins", "editors"], {"admins", "editors"}),
        (None, set()),
        (7, set()),
    ],
)
def test_groups_in_every_shape_api_gateway_passes(raw, groups):
    assert caller.groups_of(raw) == groups


def test_the_claims_as_the_gateway_passes_them_are_all_strings():
    claims = admin().claims()
    assert all(isinstance(value, str) for value in claims.values())
    assert claims["cognito:groups"] == "admins" and claims["token_use"] == "id"
    assert "cognito:groups" not in customer().claims()


def test_a_customer_and_an_admin():
    ann, boss = customer(), admin()
    found = caller.of(event_of(ann))
    assert found == caller.Caller(sub=ann.sub, groups=frozenset())
    assert not found.is_admin and found.may_act_for(ann.sub) and not found.may_act_for(boss.sub)
    found = caller.of(event_of(Person(groups=("editors", "admins"))))
    assert found.is_admin and found.may_act_for(ann.sub)


@pytest.mark.parametrize(
    "claims", [None, {}, {"sub": None}, {"sub": "x"}, {"sub": "A" * 36}, {"sub": 7}]
)
def test_no_usable_sub_is_no_caller(claims):
    event = event_of(claims=claims)
    assert caller.of(event) is None
    with pytest.raises(Unauthorized):
        caller.signed_in(event)


def test_require_per_access():
    nobody, ann, boss = event_of(), event_of(customer()), event_of(admin())
    assert caller.require(Access.ANYONE, nobody) is None
    assert caller.require(Access.ANYONE, ann).sub
    for access in (Access.CUSTOMER, Access.OWNER_OR_ADMIN, Access.ADMIN):
        with pytest.raises(Unauthorized):
            caller.require(access, nobody)
        assert caller.require(access, boss).is_admin
    for access in (Access.CUSTOMER, Access.OWNER_OR_ADMIN):
        assert not caller.require(access, ann).is_admin
    with pytest.raises(Forbidden):
        caller.require(Access.ADMIN, ann)
