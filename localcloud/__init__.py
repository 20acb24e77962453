"""The local cloud: the project's ``ecommerce-local`` stack deployed by the real ``cdktf deploy``
onto an embedded AWS emulator (moto's server), and the deployed REST API served over HTTP.

Usage (from the repository, inside ``pipenv run`` or the project's virtualenv):

- ``python -m localcloud``: start the emulator on a free loopback port, point Terraform at a
  provider mirror when its registry is unreachable, deploy, write ``cfn-outputs/``, serve the
  API on http://127.0.0.1:3000/local/ until Ctrl-C, then destroy, stop and clean up.
- ``python -m localcloud --down`` (another shell): the same teardown, and wait for it.
- ``python -m localcloud --wait``: for a runner started in the background (``--port 0`` picks a
  free port), wait until it serves and print the API URL; exit 1 with its error if it failed.
- ``python -m localcloud user add EMAIL [--admin]`` / ``python -m localcloud token EMAIL``: a user
  of the running local cloud's user pool, and a fresh ID token for them
  (``localcloud.tools.users``).
- ``python -m localcloud.gateway --endpoint-url URL``: only serve an API already deployed.

While it serves, ``.localcloud/ready.json`` holds the URLs, outputs paths and timings, and
``.localcloud/env`` the shell exports (emulator endpoint, the administrator's credentials,
Terraform CLI configuration, ``API_BASE_URL``) to run ``terraform plan`` or tests against it.
"""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The repository that holds this package, cdktf.json and the stacks."""

WORK_DIR_NAME = ".localcloud"
"""Throwaway folder of the project for the local cloud's state, logs and extracted code."""
