"""The patch book: the one place where the project replaces, wraps or adds members of moto's and
botocore's internals (a debt: each names the version it was written for, and
tests/localcloud/emulator/patches/ fail when upstream changes its shape or fixes its defect).

``book`` lists every patch as a record (``record.Patch``); ``record`` is the only code that puts
a replacement in place; ``botocore_calls`` is the Lambda worker's page (it loads it by path).
docs/local-cloud.md says how to add a patch and what a moto upgrade checks.
"""
