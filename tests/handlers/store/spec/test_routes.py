"""The route table (handlers/store/spec/routes.py) and the functions: each function's Powertools
resolver serves exactly its rows, with the function its entry module maps each operation to."""

import inspect
import re

import orders
import products
import pytest
import users
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from store.data import pagination
from store.http import web
from store.spec import manifest, routes, schemas

APPS = {"products": products.app, "users": users.app, "orders": orders.app}


def served(app):
    """(method, path, operation id) -> the Python function, for every route of a resolver."""
    return {
        (route.method, route.path, route.operation_id): route.func
        for route in app._static_routes + app._dynamic_routes  # pylint: disable=protected-access
    }


def snake(name):
    return re.sub(r"([A-Z])", r"_\1", name).lower()


@pytest.mark.parametrize("function", list(APPS))
def test_resolver_serves_exactly_its_routes(function):
    declared = {
        (r.method, web.resolver_path(r.path), r.operation_id)
        for r in routes.ROUTES
        if r.function == function
    }
    assert set(served(APPS[function])) == declared


@pytest.mark.parametrize("function", list(APPS))
def test_each_operation_runs_its_own_function_with_the_path_parameters(function):
    for (_, path, operation_id), func in served(APPS[function]).items():
        # createProduct -> create_product: a mapping that swapped two functions fails here.
        assert func.__name__ == snake(operation_id)
        assert list(inspect.signature(func).parameters) == re.findall(r"<(\w+)>", path)


def test_resolver_path_is_powertools_syntax_with_python_names():
    assert web.resolver_path("/products") == "/products"
    assert web.resolver_path("/orders/{orderId}") == "/orders/<order_id>"
    assert web.resolver_path("/a/{someLongId}/b/{x}") == "/a/<some_long_id>/b/<x>"


def test_serve_refuses_a_mapping_that_is_not_the_tables():
    app = APIGatewayRestResolver()
    handlers = dict.fromkeys(("createOrder", "listOrders", "getOrder"), lambda: None)
    with pytest.raises(ValueError, match=r"orders: .*'updateOrderStatus'.*mapped") as missing:
        web.serve(app, "orders", handlers)
    assert "['createOrder', 'getOrder', 'listOrders']" in str(missing.value)
    with pytest.raises(ValueError, match="getProduct"):
        web.serve(app, "orders", {**handlers, "updateOrderStatus": None, "getProduct": None})
    assert served(app) == {}


def test_every_function_of_the_manifest_serves_routes_and_no_other():
    assert [spec.name for spec in manifest.API] == list(
        dict.fromkeys(r.function for r in routes.ROUTES)
    )
    assert set(APPS) == {spec.name for spec in manifest.API}
    for spec in manifest.API:
        assert spec.handler == f"{spec.name}.handler"


def test_operation_ids_are_unique():
    assert len({r.operation_id for r in routes.ROUTES}) == len(routes.ROUTES)


def test_every_schema_a_route_names_exists():
    for route in routes.ROUTES:
        assert route.body is None or route.body in schemas.BODIES, route.operation_id
        success = route.success
        assert success.schema is None or success.schema in schemas.RESPONSES, route.operation_id
        assert (success.status == 204) is (success.schema is None), route.operation_id


def test_links_name_operations_and_parameters_of_the_table():
    by_id = {route.operation_id: route for route in routes.ROUTES}
    for route in routes.ROUTES:
        for link in route.links:
            target = by_id[link.operation_id]
            names = {*target.path_parameters, *(p.name for p in target.query + target.headers)}
            assert {parameter for parameter, _ in link.parameters} <= names, link
            required = schemas.RESPONSES[route.success.schema]["required"]
            assert {field for _, field in link.parameters} <= set(required), link


def test_the_page_token_parameter_is_as_long_as_a_token_may_be():
    assert routes.NEXT_TOKEN.schema["maxLength"] == pagination.MAX_TOKEN_CHARS


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
    assert {access.who_may_call.split(":")[0] for access in routes.Access} == {"Who may call"}
