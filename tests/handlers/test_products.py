"""Routes of the products function (handlers/products.py)."""

import uuid
from decimal import Decimal

import pytest

PEN = {"name": "Pen", "price": Decimal("19.99"), "category": "office", "stock": 3}


def create(api, **fields):
    """Create a product and return it."""
    reply = api("POST", "/products", body={**PEN, **fields})
    assert reply.status == 201, reply.body
    return reply.body


def test_create_returns_the_product_with_server_fields(api):
    reply = api("POST", "/products", body={**PEN, "description": "Blue ink", "currency": "EUR"})
    assert reply.status == 201
    product = reply.body
    assert uuid.UUID(product["productId"]).version == 4
    assert product["createdAt"].endswith("Z") and product["createdAt"] == product["updatedAt"]
    assert product["price"] == Decimal("19.99") and product["currency"] == "EUR"
    assert reply.headers["Content-Type"] == "application/json"
    assert api("GET", f"/products/{product['productId']}").body == product


def test_create_defaults_the_currency_to_usd(api):
    assert create(api)["currency"] == "USD"


@pytest.mark.parametrize("price", ["0.07", "19.99", "0.01", "1000000", "5", "19.990", "1E+2"])
def test_prices_with_at_most_two_decimals_are_exact(api, aws, price):
    product = create(api, price=Decimal(price))
    assert product["price"] == Decimal(price)
    stored = aws.get_item(TableName="test-products", Key={"productId": {"S": product["productId"]}})
    assert Decimal(stored["Item"]["price"]["N"]) == Decimal(price)


def test_money_is_written_as_an_exact_json_number(api):
    product = create(api, price=Decimal("0.07"))
    raw = api("GET", f"/products/{product['productId']}").raw["body"]
    assert '"price":0.07' in raw


def test_get_unknown_and_malformed_ids_are_404(api):
    for product_id in (str(uuid.uuid4()), "not-a-uuid", str(uuid.uuid4()).upper()):
        reply = api("GET", f"/products/{product_id}")
        assert (reply.status, reply.code) == (404, "NOT_FOUND")


def test_patch_changes_only_the_given_fields(api):
    product = create(api)
    reply = api(
        "PATCH", f"/products/{product['productId']}", body={"stock": 0, "price": Decimal("1.5")}
    )
    assert reply.status == 200
    assert reply.body["stock"] == 0 and reply.body["price"] == Decimal("1.5")
    assert reply.body["name"] == "Pen" and reply.body["createdAt"] == product["createdAt"]
    assert reply.body["updatedAt"] >= product["updatedAt"]


def test_patch_unknown_product_is_404_and_creates_nothing(api, snapshot):
    before = snapshot()
    reply = api("PATCH", f"/products/{uuid.uuid4()}", body={"stock": 1})
    assert (reply.status, reply.code) == (404, "NOT_FOUND")
    assert snapshot() == before


def test_patch_needs_at_least_one_field(api):
    product = create(api)
    reply = api("PATCH", f"/products/{product['productId']}", body={})
    assert (reply.status, reply.code) == (400, "BAD_REQUEST")
    assert reply.body["error"]["details"][0]["field"] == "body"


def test_patch_cannot_change_the_currency(api):
    product = create(api)
    reply = api("PATCH", f"/products/{product['productId']}", body={"currency": "EUR"})
    assert reply.status == 400
    assert reply.body["error"]["details"] == [
        {"field": "currency", "message": "is not an allowed field"}
    ]


def test_delete_then_gone(api):
    product = create(api)
    reply = api("DELETE", f"/products/{product['productId']}")
    assert reply.status == 204 and reply.body is None
    assert api("GET", f"/products/{product['productId']}").status == 404
    reply = api("DELETE", f"/products/{product['productId']}")
    assert (reply.status, reply.code) == (404, "NOT_FOUND")


def test_list_by_category_pages_newest_first(api):
    made = [create(api, name=f"P{i}", category="pens") for i in range(5)]
    create(api, category="ink")
    seen, token = [], None
    while True:
        query = {"category": "pens", "limit": "2", **({"nextToken": token} if token else {})}
        reply = api("GET", "/products", query=query)
        assert reply.status == 200
        assert len(reply.body["items"]) <= 2
        seen += reply.body["items"]
        token = reply.body["nextToken"]
        if token is None:
            break
    assert [p["productId"] for p in seen] == [p["productId"] for p in reversed(made)]


def test_list_all_pages_through_every_product(api):
    made = {create(api, name=f"P{i}", category=f"c{i % 2}")["productId"] for i in range(5)}
    first = api("GET", "/products", query={"limit": "3"})
    assert len(first.body["items"]) == 3 and first.body["nextToken"]
    rest = api("GET", "/products", query={"limit": "3", "nextToken": first.body["nextToken"]})
    assert rest.body["nextToken"] is None
    assert {p["productId"] for p in first.body["items"] + rest.body["items"]} == made


def test_list_defaults_to_20(api):
    for i in range(21):
        create(api, name=f"P{i}")
    reply = api("GET", "/products")
    assert len(reply.body["items"]) == 20 and reply.body["nextToken"]


def test_empty_list(api):
    assert api("GET", "/products", query={"category": "none"}).body == {
        "items": [],
        "nextToken": None,
    }


@pytest.mark.parametrize("category", ["", " ", "\x0c", "c" * 65, "c" * 3000])
def test_bad_category_is_400_not_an_empty_list(api, category):
    reply = api("GET", "/products", query={"category": category})
    assert (reply.status, reply.code) == (400, "BAD_REQUEST")
    assert reply.body["error"]["details"][0]["field"] == "category"


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5", "", "99999", " 5"])
def test_bad_limit_is_400(api, limit):
    reply = api("GET", "/products", query={"limit": limit})
    assert (reply.status, reply.code) == (400, "BAD_REQUEST")
    assert reply.body["error"]["details"][0]["field"] == "limit"


def test_limits_at_the_bounds(api):
    create(api)
    assert api("GET", "/products", query={"limit": "1"}).status == 200
    assert api("GET", "/products", query={"limit": "100"}).status == 200


def test_a_token_is_bound_to_its_query(api):
    for i in range(3):
        create(api, name=f"P{i}", category="pens")
    token = api("GET", "/products", query={"category": "pens", "limit": "1"}).body["nextToken"]
    for query in ({"category": "ink"}, {}):
        reply = api("GET", "/products", query={**query, "nextToken": token})
        assert (reply.status, reply.code) == (400, "BAD_REQUEST")
        assert reply.body["error"]["details"] == [{"field": "nextToken", "message": "is not valid"}]


@pytest.mark.parametrize(
    "token", ["", "x", "not base64!", "A" * 3000, "AAAA", "eyJwcm9kdWN0SWQiOiB7IlMiOiAieCJ9fQ"]
)
def test_malformed_or_forged_tokens_are_400(api, token):
    reply = api("GET", "/products", query={"nextToken": token})
    assert (reply.status, reply.code) == (400, "BAD_REQUEST")


def test_tampered_token_is_400(api):
    for i in range(2):
        create(api, name=f"P{i}")
    token = api("GET", "/products", query={"limit": "1"}).body["nextToken"]
    middle = len(token) // 2
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    reply = api("GET", "/products", query={"nextToken": tampered})
    assert (reply.status, reply.code) == (400, "BAD_REQUEST")


def test_unicode_and_markup_are_stored_verbatim(api):
    name = "Robert'); DROP TABLE products;-- <script>alert(1)</script> Ünïcødé 🖊️ 漢字"
    product = create(api, name=name, description="\" ' \\ \u0000 %s {{7*7}}")
    again = api("GET", f"/products/{product['productId']}").body
    assert again["name"] == name and again["description"] == "\" ' \\ \u0000 %s {{7*7}}"
