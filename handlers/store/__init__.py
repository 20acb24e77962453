"""Code shared by the store's Lambda functions.

Modules without third-party imports (``settings``, ``tables``, ``schemas``, ``routes``,
``manifest``) are also read by the infrastructure code in ``stacks/`` so that table schemas,
environment variable names, request schemas and IAM grants live in exactly one place.
"""
