"""Code shared by the store's Lambda functions, in layers (imports only downward):

- ``spec``: routes, schemas, table schemas, settings, the manifest, errors. Plain data, also read
  by ``stacks/`` and ``localcloud/``, so the schema of everything lives in exactly one place.
- ``runtime``: logging, tracing and the clock; ``domain``: the order rules (beside the runtime,
  neither imports the other).
- ``http`` (the API's request layer) and ``data`` (DynamoDB access).
"""
