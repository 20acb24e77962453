"""The cdktf app of the delivery stacks' emulator test: ``ecommerce-bootstrap`` and
``ecommerce-account`` alone, configured for a throwaway run on the local cloud's emulator.

What differs from AWS is configuration of this run, not code: the bucket may be destroyed
(``prevent_destroy`` off); no floor of old state versions kept (moto drops the lifecycle rule's
``NewerNoncurrentVersions``, and the provider then waits for it until it times out); and the
account stack keeps a local state file, since the S3 backend would need the emulator's endpoint
and path-style addressing in its configuration.

Environment: ``DELIVERY_STATE_DIR`` (state files), ``ECOMMERCE_STATE_BUCKET``,
``ECOMMERCE_GITHUB_REPOSITORY``; cdktf passes the output folder in ``CDKTF_OUTDIR``.
"""

import os
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

# pylint: disable=wrong-import-position
from cdktf import App

from stacks.base.config import StateBackend
from stacks.base.delivery_config import load_account, load_bootstrap
from stacks.platform.account_stack import AccountStack
from stacks.platform.bootstrap_stack import BootstrapStack


def main() -> None:
    """Synthesize the two stacks with the emulator run's configuration."""
    environ = dict(os.environ)
    state_dir = Path(environ["DELIVERY_STATE_DIR"])
    bootstrap = replace(
        load_bootstrap(environ),
        prevent_destroy=False,
        noncurrent_versions_kept=None,
        state_path=str(state_dir / "ecommerce-bootstrap.tfstate"),
    )
    account = replace(
        load_account(environ),
        state=StateBackend(local_path=str(state_dir / "ecommerce-account.tfstate")),
    )
    app = App()
    BootstrapStack(app, bootstrap.validate())
    AccountStack(app, account.validate())
    app.synth()


if __name__ == "__main__":
    main()
