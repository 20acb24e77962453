"""Names of the environment variables through which the stacks configure the functions.

The Functions construct sets these; the handlers read them; the tests and benchmarks that run
the handlers outside Lambda set them by these names. Nothing else defines them.
"""

PRODUCTS_TABLE = "PRODUCTS_TABLE_NAME"
USERS_TABLE = "USERS_TABLE_NAME"
ORDERS_TABLE = "ORDERS_TABLE_NAME"
IDEMPOTENCY_TABLE = "IDEMPOTENCY_TABLE_NAME"
# KMS key used to encrypt pagination tokens: opaque to clients and tamper-evident.
PAGINATION_KEY_ID = "PAGINATION_KMS_KEY_ID"
# Comma-separated list of allowed CORS origins ("*" allowed).
CORS_ALLOWED_ORIGINS = "CORS_ALLOWED_ORIGINS"
ENVIRONMENT = "STORE_ENVIRONMENT"
# Read by Powertools itself.
LOG_LEVEL = "POWERTOOLS_LOG_LEVEL"
SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
# Also Powertools': the stacks leave tracing on (X-Ray is active on every function); tests and
# benchmarks turn it off, having no X-Ray daemon to send to.
TRACE_DISABLED = "POWERTOOLS_TRACE_DISABLED"
# The order events (issue 20): the bus the publisher puts them on, the sender of the customers'
# mail, the stock at or below which a product is reported, the low-stock topic, and the age at
# which a PENDING order expires.
EVENT_BUS_NAME = "EVENT_BUS_NAME"
SENDER_ADDRESS = "SENDER_ADDRESS"
LOW_STOCK_THRESHOLD = "LOW_STOCK_THRESHOLD"
LOW_STOCK_TOPIC_ARN = "LOW_STOCK_TOPIC_ARN"
PENDING_LIMIT_MINUTES = "PENDING_LIMIT_MINUTES"
