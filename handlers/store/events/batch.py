"""A batch from an event source (a queue, a table's stream), each record handled on its own.

Powertools' batch utility runs the handler per record and reports the records that raised as
``batchItemFailures``: Lambda retries exactly those (the event source mappings are configured
with ``ReportBatchItemFailures``).
"""

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.typing import LambdaContext


def each_record(
    event: dict[str, Any],
    context: LambdaContext,
    handle: Callable[[Any], Any],
    event_type: EventType,
) -> dict[str, Any]:
    """``handle`` each record of ``event``; the response naming the records that failed."""
    return process_partial_response(
        event=event,
        record_handler=handle,
        # Even when every record fails, the response says so (no function error): Lambda
        # retries exactly the records reported, and logs no failed invocation.
        processor=BatchProcessor(event_type=event_type, raise_on_entire_batch_failure=False),
        context=context,
    )
