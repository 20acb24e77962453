#!/usr/bin/env python
"""The cdktf app: one TerraformStack per environment (dev, staging, prod, local), plus the
account-level ``ecommerce-account`` and, once a state bucket is named, ``ecommerce-bootstrap``."""

# The environment must be set before cdktf starts its Node process, hence the late imports.
# pylint: disable=wrong-import-position
import os
import sys

# jsii warns loudly about Node 20 on every run; the project pins the Node it was tested with.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from cdktf import App

from stacks.base.config import ConfigError, load_all
from stacks.base.delivery_config import load_account, load_bootstrap
from stacks.platform.account_stack import AccountStack
from stacks.platform.bootstrap_stack import BootstrapStack
from stacks.store.store_stack import StoreStack


def main() -> int:
    """Synthesize every stack; a bad configuration is one line naming the field."""
    try:
        environ = dict(os.environ)
        configs = load_all(environ)
        account, bootstrap = load_account(environ), load_bootstrap(environ)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    app = App()
    for config in configs:
        StoreStack(app, config)
    AccountStack(app, account)
    if bootstrap is not None:
        BootstrapStack(app, bootstrap)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
