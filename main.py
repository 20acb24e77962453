#!/usr/bin/env python
"""The cdktf app: one TerraformStack per environment (dev, staging, prod, local), plus the
account-level ``ecommerce-account`` and, once a state bucket is named, ``ecommerce-bootstrap``.

The stacks are built lazily: only those ``ECOMMERCE_STACKS`` names (``stacks.base.selection``;
the local cloud names the stack it deploys), every one when it is unset, as ``cdktf synth``
needs.
"""

# The environment must be set before cdktf starts its Node process, hence the late imports.
# pylint: disable=wrong-import-position
import os
import sys

# jsii warns loudly about Node 20 on every run; the project pins the Node it was tested with.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from cdktf import App

from stacks.base.config import ConfigError, load_all
from stacks.base.delivery_config import ACCOUNT_STACK, BOOTSTRAP_STACK, load_account, load_bootstrap
from stacks.base.selection import UnknownStack, chosen
from stacks.platform.account_stack import AccountStack
from stacks.platform.bootstrap_stack import BootstrapStack
from stacks.store.store_stack import StoreStack


def main() -> int:
    """Synthesize the stacks asked for; a bad configuration is one line naming the field."""
    try:
        environ = dict(os.environ)
        configs = load_all(environ)
        account, bootstrap = load_account(environ), load_bootstrap(environ)
        builders = {config.stack_name: (StoreStack, config) for config in configs}
        builders[ACCOUNT_STACK] = (AccountStack, account)
        if bootstrap is not None:
            builders[BOOTSTRAP_STACK] = (BootstrapStack, bootstrap)
        names = chosen(list(builders), environ)
    except (ConfigError, UnknownStack) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    app = App()
    for name in names:
        build, config = builders[name]
        build(app, config)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
