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
# The events' functions (handlers/store/spec/events.py).
EVENT_BUS_NAME = "EVENT_BUS_NAME"
# The address the customers' mail comes from: an SES identity of the environment.
SENDER_ADDRESS = "SENDER_ADDRESS"
# A product whose stock an order takes to this many units or fewer raises StockLow.
LOW_STOCK_THRESHOLD = "LOW_STOCK_THRESHOLD"
LOW_STOCK_TOPIC_ARN = "LOW_STOCK_TOPIC_ARN"
# A PENDING order older than this is cancelled by the store (reason EXPIRED).
PENDING_LIMIT_MINUTES = "PENDING_LIMIT_MINUTES"
# Seconds added to the time every function reads (store.clock). Never set on AWS: the local
# cloud sets it before each invocation to its own clock's offset (`localcloud clock advance`).
CLOCK_OFFSET_SECONDS = "STORE_CLOCK_OFFSET_SECONDS"
# Read by Powertools itself.
LOG_LEVEL = "POWERTOOLS_LOG_LEVEL"
SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
# Also Powertools': the stacks leave tracing on (X-Ray is active on every function); tests and
# benchmarks turn it off, having no X-Ray daemon to send to.
TRACE_DISABLED = "POWERTOOLS_TRACE_DISABLED"
