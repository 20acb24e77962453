"""Lambda function serving ``/orders`` (handler ``orders.handler``): the route table's
``orders`` rows (``store/spec/routes.py``), each served by the function its operation id maps to.

Environment: ORDERS_TABLE_NAME, PRODUCTS_TABLE_NAME, USERS_TABLE_NAME, IDEMPOTENCY_TABLE_NAME,
PAGINATION_KMS_KEY_ID, CORS_ALLOWED_ORIGINS, STORE_ENVIRONMENT, POWERTOOLS_SERVICE_NAME,
POWERTOOLS_LOG_LEVEL.
"""

import functools
import os
import re
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyInconsistentStateError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from store.data import orders_table, products_table
from store.data.dynamo import client as dynamodb_client
from store.domain import order_rules as rules
from store.http import caller, validation, web
from store.runtime import clock
from store.runtime.observability import logger
from store.spec import schemas, settings
from store.spec.errors import BadRequest, Forbidden, NotFound, detail

app = web.create_app()
# What a placement's idempotency records are keyed under (the contract's operation id).
IDEMPOTENCY_KEY_PREFIX = "createOrder"
# Printable ASCII, as HTTP header values are; long enough for a UUID or a client's own scheme.
_KEY = schemas.IDEMPOTENCY_KEY
_KEY_PATTERN = re.compile(_KEY["pattern"])
# The key is the caller's and the header's together (one caller's key never answers another's);
# the body is the payload a retry must repeat (else 422).
_idempotency = IdempotencyConfig(
    event_key_jmespath="[caller, key]",
    payload_validation_jmespath="body",
    expires_after_seconds=24 * 60 * 60,
)


def create_order() -> Response:
    """Place an order: 201; 409 (stock), 422 (unknown user/product); idempotent by header.

    For the caller, unless the body names another user, which only an admin may do (403).
    """
    body = web.validated_body(app, "OrderCreate")
    who = caller.signed_in(app.current_event)
    user_id = body.get("userId", who.sub)
    if not who.may_act_for(user_id):
        raise Forbidden(
            "You may only place orders for yourself.", [detail("userId", "is not yours")]
        )
    rules.check_lines(body["items"])
    key = app.current_event.headers.get("Idempotency-Key")
    if key is None:
        return web.ok(_place(user_id, body["items"], clock.new_id()), 201)
    if not (_KEY["minLength"] <= len(key) <= _KEY["maxLength"] and _KEY_PATTERN.match(key)):
        raise BadRequest(
            "Invalid header.", [detail("Idempotency-Key", "must be 1..255 printable characters")]
        )
    # The first response is stored as its JSON text: a retry gets the very same bytes back.
    request = {"caller": who.sub, "key": key, "userId": user_id, "body": body}
    try:
        result = _idempotent()(request=request)
    except (IdempotencyPersistenceLayerError, IdempotencyInconsistentStateError) as exc:
        # The idempotency table failed around the placement (its record not saved, updated or
        # deleted). Placing is safe all the same: the order's id is the key's, so an order an
        # earlier attempt stored is found and answered, and stock is never taken twice.
        logger.warning("Idempotency record failed; placing by the key's order id", exc_info=exc)
        return web.ok(_place(user_id, body["items"], _order_id(request)), 201)
    return Response(status_code=201, content_type="application/json", body=result["json"])


@functools.cache
def _idempotent() -> Callable[..., dict[str, str]]:
    # Built on the first request with an Idempotency-Key, on the function's own DynamoDB client:
    # a persistence layer left to itself makes a second client, loading botocore's model again.
    persistence = DynamoDBPersistenceLayer(
        table_name=os.environ[settings.IDEMPOTENCY_TABLE], boto3_client=dynamodb_client()
    )
    return idempotent_function(
        _place_once,
        data_keyword_argument="request",
        persistence_store=persistence,
        config=_idempotency,
        # The records' key is this prefix and the request's hash: without it, Powertools would
        # put the function's module and name in it, and a rename would orphan retries in flight.
        key_prefix=IDEMPOTENCY_KEY_PREFIX,
    )


def _place_once(request: dict[str, Any]) -> dict[str, str]:
    order = _place(request["userId"], request["body"]["items"], _order_id(request))
    return {"json": web.dumps(order)}


def _order_id(request: dict[str, Any]) -> str:
    return clock.id_for(request["caller"], request["key"])


def _place(user_id: str, lines: list[dict[str, Any]], order_id: str) -> dict[str, Any]:
    products = products_table.get_many([line["productId"] for line in lines])
    now = clock.now()
    order = {
        "orderId": order_id,
        **rules.price(user_id, lines, products),
        "createdAt": now,
        "updatedAt": now,
    }
    earlier = orders_table.place(order, products)
    return order if earlier is None else rules.answer_to_retry(order, earlier)


@app.exception_handler(IdempotencyValidationError)
def _key_reused(_exc: IdempotencyValidationError) -> Response:
    reused = rules.key_reused()
    return web.error_response(reused.status, reused.code, reused.message, reused.details)


@app.exception_handler(IdempotencyAlreadyInProgressError)
def _key_in_flight(_exc: IdempotencyAlreadyInProgressError) -> Response:
    return web.error_response(
        409,
        "CONFLICT",
        "A request with this Idempotency-Key is in progress; retry.",
        [detail("Idempotency-Key", "is in progress")],
    )


def list_orders() -> Response:
    """A user's orders, newest first (index Query): the caller's own, or anyone's for an admin."""
    limit, token = web.page_params(app)
    user_id = web.query(app, "userId")
    if user_id is None or not validation.field_valid("OrderCreate", "userId", user_id):
        raise BadRequest("Invalid query parameter.", [detail("userId", "must be a user id")])
    if not caller.signed_in(app.current_event).may_act_for(user_id):
        raise Forbidden("You may only list your own orders.", [detail("userId", "is not yours")])
    return web.page(*orders_table.list_by_user(user_id, limit, token))


def get_order(order_id: str) -> Response:
    """One order: the caller's own, or any for an admin (another's is a 404)."""
    order = orders_table.get(web.path_id(order_id))
    if not caller.signed_in(app.current_event).may_act_for(order["userId"]):
        raise NotFound("Order not found.")
    return web.ok(order)


def update_order_status(order_id: str) -> Response:
    """Move an order along its lifecycle: 200, or 409 when the move is not allowed.

    An admin makes any allowed move; the order's owner may only cancel it (403 otherwise).
    """
    order_id = web.path_id(order_id)
    status = web.validated_body(app, "OrderStatusUpdate")["status"]
    who = caller.signed_in(app.current_event)
    move = rules.move_for(status, sub=who.sub, is_admin=who.is_admin)
    if move.reason is not None:
        order = orders_table.get(order_id)
        rules.check_cancel(order, owner=move.owner)
        return web.ok(orders_table.cancel(order, clock.now(), reason=move.reason, owner=move.owner))
    try:
        moved = orders_table.advance(order_id, status, rules.allowed_from(status), clock.now())
    except orders_table.NotAllowed as exc:
        raise rules.not_allowed(exc.current, status) from exc
    return web.ok(moved)


handler = web.lambda_handler(
    app,
    "orders",
    {
        "createOrder": create_order,
        "listOrders": list_orders,
        "getOrder": get_order,
        "updateOrderStatus": update_order_status,
    },
    before=_idempotency.register_lambda_context,
)
"""Lambda entry point."""
