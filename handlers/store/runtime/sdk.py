"""The functions' AWS clients: one per service and execution environment, all configured alike.

The SDK's own retries (docs/architecture.md, "Calling AWS"): standard mode retries throttling,
transient errors and timeouts with jittered exponential back-off (at most 1 s, then 2 s), up to
``ATTEMPTS`` tries. A call that times out on every try takes at most
ATTEMPTS * (CONNECT + READ) + 3 s = 9 s, inside the functions' 10 s timeout.
"""

import functools
from typing import Any

import boto3
from botocore.config import Config

ATTEMPTS = 3
CONNECT_TIMEOUT_S = 0.5
READ_TIMEOUT_S = 1.5
CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": ATTEMPTS},
    connect_timeout=CONNECT_TIMEOUT_S,
    read_timeout=READ_TIMEOUT_S,
)


@functools.cache
def client(service: str) -> Any:
    """The function's one client of ``service``, created on first use and kept for the execution
    environment's life (as one created at import would be).

    Not at import: creating one loads botocore's model of the service, tens of milliseconds of
    CPU that a request which never calls it need not pay. Created when first called, it reads
    ``AWS_ENDPOINT_URL`` then, and moto intercepts it as any other.
    """
    return boto3.client(service, config=CONFIG)
