"""What makes the deployed functions run without an API request: the event source mappings
(SQS queues, DynamoDB streams) and the EventBridge Scheduler schedules that the stack deployed.

moto stores all of them and runs none (``localcloud.moto_fixes`` stops its own attempt). The
runner starts ``Triggers`` beside the gateway: it reads them back from the emulator
(``sources``), polls each queue (``queues``) and stream (``streams``) as Lambda's pollers do,
with each mapping's batch size, window and failure handling, and fires each schedule on the local
clock (``schedules``). The functions run in warm workers, as behind the API (``invoker``).
"""
