"""What Lambda's pollers share, whatever the source (an SQS queue, a DynamoDB stream): the
mapping, a client of its source, the functions' invoker, the log; and how a batch's outcome is
read from the function's answer.

A batch fails whole when the invocation fails (the function raised, timed out, its worker died).
With ``ReportBatchItemFailures``, the items its answer's ``batchItemFailures`` names failed; an
answer that names an item not in the batch fails the whole batch, as Lambda reads it. Without
it, an answer is a success whatever it says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from localcloud.triggers.invoker import FAILURES
from localcloud.triggers.sources import Mapping

Failed = TypeVar("Failed")
"""How a poller says which part of a batch failed (message ids, the first failed index)."""


class BatchPoller:  # pylint: disable=too-few-public-methods
    """Runs ``mapping`` with ``invoker``, reading its source with ``client``; ``region``: the
    one the records name; ``log``: a JSON-line writer."""

    ITEM = "item"
    """What the source's batches hold, as the log names it."""

    def __init__(  # pylint: disable=too-many-arguments
        self, mapping: Mapping, client, invoker, *, region: str, log: Callable[[dict], None]
    ):
        self.mapping = mapping
        self.client = client
        self.invoker = invoker
        self.region = region
        self.log = log

    def outcome(
        self,
        event: dict,
        line: dict,
        *,
        named: Callable[[object], Failed | None],
        none: Failed,
        every: Failed,
    ) -> Failed:
        """Which part of the batch in ``event`` failed: ``none``, ``every``, or what ``named``
        reads in the function's answer (None: it names something not in the batch). Why it
        failed whole goes into ``line``."""
        try:
            result = self.invoker.invoke(self.mapping.function_name, event)
        except FAILURES as exc:
            line["error"] = str(exc) or type(exc).__name__  # a timeout says nothing more
            return every
        if not self.mapping.report_item_failures:
            return none
        found = named(result)
        if found is None:
            line["error"] = f"batchItemFailures names a {self.ITEM} not in the batch"
            return every
        return found
