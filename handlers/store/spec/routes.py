"""The API's route table: the one place each method and path of the contract is described.

A row says who serves it, who may call it, what it takes (body, query, headers), what it answers
on success, the errors only its code can answer and why, and where a client goes next (links).
Everything else is derived from it: the Api construct's resources, methods, request models and
authorizer (``stacks/store/api.py``); the functions' Powertools routes (``store.http.web.serve``)
and the
role each row allows (``store.http.web``); the OpenAPI document (``python -m contract.openapi``).
Pure data (imported by the functions at run time and by the stacks at synth).
"""

import enum
import re
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from . import schemas

# The user pool group whose members are the admin role (the Identity construct creates it).
ADMIN_GROUP = "admins"
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# As long as a page token may be (``store.data.pagination`` refuses a longer one).
MAX_TOKEN_CHARS = 2048


class Access(enum.Enum):
    """Who may call a route (the contract's "Who may call what").

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

    @property
    def who_may_call(self) -> str:
        """The role in a sentence, for readers of the API's reference."""
        return _WHO_MAY_CALL[self]


_WHO_MAY_CALL = {
    Access.ANYONE: "Who may call: anyone; no token needed.",
    Access.CUSTOMER: "Who may call: any signed-in user (a customer, or an admin).",
    Access.OWNER_OR_ADMIN: (
        "Who may call: the owner of the addressed data (the user whose `userId` it is), or an "
        "admin. A customer naming another user's profile or order gets 404, as if it did not "
        "exist."
    ),
    Access.ADMIN: f"Who may call: admins only (members of the user pool's `{ADMIN_GROUP}` group).",
}


@dataclass(frozen=True)
class Param:
    """A query string parameter or request header: its name, whether it is required, and the
    JSON Schema (draft-04) its value must match."""

    name: str
    required: bool
    schema: dict[str, Any] = field(hash=False)


@dataclass(frozen=True)
class Success:
    """What a route answers when it succeeds: the status, the response schema (a name in
    ``schemas.RESPONSES``; None: no body) and a line saying what the body is."""

    status: int
    schema: str | None
    description: str


def created(schema: str) -> Success:
    """201 with the new resource."""
    return Success(201, schema, f"The new {schema.lower()}.")


def listed(schema: str) -> Success:
    """200 with a page of a list (``<schema>List``)."""
    return Success(200, f"{schema}List", "A page of the list.")


def found(schema: str) -> Success:
    """200 with one resource."""
    return Success(200, schema, f"The {schema.lower()}.")


def updated(schema: str) -> Success:
    """200 with the resource as it is after the change."""
    return Success(200, schema, f"The updated {schema.lower()}.")


DELETED = Success(204, None, "Deleted.")


@dataclass(frozen=True)
class Link:
    """Where a client may go from a route's success response: the operation, and which of its
    parameters take which field of the response body."""

    name: str
    operation_id: str
    parameters: tuple[tuple[str, str], ...]


def link(name: str, operation_id: str, **fields: str) -> Link:
    """A link whose parameters (keywords) are filled from these response body fields."""
    return Link(name, operation_id, tuple(fields.items()))


@dataclass(frozen=True)
class Route:  # pylint: disable=too-many-instance-attributes  # one per thing a route says
    """One method on one path, served by one function (a name in ``manifest``), open to one
    role, described once."""

    method: str
    path: str
    function: str
    operation_id: str
    access: Access
    _: KW_ONLY
    # One line for readers.
    summary: str
    success: Success
    # Name of the request body schema in ``schemas.BODIES`` (None: no body).
    body: str | None = None
    query: tuple[Param, ...] = ()
    headers: tuple[Param, ...] = ()
    # What the role rule says beyond ``access`` (None: nothing more).
    access_rule: str | None = None
    # Why the function answers 403, 409 or 422 (None: it does not), beyond what the other
    # fields imply (an admin's route refuses a customer with 403 whatever this says).
    forbidden: str | None = None
    conflict: str | None = None
    unprocessable: str | None = None
    links: tuple[Link, ...] = ()

    @property
    def signed_in(self) -> bool:
        """Whether API Gateway must check the caller's ID token before the function runs."""
        return self.access.signed_in

    @property
    def path_parameters(self) -> tuple[str, ...]:
        """The names in the path's braces, in order."""
        return tuple(re.findall(r"\{(\w+)\}", self.path))

    def matches(self, method: str, path: str) -> bool:
        """Whether ``method path`` (a concrete path, e.g. /products/<id>) is this route."""
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", self.path)
        return method == self.method and re.fullmatch(pattern, path) is not None


def _field(body: str, name: str) -> dict[str, Any]:
    """The schema of one field of a request body (a query parameter validated as that field)."""
    return schemas.BODIES[body]["properties"][name]


LIMIT = Param(
    "limit",
    False,
    {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_LIMIT,
        "default": DEFAULT_LIMIT,
        "description": "Page size.",
    },
)
NEXT_TOKEN = Param(
    "nextToken",
    False,
    {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_TOKEN_CHARS,
        "description": "The previous page's nextToken, as it was; any other value is a 400.",
    },
)
_PAGE = (LIMIT, NEXT_TOKEN)
IDEMPOTENCY_KEY = Param(
    "Idempotency-Key",
    False,
    {
        **schemas.IDEMPOTENCY_KEY,
        "description": (
            "Retrying with the same key and body returns the first order again (201) and takes "
            "stock once; the same key with another body is a 422. Kept for 24 hours."
        ),
    },
)
ANYONE, CUSTOMER, OWNER_OR_ADMIN, ADMIN = (
    Access.ANYONE,
    Access.CUSTOMER,
    Access.OWNER_OR_ADMIN,
    Access.ADMIN,
)

_PRODUCT_LINKS = (
    link("GetProduct", "getProduct", productId="productId"),
    link("UpdateProduct", "updateProduct", productId="productId"),
    link("DeleteProduct", "deleteProduct", productId="productId"),
    link("ListProductsInCategory", "listProducts", category="category"),
)
PRODUCTS = (
    Route(
        "POST",
        "/products",
        "products",
        "createProduct",
        ADMIN,
        summary="Create a product.",
        success=created("Product"),
        body="ProductCreate",
        links=_PRODUCT_LINKS,
    ),
    Route(
        "GET",
        "/products",
        "products",
        "listProducts",
        ANYONE,
        summary="List products, all or one category's (newest first).",
        success=listed("Product"),
        query=(Param("category", False, _field("ProductCreate", "category")), *_PAGE),
    ),
    Route(
        "GET",
        "/products/{productId}",
        "products",
        "getProduct",
        ANYONE,
        summary="Get a product.",
        success=found("Product"),
    ),
    Route(
        "PATCH",
        "/products/{productId}",
        "products",
        "updateProduct",
        ADMIN,
        summary="Change some of a product's attributes.",
        success=updated("Product"),
        body="ProductUpdate",
        links=_PRODUCT_LINKS[:1],
    ),
    Route(
        "DELETE",
        "/products/{productId}",
        "products",
        "deleteProduct",
        ADMIN,
        summary="Delete a product.",
        success=DELETED,
    ),
)

_USER_LINKS = (
    link("GetUser", "getUser", userId="userId"),
    link("UpdateUser", "updateUser", userId="userId"),
    link("DeleteUser", "deleteUser", userId="userId"),
    link("FindUsers", "findUsers", email="email"),
    link("ListOrders", "listOrders", userId="userId"),
)
USERS = (
    Route(
        "POST",
        "/users",
        "users",
        "createUser",
        CUSTOMER,
        summary=("Create the caller's profile (its e-mail address unique without regard to case)."),
        success=created("User"),
        body="UserCreate",
        access_rule="The profile is the caller's own: its `userId` is the ID token's `sub`.",
        conflict=(
            "The caller has a profile already, or the e-mail address is taken (without regard "
            "to case)."
        ),
        links=_USER_LINKS,
    ),
    Route(
        "GET",
        "/users",
        "users",
        "findUsers",
        ADMIN,
        summary="Find the user with an e-mail address: a list of 0 or 1 item.",
        success=listed("User"),
        query=(Param("email", True, _field("UserCreate", "email")),),
    ),
    Route(
        "GET",
        "/users/{userId}",
        "users",
        "getUser",
        OWNER_OR_ADMIN,
        summary="Get a user.",
        success=found("User"),
    ),
    Route(
        "PATCH",
        "/users/{userId}",
        "users",
        "updateUser",
        OWNER_OR_ADMIN,
        summary="Change a user's name or e-mail address.",
        success=updated("User"),
        body="UserUpdate",
        conflict=(
            "The new e-mail address is taken, or the user was changed by a concurrent request."
        ),
        links=_USER_LINKS[:1],
    ),
    Route(
        "DELETE",
        "/users/{userId}",
        "users",
        "deleteUser",
        OWNER_OR_ADMIN,
        summary="Delete a user and release the e-mail address.",
        success=DELETED,
        conflict="The user was changed by a concurrent request; retry.",
    ),
)

_ORDER_LINKS = (
    link("GetOrder", "getOrder", orderId="orderId"),
    link("UpdateOrderStatus", "updateOrderStatus", orderId="orderId"),
    link("ListOrders", "listOrders", userId="userId"),
)
ORDERS = (
    Route(
        "POST",
        "/orders",
        "orders",
        "createOrder",
        CUSTOMER,
        summary="Place an order, taking the stock of every item in one atomic step.",
        success=created("Order"),
        body="OrderCreate",
        headers=(IDEMPOTENCY_KEY,),
        access_rule=(
            "`userId` may be left out (the caller's own); naming another user is for admins "
            "only. The Idempotency-Key is the caller's: the same key from two callers is two "
            "requests."
        ),
        forbidden="`userId` names another user, and the caller is not an admin.",
        conflict=(
            "Not enough stock (details name each short item), a product changed while the order "
            "was placed, or a request with the same Idempotency-Key is still in progress."
        ),
        unprocessable=(
            "The user or some products do not exist, the items do not share one currency, or "
            "the Idempotency-Key was used with a different body."
        ),
        links=_ORDER_LINKS,
    ),
    Route(
        "GET",
        "/orders",
        "orders",
        "listOrders",
        OWNER_OR_ADMIN,
        summary="List a user's orders, newest first.",
        success=listed("Order"),
        query=(Param("userId", True, _field("OrderCreate", "userId")), *_PAGE),
        access_rule="Listing another user's orders is a 403 unless the caller is an admin.",
        forbidden="`userId` is another user's, and the caller is not an admin.",
    ),
    Route(
        "GET",
        "/orders/{orderId}",
        "orders",
        "getOrder",
        OWNER_OR_ADMIN,
        summary="Get an order.",
        success=found("Order"),
    ),
    Route(
        "PATCH",
        "/orders/{orderId}",
        "orders",
        "updateOrderStatus",
        OWNER_OR_ADMIN,
        summary="Move an order along its lifecycle (CANCELLED puts the stock back).",
        success=updated("Order"),
        body="OrderStatusUpdate",
        access_rule=(
            "An admin makes any allowed move; the order's owner may only set CANCELLED (403 "
            "for anything else)."
        ),
        forbidden="a status other than CANCELLED, and the caller is not an admin.",
        conflict=(
            "The transition is not allowed (PENDING -> CONFIRMED -> SHIPPED -> DELIVERED; "
            "PENDING or CONFIRMED -> CANCELLED), or the order was changed by a concurrent request."
        ),
        links=_ORDER_LINKS[:1],
    ),
)

ROUTES = PRODUCTS + USERS + ORDERS


def find(method: str, path: str) -> Route | None:
    """The row that serves ``method path`` (a concrete path), or None."""
    return next((route for route in ROUTES if route.matches(method, path)), None)
