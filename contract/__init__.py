"""The API's contract in machine-readable form: the OpenAPI document, generated from the route
table (``handlers/store/spec/routes.py``) and the JSON Schemas (``handlers/store/spec/schemas.py``).

Not infrastructure and not handler code: nothing here is deployed. ``python -m contract.openapi``
writes ``openapi.json`` at the repository root.
"""
