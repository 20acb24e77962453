"""An SQS event source mapping, run as Lambda's poller runs it.

Each poll receives up to the mapping's batch size (10 per ``ReceiveMessage``, as SQS allows),
waiting up to its batching window for a fuller batch, and invokes the function once with them.
A batch that succeeds is deleted; one that fails is left alone, so each message comes back when
its visibility timeout runs out. With ``ReportBatchItemFailures``, the messages the function
names in ``batchItemFailures`` are left and the others deleted; an answer naming a message that
is not in the batch fails the whole batch, as in Lambda. The redrive to the dead-letter queue
after ``maxReceiveCount`` receives is SQS's own: moto's ``ReceiveMessage`` moves such a message
there instead of returning it, as SQS does.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from localcloud.triggers.batches import BatchPoller
from localcloud.triggers.sources import Mapping

MAX_RECEIVE = 10
"""The most one ``ReceiveMessage`` returns."""
WINDOW_POLL_S = 0.1
"""How often a batch that waits for its window asks for more."""


def queue_url(sqs, arn: str) -> str:
    """The URL of the queue ``arn`` names, at ``sqs``'s endpoint (made, not asked: the services
    that send to a queue, such as Lambda and Scheduler, need no ``sqs:GetQueueUrl``)."""
    _, _, _, _, account, name = arn.split(":", 5)
    return f"{sqs.meta.endpoint_url.rstrip('/')}/{account}/{name}"


def record(message: dict, arn: str, region: str) -> dict:
    """One message as Lambda hands it to the function."""
    attributes = {
        "message": message.get("MessageAttributes") or {},
        "system": message.get("Attributes") or {},
    }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes["system"],
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value.get("DataType"),
            }
            for name, value in attributes["message"].items()
        },
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": region,
    }


def failed_items(result: object, batch: list[dict]) -> set[str] | None:
    """The message ids ``result`` reports failed; None when it reports something that is not
    in the batch (then all of it failed, as Lambda reads it)."""
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return set()
    failures = result["batchItemFailures"]
    ids = {r["messageId"] for r in batch}
    named = set()
    for failure in failures if isinstance(failures, list) else [None]:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if identifier not in ids:
            return None
        named.add(identifier)
    return named


class QueuePoller(BatchPoller):
    """Runs ``mapping`` (an SQS one) with ``invoker``, reading the queue with ``sqs``; ``log``: a
    JSON-line writer; ``pause(s)``: wait ``s`` seconds (False: stop waiting for the window)."""

    ITEM = "message"

    def __init__(  # pylint: disable=too-many-arguments
        self,
        mapping: Mapping,
        sqs,
        invoker,
        *,
        region: str,
        log: Callable[[dict], None],
        pause: Callable[[float], bool] = lambda s: time.sleep(s) or True,
    ):
        super().__init__(mapping, sqs, invoker, region=region, log=log)
        self.pause = pause
        self.url = queue_url(sqs, mapping.source_arn)

    def _receive(self, count: int) -> list[dict]:
        return self.client.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=min(count, MAX_RECEIVE),
            WaitTimeSeconds=0,  # the emulator serves one request at a time: never hold it
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])

    def collect(self) -> list[dict]:
        """A batch: up to the batch size, within the batching window once one message came."""
        batch: list[dict] = []
        first = None
        while len(batch) < self.mapping.batch_size:
            got = self._receive(self.mapping.batch_size - len(batch))
            batch.extend(got)
            if first is None and batch:
                first = time.monotonic()
            if got and len(got) == MAX_RECEIVE:
                continue  # there may be more right away
            if first is None or time.monotonic() - first >= self.mapping.window_s:
                break
            if not self.pause(WINDOW_POLL_S):
                break
        return batch

    def poll_once(self) -> int:
        """Receive one batch and run it; how many messages it held."""
        messages = self.collect()
        if not messages:
            return 0
        batch = [record(m, self.mapping.source_arn, self.region) for m in messages]
        started = time.monotonic()
        line = {"event": "batch", "function": self.mapping.function_name, "source": self.url}
        failed = self.outcome(
            {"Records": batch},
            line,
            named=lambda result: failed_items(result, batch),
            none=set(),
            every={r["messageId"] for r in batch},
        )
        done = [r for r in batch if r["messageId"] not in failed]
        for start in range(0, len(done), MAX_RECEIVE):
            self.client.delete_message_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": r["receiptHandle"]}
                    for i, r in enumerate(done[start : start + MAX_RECEIVE])
                ],
            )
        line.update(
            size=len(batch), failed=len(failed), ms=round((time.monotonic() - started) * 1000, 1)
        )
        self.log(line)
        return len(batch)
