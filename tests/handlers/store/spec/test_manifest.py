"""handlers/store/spec/manifest.py grants exactly the DynamoDB actions the handlers perform.

Every DynamoDB call the functions make during a full tour of the API is recorded (through
botocore's before-call event) and turned into the IAM actions it needs, per table and index.
"""

import importlib
import os
import subprocess
import sys
import uuid

import conftest
import pytest
from bus import sqs_event
from store.data import dynamo
from store.spec import manifest, settings, table_schemas

from tests.events import LambdaContext, customer

# Powertools reads the idempotency record back only when a conditional put loses a race and
# DynamoDB returned no old item; the grant is needed, but a tour never exercises it.
UNEXERCISED = {
    (function, "dynamodb:GetItem", "idempotency", None)
    for function in ("orders", "notifier", "stock-alerts")
}
_TRANSACTION_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
_TABLES = {name: spec for spec in table_schemas.ALL for name in [conftest.TABLE_NAMES[spec.name]]}


class Recorder:
    """Collects (function, action, table, index) for every DynamoDB call."""

    def __init__(self):
        self.function = None
        self.used = set()

    def __call__(self, model, params, **_):
        def use(action, table, index=None):
            self.used.add((self.function, action, _TABLES[table].name, index))

        operation = model.name
        if operation == "TransactWriteItems":
            for item in params["TransactItems"]:
                ((kind, body),) = item.items()
                use(_TRANSACTION_ACTIONS[kind], body["TableName"])
        elif operation == "BatchGetItem":
            for table in params["RequestItems"]:
                use("dynamodb:BatchGetItem", table)
        else:
            use(f"dynamodb:{operation}", params["TableName"], params.get("IndexName"))


@pytest.fixture(name="recorder")
def recorder_fixture(api, monkeypatch):  # pylint: disable=unused-argument
    recorder = Recorder()
    # One client: the idempotency layer's calls go through the function's own client too.
    dynamo.client().meta.events.register("before-parameter-build.dynamodb", recorder)
    real_invoke = conftest.invoke

    def invoke(event):
        recorder.function = event["path"].strip("/").split("/")[0]
        return real_invoke(event)

    monkeypatch.setattr(conftest, "invoke", invoke)
    yield recorder
    dynamo.client().meta.events.unregister("before-parameter-build.dynamodb", recorder)


def tour(api):
    """Every route, success and failure, each by the role that may call it."""
    ann, tim = customer(), customer()
    user = api("POST", "/users", body={"email": "a@b.co", "name": "A"}, caller=ann).body
    api("POST", "/users", body={"email": "x@b.co", "name": "A"}, caller=ann)
    api("POST", "/users", body={"email": "A@b.co", "name": "A"}, caller=customer())
    api("GET", "/users", query={"email": "a@b.co"})
    api("GET", f"/users/{user['userId']}", caller=ann)
    api("PATCH", f"/users/{user['userId']}", body={"name": "Ann"}, caller=ann)
    api("PATCH", f"/users/{user['userId']}", body={"email": "new@b.co"}, caller=ann)
    temp = api("POST", "/users", body={"email": "t@b.co", "name": "T"}, caller=tim).body
    api("DELETE", f"/users/{temp['userId']}", caller=tim)
    product = api("POST", "/products", body={"name": "P", "price": 1, "category": "c", "stock": 9})
    pid = product.body["productId"]
    api("POST", "/products", body={"name": "Q", "price": 1, "category": "c", "stock": 9})
    for query in ({"limit": "1"}, {"category": "c", "limit": "1"}):
        token = api("GET", "/products", query=query, caller=None).body["nextToken"]
        api("GET", "/products", query={**query, "nextToken": token}, caller=None)
    api("GET", f"/products/{pid}", caller=None)
    api("PATCH", f"/products/{pid}", body={"stock": 8})
    api("DELETE", f"/products/{uuid.uuid4()}")
    body = {"items": [{"productId": pid, "quantity": 1}]}
    first = api("POST", "/orders", body=body, headers={"Idempotency-Key": "k"}, caller=ann).body
    api("POST", "/orders", body=body, headers={"Idempotency-Key": "k"}, caller=ann)
    too_many = {**body, "items": [{"productId": pid, "quantity": 99}]}
    api("POST", "/orders", body=too_many, headers={"Idempotency-Key": "fails"}, caller=ann)
    second = api("POST", "/orders", body=body, caller=ann).body
    api("GET", "/orders", query={"userId": user["userId"], "limit": "1"}, caller=ann)
    api("GET", f"/orders/{first['orderId']}", caller=ann)
    api("PATCH", f"/orders/{first['orderId']}", body={"status": "CONFIRMED"})
    api("PATCH", f"/orders/{second['orderId']}", body={"status": "CANCELLED"}, caller=ann)
    api("DELETE", f"/products/{pid}")


def granted(functions):
    """Everything the manifest grants ``functions``, as (function, action, table, index)."""
    result = set()
    for function in functions:
        for grant in function.grants:
            result |= {(function.name, action, grant.table.name, None) for action in grant.actions}
            result |= {
                (function.name, action, grant.table.name, index.name)
                for action in grant.index_actions
                for index in grant.indexes
            }
    return result


def test_grants_are_exactly_what_the_handlers_use(recorder):
    tour(
        lambda method, path, **kwargs: conftest.invoke(conftest.make_event(method, path, **kwargs))
    )
    assert recorder.used - granted(manifest.API) == set(), "used but not granted"
    assert granted(manifest.API) - recorder.used == unexercised(manifest.API), (
        "granted but never used"
    )


def events_tour(api, bus, recorder, monkeypatch):
    """Every event function: an order placed, confirmed, cancelled, one expired, a low stock, a
    mail refused then sent, an alert refused then told (a failure deletes its in-progress
    idempotency record)."""
    ann = customer()
    api("POST", "/users", body={"email": "a@b.co", "name": "A"}, caller=ann)
    product = api("POST", "/products", body={"name": "P", "price": 1, "category": "c", "stock": 9})
    body = {"items": [{"productId": product.body["productId"], "quantity": 5}]}
    placed = api("POST", "/orders", body=body, caller=ann).body
    api("PATCH", f"/orders/{placed['orderId']}", body={"status": "CANCELLED"}, caller=ann)
    api("POST", "/orders", body={"items": [{**body["items"][0], "quantity": 1}]}, caller=ann)

    def run(module, name, event):
        recorder.function = name
        return importlib.import_module(module).handler(event, LambdaContext())

    run("publisher", "publisher", bus.stream_event("orders"))
    run("publisher", "publisher", bus.stream_event("products"))
    published = bus.published()
    sender = os.environ[settings.SENDER_ADDRESS]
    monkeypatch.setenv(settings.SENDER_ADDRESS, "unverified@b.co")
    run("notifier", "notifier", sqs_event(published[:1]))
    monkeypatch.setenv(settings.SENDER_ADDRESS, sender)
    run("notifier", "notifier", sqs_event(published))
    stock_low = [e for e in published if e["detail-type"] == "StockLow"]
    topic = os.environ[settings.LOW_STOCK_TOPIC_ARN]
    monkeypatch.setenv(settings.LOW_STOCK_TOPIC_ARN, topic + "-gone")
    run("stock_alerts", "stock-alerts", sqs_event(stock_low))
    monkeypatch.setenv(settings.LOW_STOCK_TOPIC_ARN, topic)
    run("stock_alerts", "stock-alerts", sqs_event(stock_low))
    monkeypatch.setenv(settings.CLOCK_OFFSET_SECONDS, str(24 * 60 * 60))
    run("expirer", "expirer", sqs_event(["{}"]))


def test_event_functions_use_exactly_their_grants(recorder, bus, monkeypatch):
    api = lambda method, path, **kwargs: conftest.invoke(  # noqa: E731
        conftest.make_event(method, path, **kwargs)
    )
    events_tour(api, bus, recorder, monkeypatch)
    used = {use for use in recorder.used if use[0] in {f.name for f in manifest.EVENTS}}
    assert used - granted(manifest.EVENTS) == set(), "used but not granted"
    assert granted(manifest.EVENTS) - used == unexercised(manifest.EVENTS), "granted but never used"


def unexercised(functions):
    """The grants of ``functions`` that no tour can exercise."""
    return {use for use in UNEXERCISED if use[0] in {f.name for f in functions}}


def test_manifest_names_every_function_module():
    assert {f.handler for f in manifest.API} == {
        "products.handler",
        "users.handler",
        "orders.handler",
    }
    assert {f.handler for f in manifest.EVENTS} == {
        "publisher.handler",
        "notifier.handler",
        "stock_alerts.handler",
        "expirer.handler",
    }
    assert manifest.ALL == manifest.API + manifest.EVENTS


def test_index_actions_name_only_their_indexes():
    assert manifest.EXPIRER.grants[0].indexes == (table_schemas.ORDERS_BY_STATUS,)
    assert manifest.ORDERS.grants[0].indexes == (table_schemas.ORDERS_BY_USER,)
    assert manifest.PRODUCTS.grants[0].indexes == table_schemas.PRODUCTS.indexes
    assert manifest.NOTIFIER.grants[0].indexes == ()  # the users table has one; no index action


@pytest.mark.parametrize("spec", manifest.EVENTS, ids=lambda spec: spec.name)
def test_an_event_function_loads_with_only_the_environment_its_manifest_names(spec):
    """Its tables' names and its settings (``FunctionSpec.environment``) are all it is given."""
    given = {grant.env_var: "table" for grant in spec.grants}
    given |= {name: "1" for name in spec.environment}
    environment = {"PATH": os.environ["PATH"], "AWS_DEFAULT_REGION": "us-east-1", **given}
    module = spec.handler.split(".", maxsplit=1)[0]
    loaded = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=conftest.HANDLERS,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert loaded.returncode == 0, loaded.stderr
