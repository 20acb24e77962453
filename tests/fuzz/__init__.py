"""The schemathesis gate: fuzz a running API against ``openapi.json`` (``python -m tests.fuzz``)."""
