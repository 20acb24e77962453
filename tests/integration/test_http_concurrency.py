"""Concurrency over HTTP: orders from many customers never oversell; racing sign-ups of many
people with one address give one 201."""

import uuid
from concurrent.futures import ThreadPoolExecutor

# Below every environment's reserved concurrency, so no request is throttled.
CLIENTS = 8


def _retry_throttled(send):
    for _ in range(5):
        response = send()
        if response.status_code != 429:
            return response
    return response


def test_concurrent_orders_never_oversell(api):
    product = api.create_product(stock=3)
    shoppers = [api.sign_up()[0] for _ in range(CLIENTS)]

    def order(shopper):
        body = {"items": [{"productId": product["productId"], "quantity": 1}]}
        return _retry_throttled(lambda: shopper.post("/orders", body))

    with ThreadPoolExecutor(CLIENTS) as pool:
        responses = list(pool.map(order, shoppers))
    statuses = sorted(r.status_code for r in responses)
    for response in responses:
        if response.status_code == 201:
            api.remember_order(response.json()["orderId"])
    assert statuses.count(201) == 3, statuses
    assert set(statuses) <= {201, 409}, statuses
    assert api.get(f"/products/{product['productId']}").json()["stock"] == 0


def test_racing_signups_with_one_email_give_one_201(api):
    email = f"race-{uuid.uuid4().hex[:8]}@example.com"
    # Different people (a profile is the caller's own) racing for one address, in both cases.
    racers = [
        (api.as_(api.pool.person()), email.upper() if i % 2 else email) for i in range(CLIENTS)
    ]

    def sign_up(racer):
        client, address = racer
        return _retry_throttled(lambda: client.post("/users", {"email": address, "name": "Racer"}))

    with ThreadPoolExecutor(CLIENTS) as pool:
        responses = list(pool.map(sign_up, racers))
    winners = [r for r in responses if r.status_code == 201]
    for response in winners:
        api.created.append(("users", response.json()["userId"]))
    assert len(winners) == 1, [r.status_code for r in responses]
    assert sorted(r.status_code for r in responses if r.status_code != 201) == [409] * (CLIENTS - 1)
    found = api.get("/users", params={"email": email}).json()["items"]
    assert len(found) == 1
