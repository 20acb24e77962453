"""What every integration test needs: the deployed stack's outputs, AWS clients, the API.

The same suite runs against the local cloud (``AWS_ENDPOINT_URL`` points boto3 at the emulator,
``API_BASE_URL`` at the local gateway) and against a real deployment (credentials in the usual
places, the API at the ``ApiGatewayUrl`` output). A missing outputs file fails every test that
needs it: nothing is skipped silently.
"""

import os
import uuid
from decimal import Decimal
from pathlib import Path

import boto3
import pytest
import requests

from stacks.config import EnvironmentConfig
from stacks.config import load as load_config
from tests.integration.outputs import OutputsError, load

DEFAULT_OUTPUTS = Path("cfn-outputs/all-outputs.json")
TIMEOUT = 30


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


class Api:
    """A small HTTP client for the store API that remembers what it created, to clean up."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.session = requests.Session()
        self.created: list[tuple[str, str]] = []

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        """Send one request; JSON bodies via ``json=``."""
        kwargs.setdefault("timeout", TIMEOUT)
        return self.session.request(method, f"{self.base_url}{path}", **kwargs)

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
        """Create a product (unique name) and remember it for cleanup."""
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
        """Create a user (unique email) and remember it for cleanup."""
        body = {"email": f"it-{uuid.uuid4().hex}@example.com", "name": "Integration"} | fields
        response = self.post("/users", body)
        assert response.status_code == 201, response.text
        user = response.json()
        self.created.append(("users", user["userId"]))
        return user

    def remember_order(self, order_id: str) -> None:
        """Orders have no DELETE route: remember them for direct removal."""
        self.created.append(("orders", order_id))


@pytest.fixture
def api(base_url, outputs, aws):
    """The API client; everything it created is removed afterwards."""
    client = Api(base_url)
    yield client
    for kind, item_id in reversed(client.created):
        if kind == "orders":
            aws("dynamodb").delete_item(
                TableName=outputs["OrdersTableName"], Key={"orderId": {"S": item_id}}
            )
        else:
            client.delete(f"/{kind}/{item_id}")
