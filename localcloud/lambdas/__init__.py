"""The local Lambda service: deployed functions run in warm worker processes on the Lambda
runtime's Python, with the functions' own faults."""
