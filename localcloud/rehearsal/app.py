"""The cdktf app of a rehearsal: ``ecommerce-bootstrap``, ``ecommerce-account`` (with the
repository the environment names) and ``ecommerce-dev``, configured for the emulator.

What differs from AWS is configuration of this run, not code, and each difference is one the
emulator forces (docs/delivery.md lists them):

- the bootstrap's bucket may be destroyed and keeps no floor of old state versions (moto drops
  the lifecycle rule's ``NewerNoncurrentVersions``; the provider then waits for it until it times
  out), and its state is a file of the run;
- the account stack's state is a file of the run (the operator's setup, not the pipeline's);
- dev runs without the public Powertools layer (the emulator holds none of AWS's layers) and
  without DynamoDB auto scaling (moto has no Application Auto Scaling tagging API), and ignores
  the security group rules' descriptions the emulator forgets. The account stack is the real one
  (its CI roles are written for dev as AWS runs it: the layer's read grant goes unused).

Everything else is the pipeline's: dev's state is in the bootstrap's bucket (S3 backend), its
roles carry the account stack's permissions boundary.

Environment: ``REHEARSAL_STATE_DIR`` (the local state files), ``ECOMMERCE_STATE_BUCKET``,
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

from stacks.base.config import EnvironmentConfig, StateBackend, load
from stacks.base.delivery_config import AccountConfig, BootstrapConfig, load_account, load_bootstrap
from stacks.platform.account_stack import AccountStack
from stacks.platform.bootstrap_stack import BootstrapStack
from stacks.store.store_stack import StoreStack

ENVIRONMENT = "dev"
"""The environment the rehearsal deploys: the one main.yml deploys and tests first."""


def on_emulator(config: EnvironmentConfig) -> EnvironmentConfig:
    """``config`` as the emulator can hold it (see the module docstring)."""
    return replace(
        config, powertools_layer_arn=None, autoscaling=None, ignore_rule_description_drift=True
    )


def configs(
    environ: dict[str, str], state_dir: Path
) -> tuple[BootstrapConfig, AccountConfig, EnvironmentConfig]:
    """The three stacks' configurations for a rehearsal."""
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
    return bootstrap.validate(), account.validate(), on_emulator(load(ENVIRONMENT, environ))


def main() -> None:
    """Synthesize the three stacks with the rehearsal's configuration."""
    bootstrap, account, environment = configs(
        dict(os.environ), Path(os.environ["REHEARSAL_STATE_DIR"])
    )
    app = App()
    BootstrapStack(app, bootstrap)
    AccountStack(app, account)
    StoreStack(app, environment.validate())
    app.synth()


if __name__ == "__main__":
    main()
