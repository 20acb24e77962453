"""Lambda function serving ``/products`` (handler ``products.handler``): the route table's
``products`` rows (``store/spec/routes.py``), each served by the function its operation id maps to.

Environment: PRODUCTS_TABLE_NAME, PAGINATION_KMS_KEY_ID, CORS_ALLOWED_ORIGINS, STORE_ENVIRONMENT,
POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL.
"""

from aws_lambda_powertools.event_handler import Response
from store.data import products_table
from store.http import validation, web
from store.runtime import clock
from store.spec.errors import BadRequest, detail

app = web.create_app()


def create_product() -> Response:
    """Create a product: 201 with it."""
    fields = web.validated_body(app, "ProductCreate")
    return web.ok(products_table.create(fields, clock.new_id(), clock.now()), 201)


def list_products() -> Response:
    """List products, by category (index Query) or all (paginated Scan)."""
    limit, token = web.page_params(app)
    category = web.query(app, "category")
    if category is None:
        return web.page(*products_table.list_all(limit, token))
    # An empty or over-long category is a bad request, not an empty list (nor a DynamoDB error).
    if not validation.field_valid("ProductCreate", "category", category):
        raise BadRequest(
            "Invalid query parameter.", [detail("category", "must be 1..64 characters, not blank")]
        )
    return web.page(*products_table.list_by_category(category, limit, token))


def get_product(product_id: str) -> Response:
    """One product."""
    return web.ok(products_table.get(web.path_id(product_id)))


def update_product(product_id: str) -> Response:
    """Change some of a product's attributes: 200 with the updated product."""
    product_id = web.path_id(product_id)
    changes = web.validated_body(app, "ProductUpdate")
    return web.ok(products_table.update(product_id, changes, clock.now()))


def delete_product(product_id: str) -> Response:
    """Delete a product: 204."""
    products_table.delete(web.path_id(product_id))
    return web.no_content()


handler = web.lambda_handler(
    app,
    "products",
    {
        "createProduct": create_product,
        "listProducts": list_products,
        "getProduct": get_product,
        "updateProduct": update_product,
        "deleteProduct": delete_product,
    },
)
"""Lambda entry point."""
