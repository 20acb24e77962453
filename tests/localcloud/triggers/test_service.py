"""``Triggers`` end to end on the emulator: a deployed mapping run by a real warm worker, which
reads the local clock at each invocation, and a mapping deployed later picked up by itself."""

from __future__ import annotations

import io
import json

from localcloud.emulator.clock import ClockClient
from localcloud.lambdas.code_store import CodeStore
from localcloud.triggers.service import Intervals, Triggers
from tests.localcloud.triggers.conftest import REGION
from tests.waiting import wait_for

CLOCK_CHECK = """
import os

def handler(event, context):
    seen = os.environ.get("STORE_CLOCK_OFFSET_SECONDS")
    wrong = [r for r in event["Records"] if float(r["body"]) != float(seen)]
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in wrong]}
"""


class Lines(io.StringIO):
    """The triggers' log, read as JSON lines."""

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.getvalue().splitlines()]


def test_a_mapping_runs_in_a_warm_worker_that_sees_the_local_clock(clients, emulator, tmp_path):
    function = clients.function(CLOCK_CHECK)
    (tmp_path / "fn.zip").write_bytes(function["code"])
    queue = clients.queue(visibility_s=30)
    log = Lines()
    triggers = Triggers(
        emulator.url,
        REGION,
        CodeStore([tmp_path], tmp_path / "functions"),
        log_stream=log,
        intervals=Intervals(poll=0.1, refresh=0.2),
    )
    try:
        triggers.start()
        clients.lambda_.create_event_source_mapping(  # after the start: picked up by a refresh
            EventSourceArn=queue["arn"],
            FunctionName=function["name"],
            BatchSize=1,
            FunctionResponseTypes=["ReportBatchItemFailures"],
        )
        offset = ClockClient(emulator.url).advance(7200)["offsetSeconds"]
        clients.sqs.send_message(QueueUrl=queue["url"], MessageBody=str(offset))

        def ran():
            return [
                line
                for line in log.records()
                if line.get("event") == "batch" and line["function"] == function["name"]
            ]

        (batch,) = wait_for(ran, timeout=60)
        assert batch["failed"] == 0 and batch["size"] == 1, json.dumps(batch)
        assert clients.visible(queue["url"]) == 0
        # Moved again: the same warm worker, now reading the emulator's offset file, sees it too.
        offset = ClockClient(emulator.url).advance(60)["offsetSeconds"]
        clients.sqs.send_message(QueueUrl=queue["url"], MessageBody=str(offset))
        _, second = wait_for(lambda: ran()[1:] and ran(), timeout=60)
        assert second["failed"] == 0 and second["size"] == 1, json.dumps(second)
    finally:
        triggers.close()
