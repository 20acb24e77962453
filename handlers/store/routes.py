"""The API's route table: one row per method and path of the contract (../shared/API.md).

Read by the Api construct (resources, methods, request models), by the OpenAPI generator and by a
test that checks each function's Powertools resolver serves exactly its rows. Pure data.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    """One method on one path, served by one function."""

    method: str
    path: str
    function: str
    operation_id: str
    # Name of the request body schema in ``schemas.BODIES`` (None: no body).
    body: str | None = None
    # Query string parameters API Gateway should declare (name -> required).
    query: tuple[tuple[str, bool], ...] = ()
    # Request headers API Gateway should declare (name -> required).
    headers: tuple[tuple[str, bool], ...] = ()


_PAGE = (("limit", False), ("nextToken", False))

ROUTES = (
    Route("POST", "/products", "products", "createProduct", body="ProductCreate"),
    Route("GET", "/products", "products", "listProducts", query=(("category", False), *_PAGE)),
    Route("GET", "/products/{productId}", "products", "getProduct"),
    Route("PATCH", "/products/{productId}", "products", "updateProduct", body="ProductUpdate"),
    Route("DELETE", "/products/{productId}", "products", "deleteProduct"),
    Route("POST", "/users", "users", "createUser", body="UserCreate"),
    Route("GET", "/users", "users", "findUsers", query=(("email", True),)),
    Route("GET", "/users/{userId}", "users", "getUser"),
    Route("PATCH", "/users/{userId}", "users", "updateUser", body="UserUpdate"),
    Route("DELETE", "/users/{userId}", "users", "deleteUser"),
    Route(
        "POST",
        "/orders",
        "orders",
        "createOrder",
        body="OrderCreate",
        headers=(("Idempotency-Key", False),),
    ),
    Route("GET", "/orders", "orders", "listOrders", query=(("userId", True), *_PAGE)),
    Route("GET", "/orders/{orderId}", "orders", "getOrder"),
    Route("PATCH", "/orders/{orderId}", "orders", "updateOrderStatus", body="OrderStatusUpdate"),
)
