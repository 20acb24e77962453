"""The store's specification: routes, request schemas, CORS, table schemas, the functions'
manifest, settings names, the events' names and the contract's errors. Plain data and plain
Python: the stacks and the local cloud read it too, so it imports nothing else of the handlers."""
