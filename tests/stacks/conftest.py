"""Synthesize each environment's stack once for the whole unit suite."""

import atexit
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def _prepare_jsii() -> None:
    """What jsii's Node process keeps from this one's environment, set before cdktf is first
    imported: that import starts the process, which keeps the environment it started with.

    - Terraform pointed at the machine's provider mirror, if it has one (CI has no registry):
      ``Testing.to_be_valid_terraform`` runs ``terraform init`` from there.
    - A temporary folder of this session's own (TMPDIR, for that moment only): ``Testing.app()``
      gives every synth an outdir (``cdktf.outdir.*``) in it and never removes one, so hundreds
      piled up in /tmp. The folder goes when the session ends.
    """
    folder = Path(tempfile.mkdtemp(prefix="ecommerce-tests-jsii-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    mirror = Path(os.environ.get("TF_PLUGIN_MIRROR", "/opt/tf-plugins"))
    if mirror.is_dir():
        rc = folder / "terraformrc"
        rc.write_text(
            f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n'
        )
        os.environ["TF_CLI_CONFIG_FILE"] = str(rc)
    saved = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(folder)
    try:
        import cdktf  # noqa: F401, PLC0415  # pylint: disable=import-outside-toplevel,unused-import
    finally:
        if saved is None:
            del os.environ["TMPDIR"]
        else:
            os.environ["TMPDIR"] = saved


_prepare_jsii()

# pylint: disable=wrong-import-position
from cdktf import Testing  # noqa: E402

from stacks.base.config import ENVIRONMENTS, load  # noqa: E402
from stacks.base.delivery_config import load_account, load_bootstrap  # noqa: E402

# pylint: enable=wrong-import-position
# The stacks (and with them the AWS provider's bindings, the most of this import's CPU) are
# imported where a fixture first builds one: pytest imports this file in xdist's controller too,
# which runs no test.
# pylint: disable=import-outside-toplevel

# What a team sets once it adopts the delivery stacks (see docs/delivery.md).
DELIVERY_ENV = {
    "ECOMMERCE_STATE_BUCKET": "acme-tf-state",
    "ECOMMERCE_GITHUB_REPOSITORY": "acme/store-api",
}


class Synth:
    """One synthesized stack, with lookups by resource type."""

    def __init__(self, stack):
        self.stack = stack
        self.config = stack.config
        self.json = json.loads(Testing.synth(stack))

    def resources(self, kind: str) -> dict[str, dict]:
        """Every resource of one Terraform type, by its logical id."""
        return self.json.get("resource", {}).get(kind, {})

    def one(self, kind: str, contains: str = "") -> dict:
        """The single resource of ``kind`` whose id contains ``contains``."""
        found = [v for k, v in self.resources(kind).items() if contains in k]
        assert len(found) == 1, f"{len(found)} {kind} matching {contains!r}"
        return found[0]


class Synths(Mapping):
    """Every environment's ``Synth`` by name, each synthesized once, when first asked for: a
    test module (or a worker of ``pytest -n``) that reads only ``local`` builds only that."""

    def __init__(self):
        self._built: dict[str, Synth] = {}

    def __getitem__(self, name: str) -> Synth:
        if name not in ENVIRONMENTS:
            raise KeyError(name)
        if name not in self._built:
            from stacks.store.store_stack import StoreStack  # noqa: PLC0415

            self._built[name] = Synth(StoreStack(Testing.app(), load(name, {})))
        return self._built[name]

    def __iter__(self):
        return iter(ENVIRONMENTS)

    def __len__(self) -> int:
        return len(ENVIRONMENTS)


@pytest.fixture(scope="session")
def synths() -> Synths:
    """Every environment, synthesized once (with no overrides from this machine's environment)."""
    return Synths()


@pytest.fixture(scope="session", params=ENVIRONMENTS)
def env(request, synths) -> Synth:
    """Each environment in turn."""
    return synths[request.param]


@pytest.fixture(scope="session")
def account_synth() -> Synth:
    """The account stack with CI configured, synthesized once."""
    from stacks.platform.account_stack import AccountStack  # noqa: PLC0415

    return Synth(AccountStack(Testing.app(), load_account(DELIVERY_ENV)))


@pytest.fixture(scope="session")
def bootstrap_synth() -> Synth:
    """The bootstrap stack, synthesized once."""
    from stacks.platform.bootstrap_stack import BootstrapStack  # noqa: PLC0415

    return Synth(BootstrapStack(Testing.app(), load_bootstrap(DELIVERY_ENV)))
