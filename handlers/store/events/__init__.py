"""What the events' functions share: the change-stream record -> event mapping (``stream``) and
the queue consumers' batch handling, parsing, version check and idempotency (``consumer``)."""
