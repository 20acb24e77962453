"""A DynamoDB stream event source mapping, run as Lambda's poller runs it.

The poller reads the stream's shard from the mapping's starting position, up to the batch size
(within the batching window), and invokes the function with the records in order. A batch that
fails is retried, whole, before anything after it, so the records of one item stay in order:

- with ``ReportBatchItemFailures``, from the failed record with the lowest sequence number (the
  records before it are done); an answer naming a record not in the batch fails all of it;
- with ``BisectBatchOnFunctionError``, split in two halves, each retried on its own (a split
  does not count as a retry, as in Lambda), until the failing record is alone;
- after ``MaximumRetryAttempts`` retries, the batch is skipped and its description sent to the
  on-failure destination (SQS or SNS), signed as the function's role, in Lambda's shape.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import datetime

from localcloud.emulator.clock import iso
from localcloud.triggers.batches import BatchPoller
from localcloud.triggers.queues import queue_url
from localcloud.triggers.sources import Mapping


def _plain(value, offset_s: float):
    """``value`` as it travels in Lambda's JSON event (times in seconds on the local clock)."""
    if isinstance(value, dict):
        return {k: _plain(v, offset_s) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, offset_s) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):
        return int(value.timestamp() + offset_s)
    return value


def record(raw: dict, arn: str, region: str, offset_s: float) -> dict:
    """One stream record as Lambda hands it to the function."""
    shown = _plain(raw, offset_s)
    shown["eventSourceARN"] = arn
    shown["awsRegion"] = region
    return shown


def first_failed(result: object, batch: list[dict]) -> int | None:
    """The index in ``batch`` of the first record ``result`` reports failed: ``len(batch)`` when
    none, None when it names something not in the batch (all of it failed)."""
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return len(batch)
    failures = result["batchItemFailures"]
    numbers = [r["dynamodb"]["SequenceNumber"] for r in batch]
    found = []
    for failure in failures if isinstance(failures, list) else [None]:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if identifier not in numbers:
            return None
        found.append(numbers.index(identifier))
    return min(found)


def batch_info(mapping: Mapping, batch: list[dict], attempts: int) -> dict:
    """What Lambda sends to an on-failure destination for a stream batch it gave up on."""
    times = [r["dynamodb"].get("ApproximateCreationDateTime", 0) for r in batch]
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": mapping.function_arn or mapping.function_name,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": attempts,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "version": "1.0",
        "timestamp": iso(time.time()),
        "DDBStreamBatchInfo": {
            "shardId": batch[0].get("localcloudShardId", ""),
            "startSequenceNumber": batch[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": batch[-1]["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": iso(min(times)),
            "approximateArrivalOfLastRecord": iso(max(times)),
            "batchSize": len(batch),
            "streamArn": mapping.source_arn,
        },
    }


class StreamPoller(BatchPoller):  # pylint: disable=too-many-instance-attributes
    """Runs ``mapping`` (a DynamoDB stream one) with ``invoker``, reading the stream with
    ``streams``; ``offset_s()``: the local clock's offset; ``log``: a JSON-line writer."""

    ITEM = "record"

    def __init__(  # pylint: disable=too-many-arguments
        self,
        mapping: Mapping,
        streams,
        invoker,
        *,
        region: str,
        log: Callable[[dict], None],
        offset_s: Callable[[], float] = lambda: 0.0,
    ):
        super().__init__(mapping, streams, invoker, region=region, log=log)
        self.offset_s = offset_s
        self.iterator: str | None = None
        self.shard_id = ""
        self.gathering: list[dict] = []
        self.gathering_since = 0.0
        self.pending: deque[list[dict]] = deque()
        """Batches read and not done yet, the first one next (retries and halves first)."""
        self.attempts = 0
        """Failed attempts of ``pending[0]``."""

    def _read(self, count: int) -> list[dict]:
        if self.iterator is None:
            shards = self.client.describe_stream(StreamArn=self.mapping.source_arn)[
                "StreamDescription"
            ]["Shards"]
            self.shard_id = shards[-1]["ShardId"]
            self.iterator = self.client.get_shard_iterator(
                StreamArn=self.mapping.source_arn,
                ShardId=self.shard_id,
                ShardIteratorType=self.mapping.starting_position,
            )["ShardIterator"]
        answer = self.client.get_records(ShardIterator=self.iterator, Limit=count)
        self.iterator = answer.get("NextShardIterator") or self.iterator
        offset = self.offset_s() if answer.get("Records") else 0.0
        return [
            {
                **record(r, self.mapping.source_arn, self.region, offset),
                "localcloudShardId": self.shard_id,
            }
            for r in answer.get("Records", [])
        ]

    def _next_batch(self) -> list[dict] | None:
        """The batch to run now: a pending one, or a new one once full or its window is over."""
        if self.pending:
            return self.pending[0]
        size = self.mapping.batch_size
        fresh = self._read(size - len(self.gathering))
        if fresh and not self.gathering:
            self.gathering_since = time.monotonic()
        self.gathering.extend(fresh)
        if not self.gathering:
            return None
        waited = time.monotonic() - self.gathering_since
        if len(self.gathering) < size and waited < self.mapping.window_s:
            return None
        self.pending.append(self.gathering)
        self.gathering = []
        return self.pending[0]

    def poll_once(self) -> int:
        """Run one batch (new or retried); how many records it finished (0 when it failed: its
        retry waits for the next tick, as Lambda backs off)."""
        batch = self._next_batch()
        if batch is None:
            return 0
        started = time.monotonic()
        line = {
            "event": "batch",
            "function": self.mapping.function_name,
            "source": self.mapping.source_arn,
        }
        event = {
            "Records": [{k: v for k, v in r.items() if k != "localcloudShardId"} for r in batch]
        }
        failed_at = self.outcome(
            event, line, named=lambda result: first_failed(result, batch), none=len(batch), every=0
        )
        line.update(size=len(batch), failed=len(batch) - failed_at)
        line["ms"] = round((time.monotonic() - started) * 1000, 1)
        self.log(line)
        if failed_at == len(batch):
            self.pending.popleft()
            self.attempts = 0
            return len(batch)
        self._failed(batch[failed_at:])
        return 0

    def _failed(self, rest: list[dict]) -> None:
        """``rest`` (the failed part of ``pending[0]``) bisected, retried or given up on."""
        self.pending[0] = rest
        if self.mapping.bisect_on_error and len(rest) > 1:
            half = len(rest) // 2
            self.pending.popleft()
            self.pending.extendleft([rest[half:], rest[:half]])
            return
        self.attempts += 1
        limit = self.mapping.max_retry_attempts
        if limit < 0 or self.attempts <= limit:
            return
        self.pending.popleft()
        info = batch_info(self.mapping, rest, self.attempts)
        self.attempts = 0
        self.log(
            {
                "event": "batch-discarded",
                "function": self.mapping.function_name,
                **info["DDBStreamBatchInfo"],
            }
        )
        self._send_to_destination(info)

    def _send_to_destination(self, info: dict) -> None:
        arn = self.mapping.on_failure_arn
        if not arn:
            return
        service = arn.split(":")[2]
        client = self.invoker.client(self.mapping.function_name, service)
        body = json.dumps(info)
        if service == "sqs":
            client.send_message(QueueUrl=queue_url(client, arn), MessageBody=body)
        elif service == "sns":
            client.publish(TopicArn=arn, Message=body)
