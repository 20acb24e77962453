"""What feeds the event functions: the tables' change streams and the queues."""

from collections.abc import Mapping
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable
from cdktf_cdktf_provider_aws.lambda_event_source_mapping import (
    LambdaEventSourceMapping,
    LambdaEventSourceMappingDestinationConfig,
    LambdaEventSourceMappingDestinationConfigOnFailure,
)
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from constructs import Construct

from handlers.store.spec import manifest
from stacks.base.config import Events as EventsConfig
from stacks.store.events import QUEUE_OF, STREAMED_TABLES

# Every mapping reports which records of a batch failed, so only those are retried.
BATCH_ITEM_FAILURES = ["ReportBatchItemFailures"]


@dataclass(frozen=True)
class EventSourcesProps:
    """Inputs of ``EventSources``."""

    config: EventsConfig
    functions: Mapping[str, LambdaFunction]
    tables: Mapping[str, DynamodbTable]
    queues: Mapping[str, SqsQueue]
    # The queue a stream's record goes to when the publisher has failed it every time.
    stream_failure_queue_arn: str
    specs: tuple[manifest.FunctionSpec, ...] = manifest.EVENTS


class EventSources(Construct):
    """One event source mapping per stream and queue the manifest's event functions read (a
    ``TABLE_STREAMS`` grant: the streams of ``STREAMED_TABLES``; ``OWN_QUEUE``: its queue).

    Every mapping reports batch item failures (Powertools' batch utility answers with them), and
    takes the configured batch size and window. A stream mapping starts at the latest record,
    splits a failing batch in two to find the bad record, retries it ``max_receive_count`` times
    (as SQS redelivers a queue's message) and then sends its description to the publisher's
    dead-letter queue, so that one bad record never blocks its shard. A queue mapping leaves a
    failed message to the queue's visibility timeout and redrive policy.
    """

    def __init__(self, scope: Construct, construct_id: str, props: EventSourcesProps):
        super().__init__(scope, construct_id)
        self.mappings: dict[str, LambdaEventSourceMapping] = {}
        config = props.config
        for spec in props.specs:
            function = props.functions[spec.name]
            reads = {access.resource for access in spec.access}
            for table in STREAMED_TABLES if manifest.TABLE_STREAMS in reads else ():
                self.mappings[f"{table.name}-stream"] = LambdaEventSourceMapping(
                    self,
                    f"{table.name}-stream",
                    event_source_arn=props.tables[table.name].stream_arn,
                    function_name=function.arn,
                    starting_position="LATEST",
                    batch_size=config.batch_size,
                    maximum_batching_window_in_seconds=config.batch_window_seconds,
                    function_response_types=BATCH_ITEM_FAILURES,
                    bisect_batch_on_function_error=True,
                    maximum_retry_attempts=config.max_receive_count,
                    destination_config=LambdaEventSourceMappingDestinationConfig(
                        on_failure=LambdaEventSourceMappingDestinationConfigOnFailure(
                            destination_arn=props.stream_failure_queue_arn
                        )
                    ),
                )
            if manifest.OWN_QUEUE in reads:
                queue = QUEUE_OF[spec.name]
                self.mappings[f"{queue}-queue"] = LambdaEventSourceMapping(
                    self,
                    f"{queue}-queue",
                    event_source_arn=props.queues[queue].arn,
                    function_name=function.arn,
                    batch_size=config.batch_size,
                    maximum_batching_window_in_seconds=config.batch_window_seconds,
                    function_response_types=BATCH_ITEM_FAILURES,
                )
