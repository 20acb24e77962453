"""The user pool's key endpoint answering slowly: the gateway checks tokens with the keys it
holds and keeps serving signed requests, without asking the endpoint again."""


def test_signed_requests_are_served_while_the_pools_keys_are_slow(api, emulator_faults):
    # Signed in and served once before: the gateway holds the pool's keys.
    shopper, profile = api.sign_up()
    emulator_faults.add("cognito-idp", "JWKS", latency_ms=20_000)
    statuses = [shopper.get(f"/users/{profile['userId']}").status_code for _ in range(20)]
    assert statuses == [200] * 20
    assert emulator_faults.rules()[0]["hits"] == 0
