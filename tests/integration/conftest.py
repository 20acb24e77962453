"""What every integration test needs: the deployed stack's outputs, AWS clients, the API, and
people signed in to the stack's user pool.

The same suite runs against the local cloud (``AWS_ENDPOINT_URL`` points boto3 at the emulator,
``API_BASE_URL`` at the local gateway) and against a real deployment (credentials in the usual
places, the API at the ``ApiGatewayUrl`` output). A missing outputs file fails every test that
needs it: nothing is skipped silently.

People: the suite creates its own users in the pool with Cognito's admin API and signs them in
with ADMIN_USER_PASSWORD_AUTH (``tests/integration/people.py``), on AWS as locally; they are
deleted when the session ends. ``api`` is signed in as an admin; ``api.as_(person)`` (or
``api.as_(None)``: no token) acts as someone else; ``api.sign_up()`` makes a new customer with a
profile.
"""

import fcntl
import hashlib
import os
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import boto3
import pytest
import requests

from stacks.base.config import EnvironmentConfig
from stacks.base.config import load as load_config
from tests.integration.outputs import OutputsError, load
from tests.integration.people import Person, UserPool

DEFAULT_OUTPUTS = Path("cfn-outputs/all-outputs.json")
TIMEOUT = 30
LOCK_TIMEOUT = 600
"""How long a test waits for the others (or one that alters the stack) to let it run."""


@pytest.fixture(scope="session")
def outputs() -> dict:
    """The deployed stack's outputs (``OUTPUTS_FILE``, ``STACK``)."""
    path = Path(os.environ.get("OUTPUTS_FILE", DEFAULT_OUTPUTS))
    try:
        return load(path, os.environ.get("STACK"))
    except OutputsError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def config(outputs) -> EnvironmentConfig:
    """The configuration the deployed environment was built from (same overrides apply)."""
    return load_config(outputs["Environment"], dict(os.environ))


@pytest.fixture(scope="session")
def aws(outputs):
    """boto3 clients in the stack's region (on the emulator when AWS_ENDPOINT_URL is set)."""
    session = boto3.session.Session(region_name=outputs["Region"])
    clients = {}

    def client(service: str):
        if service not in clients:
            clients[service] = session.client(service)
        return clients[service]

    return client


@pytest.fixture(scope="session")
def base_url(outputs) -> str:
    """The API's base URL: the local gateway's, else the deployed stage's."""
    return os.environ.get("API_BASE_URL", outputs["ApiGatewayUrl"]).rstrip("/")


@pytest.fixture(scope="session")
def pool(outputs, aws):
    """The stack's user pool; the users the session creates in it are deleted at its end."""
    users = UserPool(aws("cognito-idp"), outputs["UserPoolId"], outputs["UserPoolClientId"])
    yield users
    users.delete_all()


@pytest.fixture(scope="session")
def admin(pool) -> Person:
    """A member of the pool's admins group, signed in."""
    return pool.person(admin=True)


@pytest.fixture
def customer(pool) -> Person:
    """A new customer (no group, no profile yet), signed in."""
    return pool.person()


def browser_origin(config: EnvironmentConfig) -> str:
    """An origin the environment allows, as a page of the shop's would send it."""
    listed = [origin for origin in config.cors_allowed_origins if origin != "*"]
    return listed[0] if listed else "http://localhost:3000"


class Api:  # pylint: disable=too-many-instance-attributes
    """A small HTTP client for the store API, signed in as ``person`` (None: no token), that
    remembers what it created, to clean up. Requests come from ``origin`` (a browser page's),
    unless a request says another Origin."""

    def __init__(
        self,
        base_url: str,
        pool: UserPool,
        person: Person | None,
        created: list[tuple[str, str]] | None = None,
        origin: str | None = None,
    ):
        self.base_url = base_url
        self.pool = pool
        self.person = person
        self.origin = origin
        self.session = requests.Session()
        self.created = [] if created is None else created

    def as_(self, person: Person | None) -> "Api":
        """The same client signed in as ``person`` (None: without a token)."""
        return Api(self.base_url, self.pool, person, self.created, self.origin)

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        """Send one request; JSON bodies via ``json=``; the caller's token unless ``headers``
        already say Authorization."""
        kwargs.setdefault("timeout", TIMEOUT)
        headers = dict(kwargs.pop("headers", None) or {})
        if self.origin is not None:
            headers.setdefault("Origin", self.origin)
        if self.person is not None:
            headers.setdefault("Authorization", self.person.id_token)
        return self.session.request(method, f"{self.base_url}{path}", headers=headers, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        """GET ``path``."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body, **kwargs) -> requests.Response:
        """POST a JSON body."""
        return self.request("POST", path, json=body, **kwargs)

    def patch(self, path: str, body, **kwargs) -> requests.Response:
        """PATCH a JSON body."""
        return self.request("PATCH", path, json=body, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        """DELETE ``path``."""
        return self.request("DELETE", path, **kwargs)

    def create_product(self, **fields) -> dict:
        """Create a product (unique name; the client must be an admin's) and remember it."""
        body = {
            "name": f"it-{uuid.uuid4().hex[:8]}",
            "price": 9.99,
            "category": f"it-{uuid.uuid4().hex[:12]}",
            "stock": 10,
        } | fields
        response = self.post("/products", body)
        assert response.status_code == 201, response.text
        product = response.json(parse_float=Decimal)
        self.created.append(("products", product["productId"]))
        return product

    def create_user(self, **fields) -> dict:
        """Create the caller's profile (unique email) and remember it for cleanup."""
        # SES's mailbox simulator: the store mails this address when the profile orders, and a
        # stage still in the SES sandbox may mail it unverified (it accepts and discards).
        address = f"success+it-{uuid.uuid4().hex}@simulator.amazonses.com"
        body = {"email": address, "name": "Integration"} | fields
        response = self.post("/users", body)
        assert response.status_code == 201, response.text
        user = response.json()
        assert user["userId"] == self.person.sub
        self.created.append(("users", user["userId"]))
        return user

    def sign_up(self, **fields) -> tuple["Api", dict]:
        """A new customer creates its profile: the client signed in as them, and the profile."""
        shopper = self.as_(self.pool.person())
        return shopper, shopper.create_user(**fields)

    def remember_order(self, order_id: str) -> None:
        """Orders have no DELETE route: remember them for direct removal."""
        self.created.append(("orders", order_id))

    def remove_created(self, dynamodb, orders_table: str) -> None:
        """Remove everything created through this client, newest first (orders directly)."""
        for kind, item_id in reversed(self.created):
            if kind == "orders":
                dynamodb.delete_item(TableName=orders_table, Key={"orderId": {"S": item_id}})
            else:
                self.delete(f"/{kind}/{item_id}")


@pytest.fixture
def api(base_url, outputs, aws, pool, admin, config):
    """The API client, signed in as an admin, from an allowed origin; everything created through
    it (or the clients ``as_`` gives) is removed afterwards, by the admin."""
    client = Api(base_url, pool, admin, origin=browser_origin(config))
    yield client
    client.remove_created(aws("dynamodb"), outputs["OrdersTableName"])


def _take(lock_file, mode: int, what: str) -> None:
    """``flock`` ``lock_file`` in ``mode``, waiting at most ``LOCK_TIMEOUT`` seconds."""
    deadline = time.monotonic() + LOCK_TIMEOUT
    while True:
        try:
            fcntl.flock(lock_file, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                pytest.fail(f"waited {LOCK_TIMEOUT} s for {what}", pytrace=False)
            time.sleep(0.02)


@pytest.fixture(autouse=True)
def _the_stack_to_itself(request, base_url):
    """Every test shares the deployed stack; one marked ``alters_stack`` changes it for whoever
    calls it meanwhile, so it runs alone, across pytest-xdist's workers: it holds the stack's
    lock exclusively, the others share it. A turnstile taken first keeps new tests from
    starting while one that alters the stack waits for the running ones to finish."""
    exclusive = request.node.get_closest_marker("alters_stack") is not None
    name = hashlib.sha256(base_url.encode()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir())
    with (
        open(folder / f"store-it-{name}.turnstile", "a", encoding="utf-8") as turnstile,
        open(folder / f"store-it-{name}.lock", "a", encoding="utf-8") as stack,
    ):
        _take(turnstile, fcntl.LOCK_EX, "the turnstile")
        try:
            _take(stack, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH, "the stack")
        finally:
            if not exclusive:
                fcntl.flock(turnstile, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(stack, fcntl.LOCK_UN)
            fcntl.flock(turnstile, fcntl.LOCK_UN)
