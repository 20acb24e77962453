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
