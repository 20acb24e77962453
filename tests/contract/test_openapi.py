"""The OpenAPI document: fresh, valid OpenAPI 3.0, and made of the route table and the schemas."""

import dataclasses
import json
import re
import runpy
import sys

import pytest
from openapi_spec_validator import validate

from contract import openapi
from handlers.store.spec import routes, schemas

DOC = openapi.document()
OPERATIONS = {
    (method.upper(), path): operation
    for path, item in DOC["paths"].items()
    for method, operation in item.items()
}
ROUTES = {(route.method, route.path): route for route in routes.ROUTES}


def _resolve(ref: str) -> dict:
    node = DOC
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_checked_in_document_is_fresh():
    checked_in = openapi.DEFAULT_PATH.read_text(encoding="utf-8")
    assert checked_in == openapi.render(DOC), (
        "openapi.json is stale: run `python -m contract.openapi` and commit the result"
    )


def test_is_valid_openapi_3_0():
    validate(DOC)
    assert DOC["openapi"].startswith("3.0.")


def test_render_is_deterministic_json():
    text = openapi.render(DOC)
    assert text.endswith("}\n")
    assert json.loads(text) == DOC
    assert openapi.render(openapi.document()) == text


def test_every_route_is_an_operation_and_every_operation_a_route():
    assert set(OPERATIONS) == set(ROUTES)
    for key, route in ROUTES.items():
        assert OPERATIONS[key]["operationId"] == route.operation_id
        assert OPERATIONS[key]["tags"] == [route.function]
        assert OPERATIONS[key]["summary"]


def test_request_bodies_are_the_bodies_schemas():
    for key, route in ROUTES.items():
        operation = OPERATIONS[key]
        if route.body is None:
            assert "requestBody" not in operation
            continue
        body = operation["requestBody"]
        assert body["required"] is True
        ref = body["content"]["application/json"]["schema"]["$ref"]
        assert ref == f"#/components/schemas/{route.body}"
        schema = _resolve(ref)
        source = schemas.BODIES[route.body]
        assert schema["properties"].keys() == source["properties"].keys()
        assert schema.get("required") == source.get("required")
        assert schema["additionalProperties"] is False


def test_every_schema_of_the_source_is_a_component_without_draft_04_leftovers():
    components = DOC["components"]["schemas"]
    assert set(components) == set(schemas.BODIES) | set(schemas.RESPONSES)
    text = json.dumps(components)
    assert "$schema" not in text
    assert '"null"' not in text
    assert components["ProductList"]["properties"]["nextToken"] == {
        "type": "string",
        "nullable": True,
        "description": "Opaque; null on the last page.",
    }
    # Draft-04's boolean exclusiveMinimum is OpenAPI 3.0's too: a price of 0 stays invalid.
    price = components["ProductCreate"]["properties"]["price"]
    assert price["minimum"] == 0
    assert price["exclusiveMinimum"] is True


def test_parameters_follow_the_route_table():
    for key, route in ROUTES.items():
        parameters = OPERATIONS[key].get("parameters", [])
        by_place = {
            place: {p["name"]: p["required"] for p in parameters if p["in"] == place}
            for place in ("path", "query", "header")
        }
        assert by_place["path"] == dict.fromkeys(re.findall(r"\{(\w+)\}", route.path), True)
        assert by_place["query"] == {p.name: p.required for p in route.query}
        assert by_place["header"] == {p.name: p.required for p in route.headers}


def test_page_parameters_and_query_fields():
    parameters = {p["name"]: p["schema"] for p in OPERATIONS["GET", "/products"]["parameters"]}
    assert parameters["limit"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "default": 20,
        "description": "Page size.",
    }
    assert parameters["nextToken"]["type"] == "string"
    assert parameters["category"]["pattern"] == schemas.NOT_BLANK_PATTERN
    email = OPERATIONS["GET", "/users"]["parameters"][0]
    assert email["required"] is True
    assert email["schema"]["pattern"] == schemas.EMAIL_PATTERN
    key = OPERATIONS["POST", "/orders"]["parameters"][0]
    assert (key["name"], key["in"], key["required"]) == ("Idempotency-Key", "header", False)
    assert re.fullmatch(key["schema"]["pattern"], "a" * 255)
    assert not re.fullmatch(key["schema"]["pattern"], "has space")


def test_responses_are_what_the_handlers_answer():
    # Besides the firewall's, which any operation may get: 403 and 429.
    firewall = {"403", "429"}
    expected = {
        "createProduct": {"201", "400", "401", "403", "413", "5XX"} | firewall,
        "listProducts": {"200", "400", "5XX"} | firewall,
        "getProduct": {"200", "404", "5XX"} | firewall,
        "updateProduct": {"200", "400", "401", "403", "404", "413", "5XX"} | firewall,
        "deleteProduct": {"204", "401", "403", "404", "5XX"} | firewall,
        "createUser": {"201", "400", "401", "409", "413", "5XX"} | firewall,
        "findUsers": {"200", "400", "401", "403", "5XX"} | firewall,
        "getUser": {"200", "401", "404", "5XX"} | firewall,
        "updateUser": {"200", "400", "401", "404", "409", "413", "5XX"} | firewall,
        "deleteUser": {"204", "401", "404", "409", "5XX"} | firewall,
        "createOrder": {"201", "400", "401", "403", "409", "413", "422", "5XX"} | firewall,
        "listOrders": {"200", "400", "401", "403", "5XX"} | firewall,
        "getOrder": {"200", "401", "404", "5XX"} | firewall,
        "updateOrderStatus": {"200", "400", "401", "403", "404", "409", "413", "5XX"} | firewall,
    }
    assert {route.operation_id for route in routes.ROUTES} == set(expected)
    for operation in OPERATIONS.values():
        responses = operation["responses"]
        assert set(responses) == expected[operation["operationId"]]
        for status, response in responses.items():
            assert "Access-Control-Allow-Origin" in response["headers"]
            if status[0] in "45":
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": openapi.ERROR_REF}


def test_the_id_token_security_scheme():
    assert DOC["components"]["securitySchemes"] == {
        "idToken": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": DOC["components"]["securitySchemes"]["idToken"]["description"],
        }
    }
    description = DOC["components"]["securitySchemes"]["idToken"]["description"]
    assert "ID token" in description and "token_use" in description
    assert "security" not in DOC  # no default: each operation says


def test_security_and_who_may_call_follow_the_route_table():
    for key, route in ROUTES.items():
        operation = OPERATIONS[key]
        if route.signed_in:
            assert operation["security"] == [{"idToken": []}], key
            assert operation["responses"]["401"]["description"].startswith("UNAUTHORIZED")
        else:
            assert operation["security"] == [] and "401" not in operation["responses"], key
        assert operation["description"].startswith("Who may call: ")
        # Every operation may get the firewall's 403; the role's own refusal is said first.
        own_refusal = operation["responses"]["403"]["description"] != (
            f"FORBIDDEN: {openapi.FIREWALL_403}."
        )
        assert own_refusal is (
            route.access is routes.Access.ADMIN
            or route.operation_id in {"createOrder", "listOrders", "updateOrderStatus"}
        ), key
    assert "admins only" in OPERATIONS["POST", "/products"]["description"]
    assert "anyone" in OPERATIONS["GET", "/products"]["description"]
    assert (
        "another user's"
        in OPERATIONS["GET", "/orders/{orderId}"]["responses"]["404"]["description"]
    )


def test_the_description_explains_sign_in():
    text = DOC["info"]["description"]
    assert "no authentication" not in text.lower()
    assert "ID token" in text and "401" in text and "403" in text


def test_success_responses_name_their_resource():
    def success(method, path):
        responses = OPERATIONS[method, path]["responses"]
        status = next(code for code in responses if code.startswith("2"))
        content = responses[status].get("content")
        return status, content and content["application/json"]["schema"]["$ref"].split("/")[-1]

    assert success("POST", "/products") == ("201", "Product")
    assert success("GET", "/users") == ("200", "UserList")
    assert success("GET", "/orders/{orderId}") == ("200", "Order")
    assert success("PATCH", "/orders/{orderId}") == ("200", "Order")
    assert success("DELETE", "/users/{userId}") == ("204", None)


def test_error_schema_lists_the_contract_codes():
    error = DOC["components"]["schemas"]["Error"]["properties"]["error"]
    assert error["properties"]["code"]["enum"] == list(schemas.ERROR_CODES)
    assert error["required"] == ["code", "message", "details"]


def test_links_point_at_operations_and_parameters_that_exist():
    by_id = {operation["operationId"]: operation for operation in OPERATIONS.values()}
    count = 0
    for operation in OPERATIONS.values():
        for status, response in operation["responses"].items():
            for link in response.get("links", {}).values():
                count += 1
                assert status.startswith("2")
                target = by_id[link["operationId"]]
                names = {parameter["name"] for parameter in target.get("parameters", [])}
                assert set(link["parameters"]) <= names
                for expression in link["parameters"].values():
                    field = expression.removeprefix("$response.body#/")
                    schema = _resolve(response["content"]["application/json"]["schema"]["$ref"])
                    assert field in schema["required"]
    assert count >= 10


def test_to_openapi_converts_and_refuses():
    assert openapi.to_openapi(
        {
            "$schema": schemas.DRAFT_04,
            "type": ["integer", "null"],
            "not": {"type": "string"},
            "anyOf": [{"type": "integer"}],
            "additionalProperties": {"type": ["string"]},
        }
    ) == {
        "type": "integer",
        "nullable": True,
        "not": {"type": "string"},
        "anyOf": [{"type": "integer"}],
        "additionalProperties": {"type": "string"},
    }
    with pytest.raises(ValueError, match="patternProperties"):
        openapi.to_openapi({"patternProperties": {}})
    with pytest.raises(ValueError, match="one type"):
        openapi.to_openapi({"type": ["string", "integer"]})


def test_document_refuses_what_it_cannot_describe():
    with pytest.raises(ValueError, match="both requests and responses"):
        openapi.document(bodies={"Product": {}})
    odd = routes.Route(
        "PUT",
        "/products",
        "products",
        "replaceProducts",
        routes.Access.ADMIN,
        summary="Replace every product.",
        success=routes.listed("Widget"),
    )
    with pytest.raises(ValueError, match="replaceProducts: no response schema 'WidgetList'"):
        openapi.document(route_table=(odd,))
    unknown_body = dataclasses.replace(odd, success=routes.DELETED, body="ProductReplace")
    with pytest.raises(
        ValueError, match="replaceProducts: no request body schema 'ProductReplace'"
    ):
        openapi.document(route_table=(unknown_body,))


def test_command_writes_the_document(tmp_path, capsys):
    target = tmp_path / "openapi.json"
    assert openapi.main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == openapi.render(DOC)
    assert str(target) in capsys.readouterr().out


def test_command_writes_the_default_path_without_an_argument(tmp_path, monkeypatch):
    target = tmp_path / "default.json"
    monkeypatch.setattr(openapi, "DEFAULT_PATH", target)
    assert openapi.main([]) == 0
    assert json.loads(target.read_text(encoding="utf-8")) == DOC


@pytest.mark.parametrize("where", ["", "missing/openapi.json", ".", "file/below.json"])
def test_command_refuses_a_path_it_cannot_write_and_writes_nothing(where, tmp_path, capsys):
    (tmp_path / "file").write_text("a file, not a folder\n", encoding="utf-8")
    before = sorted(tmp_path.rglob("*"))
    target = str(tmp_path / where) if where else ""
    with pytest.raises(SystemExit) as stopped:
        openapi.main([target])
    assert stopped.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error[0].startswith("usage: python -m contract.openapi")
    assert error[-1].startswith("python -m contract.openapi: error: argument path: must be a file")
    assert sorted(tmp_path.rglob("*")) == before


def test_module_entry_point_reads_its_arguments(tmp_path, monkeypatch):
    target = tmp_path / "module.json"
    monkeypatch.setattr(sys, "argv", ["contract.openapi", str(target)])
    # Run as ``python -m contract.openapi`` would: a fresh module named __main__.
    monkeypatch.delitem(sys.modules, "contract.openapi")
    with pytest.raises(SystemExit) as stopped:
        runpy.run_module("contract.openapi", run_name="__main__", alter_sys=False)
    assert stopped.value.code == 0
    assert json.loads(target.read_text(encoding="utf-8")) == DOC


# Who may call each operation, in the contract's words (docs/api.md, "Who may call what").
OWNER_OR_ADMIN = ("the owner of the addressed data", "or an admin", "gets 404")
WHO_MAY_CALL = {
    "listProducts": ("anyone",),
    "getProduct": ("anyone",),
    "createProduct": ("admins only",),
    "updateProduct": ("admins only",),
    "deleteProduct": ("admins only",),
    "findUsers": ("admins only",),
    "createUser": ("any signed-in user", "its `userId` is the ID token's `sub`"),
    "getUser": OWNER_OR_ADMIN,
    "updateUser": OWNER_OR_ADMIN,
    "deleteUser": OWNER_OR_ADMIN,
    "createOrder": ("any signed-in user", "naming another user is for admins only"),
    "listOrders": (*OWNER_OR_ADMIN, "403 unless the caller is an admin"),
    "getOrder": OWNER_OR_ADMIN,
    "updateOrderStatus": (*OWNER_OR_ADMIN, "the order's owner may only set CANCELLED"),
}


@pytest.mark.parametrize("operation_id", sorted(WHO_MAY_CALL))
def test_each_operation_says_who_may_call_it(operation_id):
    (operation,) = [o for o in OPERATIONS.values() if o["operationId"] == operation_id]
    assert operation["description"].startswith("Who may call: ")
    for words in WHO_MAY_CALL[operation_id]:
        assert words in operation["description"], words


def test_bodies_keep_the_contracts_limits():
    """docs/api.md's limits, by hand: they reach the document, not only the schemas."""
    components = DOC["components"]["schemas"]
    order = components["OrderCreate"]["properties"]["items"]
    assert (order["minItems"], order["maxItems"]) == (1, 25)
    quantity = order["items"]["properties"]["quantity"]
    assert (quantity["type"], quantity["minimum"], quantity["maximum"]) == ("integer", 1, 100)
    product = components["ProductCreate"]["properties"]
    assert (product["name"]["minLength"], product["name"]["maxLength"]) == (1, 200)
    assert product["description"]["maxLength"] == 2000
    assert (product["stock"]["minimum"], product["stock"]["maximum"]) == (0, 1_000_000_000)
    assert components["ProductCreate"]["required"] == ["name", "price", "category", "stock"]


def test_each_operation_says_what_its_row_of_the_table_says():
    for key, route in ROUTES.items():
        operation = OPERATIONS[key]
        responses = operation["responses"]
        assert operation["summary"] == route.summary
        assert operation["description"].startswith(route.access.who_may_call)
        success = responses[str(route.success.status)]
        assert success["description"] == route.success.description
        for status, why, code in (
            ("409", route.conflict, "CONFLICT"),
            ("422", route.unprocessable, "UNPROCESSABLE"),
        ):
            assert responses.get(status, {}).get("description") == (why and f"{code}: {why}")
        if route.forbidden:
            assert responses["403"]["description"] == (
                f"FORBIDDEN: {route.forbidden} Or {openapi.FIREWALL_403}."
            )
        links = success.get("links", {})
        assert [(name, link["operationId"]) for name, link in links.items()] == [
            (link.name, link.operation_id) for link in route.links
        ]
