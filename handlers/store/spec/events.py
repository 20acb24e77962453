"""The store's events on its EventBridge bus: names, version, and who hears which.

Pure data, shared by the publisher and the consumers (``handlers/``) and by the Events construct,
whose rules deliver to each consumer's queue what the patterns here select. docs/api.md
("Events") documents them; ``contract/events.schema.json`` is their JSON Schema.
"""

SOURCE = "store"
# A consumer handles only the versions it knows; any other fails its record (to the DLQ).
SCHEMA_VERSION = 1

ORDER_PLACED = "OrderPlaced"
ORDER_STATUS_CHANGED = "OrderStatusChanged"
STOCK_LOW = "StockLow"
DETAIL_TYPES = (ORDER_PLACED, ORDER_STATUS_CHANGED, STOCK_LOW)

# Why an order was cancelled: its owner, an admin, or the store itself (a PENDING order left
# longer than the environment's limit). Stored on the order as ``cancelReason``.
CUSTOMER = "CUSTOMER"
ADMIN = "ADMIN"
EXPIRED = "EXPIRED"
CANCEL_REASONS = (CUSTOMER, ADMIN, EXPIRED)

# The status changes the customer is mailed about (besides the order being placed).
NOTIFIED_STATUSES = ("SHIPPED", "CANCELLED")

# EventBridge rule patterns, one rule each, all delivering to the consumer's queue.
NOTIFICATION_PATTERNS = (
    {"source": [SOURCE], "detail-type": [ORDER_PLACED]},
    {
        "source": [SOURCE],
        "detail-type": [ORDER_STATUS_CHANGED],
        "detail": {"to": list(NOTIFIED_STATUSES)},
    },
)
STOCK_LOW_PATTERNS = ({"source": [SOURCE], "detail-type": [STOCK_LOW]},)
