"""A shopper's journey over HTTP, following the contract end to end, each step by the person
the contract lets take it: an admin runs the catalogue and ships, a customer shops."""

import uuid
from decimal import Decimal


def _json(response):
    return response.json(parse_float=Decimal)


def test_shopper_journey(api):
    category = f"it-journey-{uuid.uuid4().hex[:8]}"
    pen = api.create_product(name="Pen", price=1.25, category=category, stock=10)
    ink = api.create_product(name="Ink", price=7.10, category=category, stock=4)
    assert pen["currency"] == "USD" and pen["price"] == Decimal("1.25")
    assert pen["createdAt"].endswith("Z") and pen["updatedAt"].endswith("Z")

    anyone = api.as_(None)
    listed = _json(anyone.get("/products", params={"category": category}))
    assert {p["productId"] for p in listed["items"]} == {pen["productId"], ink["productId"]}
    assert listed["nextToken"] is None

    email = f"Shopper-{uuid.uuid4().hex[:8]}@Example.com"
    shopper, user = api.sign_up(email=email, name="Shopper")
    assert user["userId"] == shopper.person.sub
    found = _json(api.get("/users", params={"email": email.lower()}))
    assert [u["userId"] for u in found["items"]] == [user["userId"]]
    assert _json(shopper.get(f"/users/{user['userId']}")) == user

    response = shopper.post(
        "/orders",
        {
            "items": [
                {"productId": pen["productId"], "quantity": 3},
                {"productId": ink["productId"], "quantity": 2},
            ],
        },
    )
    assert response.status_code == 201, response.text
    order = _json(response)
    api.remember_order(order["orderId"])
    assert order["status"] == "PENDING" and order["currency"] == "USD"
    assert order["userId"] == user["userId"]
    assert order["total"] == Decimal("17.95")  # 3 x 1.25 + 2 x 7.10, in decimal arithmetic
    assert {i["productId"]: i["unitPrice"] for i in order["items"]} == {
        pen["productId"]: Decimal("1.25"),
        ink["productId"]: Decimal("7.10"),
    }
    assert _json(anyone.get(f"/products/{pen['productId']}"))["stock"] == 7
    assert _json(anyone.get(f"/products/{ink['productId']}"))["stock"] == 2

    for status in ("CONFIRMED", "SHIPPED", "DELIVERED"):
        response = api.patch(f"/orders/{order['orderId']}", {"status": status})
        assert response.status_code == 200, response.text
        assert _json(response)["status"] == status
    late = shopper.patch(f"/orders/{order['orderId']}", {"status": "CANCELLED"})
    assert late.status_code == 409 and late.json()["error"]["code"] == "CONFLICT"

    second = _json(
        shopper.post(
            "/orders",
            {"userId": user["userId"], "items": [{"productId": ink["productId"], "quantity": 2}]},
        )
    )
    api.remember_order(second["orderId"])
    assert _json(anyone.get(f"/products/{ink['productId']}"))["stock"] == 0
    refused = shopper.patch(f"/orders/{second['orderId']}", {"status": "CONFIRMED"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "FORBIDDEN"
    cancelled = shopper.patch(f"/orders/{second['orderId']}", {"status": "CANCELLED"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "CANCELLED"
    assert _json(anyone.get(f"/products/{ink['productId']}"))["stock"] == 2

    history = _json(shopper.get("/orders", params={"userId": user["userId"]}))
    assert [o["orderId"] for o in history["items"]] == [second["orderId"], order["orderId"]]
    assert _json(api.get("/orders", params={"userId": user["userId"]})) == history


def test_not_enough_stock_is_409_and_takes_nothing(api):
    product = api.create_product(stock=1)
    shopper, _ = api.sign_up()
    response = shopper.post(
        "/orders", {"items": [{"productId": product["productId"], "quantity": 2}]}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"
    assert product["productId"] in response.text
    assert api.get(f"/products/{product['productId']}").json()["stock"] == 1


def test_unknown_user_or_product_is_422(api, customer):
    product = api.create_product()
    shopper, _ = api.sign_up()
    ghost = str(uuid.uuid4())
    for client, body in (
        # An admin may order for anyone: for nobody, the user is unknown.
        (api, {"userId": ghost, "items": [{"productId": product["productId"], "quantity": 1}]}),
        (shopper, {"items": [{"productId": ghost, "quantity": 1}]}),
        # A customer without a profile is an unknown user too.
        (api.as_(customer), {"items": [{"productId": product["productId"], "quantity": 1}]}),
    ):
        response = client.post("/orders", body)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "UNPROCESSABLE"
    assert api.get(f"/products/{product['productId']}").json()["stock"] == product["stock"]


def test_product_update_and_delete(api):
    product = api.create_product(price=3.5)
    response = api.patch(f"/products/{product['productId']}", {"price": 4.05, "stock": 2})
    assert response.status_code == 200
    updated = _json(response)
    assert (updated["price"], updated["stock"]) == (Decimal("4.05"), 2)
    assert updated["updatedAt"] >= product["updatedAt"]
    assert api.delete(f"/products/{product['productId']}").status_code == 204
    assert api.get(f"/products/{product['productId']}").status_code == 404


def test_user_email_change_moves_uniqueness(api, customer):
    ann, first = api.sign_up()
    bob, second = api.sign_up()
    taken = bob.patch(f"/users/{second['userId']}", {"email": first["email"].upper()})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "CONFLICT"
    new_email = f"moved-{uuid.uuid4().hex[:8]}@example.com"
    assert ann.patch(f"/users/{first['userId']}", {"email": new_email}).status_code == 200
    # The old address is free again; the new one is taken.
    assert bob.patch(f"/users/{second['userId']}", {"email": first["email"]}).status_code == 200
    dup = api.as_(customer).post("/users", {"email": new_email, "name": "Dup"})
    assert dup.status_code == 409
    assert ann.delete(f"/users/{first['userId']}").status_code == 204
    assert ann.get(f"/users/{first['userId']}").status_code == 404
