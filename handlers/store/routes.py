"""The API's route table: one row per method and path of the contract (../shared/API.md).

Read by the Api construct (resources, methods, request models, which methods need a signed-in
caller), by the OpenAPI generator, by the functions (``store.web`` enforces each row's access)
and by a test that checks each function's Powertools resolver serves exactly its rows. Pure data.
"""

import enum
import re
from dataclasses import dataclass

# The user pool group whose members are the admin role (the Identity construct creates it).
ADMIN_GROUP = "admins"


class Access(enum.Enum):
    """Who may call a route (API.md, "Who may call what").

    ``OWNER_OR_ADMIN`` routes address one user's data: the function decides ownership once it
    knows whose data it is (a customer naming another's profile or order gets 404, listing
    another's orders 403). Every role but ``ANYONE`` needs the pool's ID token, checked by API
    Gateway before any function runs.
    """

    ANYONE = "anyone"
    CUSTOMER = "customer"
    OWNER_OR_ADMIN = "owner-or-admin"
    ADMIN = "admin"

    @property
    def signed_in(self) -> bool:
        """Whether the caller must present a valid ID token."""
        return self is not Access.ANYONE


@dataclass(frozen=True)
class Route:
    """One method on one path, served by one function, open to one role."""

    method: str
    path: str
    function: str
    operation_id: str
    access: Access
    # Name of the request body schema in ``schemas.BODIES`` (None: no body).
    body: str | None = None
    # Query string parameters API Gateway should declare (name -> required).
    query: tuple[tuple[str, bool], ...] = ()
    # Request headers API Gateway should declare (name -> required).
    headers: tuple[tuple[str, bool], ...] = ()

    @property
    def signed_in(self) -> bool:
        """Whether API Gateway must check the caller's ID token before the function runs."""
        return self.access.signed_in

    def matches(self, method: str, path: str) -> bool:
        """Whether ``method path`` (a concrete path, e.g. /products/<id>) is this route."""
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", self.path)
        return method == self.method and re.fullmatch(pattern, path) is not None


_PAGE = (("limit", False), ("nextToken", False))
ANYONE, CUSTOMER, OWNER_OR_ADMIN, ADMIN = (
    Access.ANYONE,
    Access.CUSTOMER,
    Access.OWNER_OR_ADMIN,
    Access.ADMIN,
)

ROUTES = (
    Route("POST", "/products", "products", "createProduct", ADMIN, body="ProductCreate"),
    Route(
        "GET", "/products", "products", "listProducts", ANYONE, query=(("category", False), *_PAGE)
    ),
    Route("GET", "/products/{productId}", "products", "getProduct", ANYONE),
    Route(
        "PATCH", "/products/{productId}", "products", "updateProduct", ADMIN, body="ProductUpdate"
    ),
    Route("DELETE", "/products/{productId}", "products", "deleteProduct", ADMIN),
    Route("POST", "/users", "users", "createUser", CUSTOMER, body="UserCreate"),
    Route("GET", "/users", "users", "findUsers", ADMIN, query=(("email", True),)),
    Route("GET", "/users/{userId}", "users", "getUser", OWNER_OR_ADMIN),
    Route("PATCH", "/users/{userId}", "users", "updateUser", OWNER_OR_ADMIN, body="UserUpdate"),
    Route("DELETE", "/users/{userId}", "users", "deleteUser", OWNER_OR_ADMIN),
    Route(
        "POST",
        "/orders",
        "orders",
        "createOrder",
        CUSTOMER,
        body="OrderCreate",
        headers=(("Idempotency-Key", False),),
    ),
    Route(
        "GET",
        "/orders",
        "orders",
        "listOrders",
        OWNER_OR_ADMIN,
        query=(("userId", True), *_PAGE),
    ),
    Route("GET", "/orders/{orderId}", "orders", "getOrder", OWNER_OR_ADMIN),
    Route(
        "PATCH",
        "/orders/{orderId}",
        "orders",
        "updateOrderStatus",
        OWNER_OR_ADMIN,
        body="OrderStatusUpdate",
    ),
)


def find(method: str, path: str) -> Route | None:
    """The row that serves ``method path`` (a concrete path), or None."""
    return next((route for route in ROUTES if route.matches(method, path)), None)
