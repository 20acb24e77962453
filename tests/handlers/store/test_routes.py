"""Each function's Powertools resolver serves exactly its rows of handlers/store/routes.py."""

import re

import orders
import products
import pytest
import users
from store import routes

APPS = {"products": products.app, "users": users.app, "orders": orders.app}


def shape(path):
    """A path with its parameters blanked: /products/{productId} and /products/<id> agree."""
    return re.sub(r"[{<][^}>]+[}>]", "{}", path)


@pytest.mark.parametrize("function", list(APPS))
def test_resolver_serves_exactly_its_routes(function):
    app = APPS[function]
    served = {
        (route.method, shape(route.path))
        for route in app._static_routes + app._dynamic_routes  # pylint: disable=protected-access
    }
    declared = {(r.method, shape(r.path)) for r in routes.ROUTES if r.function == function}
    assert served == declared


def test_operation_ids_are_unique_and_handlers_exist():
    assert len({r.operation_id for r in routes.ROUTES}) == len(routes.ROUTES)
    assert {r.function for r in routes.ROUTES} == set(APPS)


def test_find_matches_concrete_paths():
    assert routes.find("GET", "/products").operation_id == "listProducts"
    assert routes.find("GET", "/products/abc").operation_id == "getProduct"
    assert routes.find("PATCH", "/orders/abc").operation_id == "updateOrderStatus"
    assert routes.find("GET", "/products/abc/def") is None
    assert routes.find("OPTIONS", "/products") is None
    assert routes.find("PUT", "/products/abc") is None


def test_access_says_whether_sign_in_is_needed():
    open_routes = {r.operation_id for r in routes.ROUTES if not r.signed_in}
    assert open_routes == {"listProducts", "getProduct"}
    assert {r.operation_id for r in routes.ROUTES if r.access is routes.Access.ADMIN} == {
        "createProduct",
        "updateProduct",
        "deleteProduct",
        "findUsers",
    }
