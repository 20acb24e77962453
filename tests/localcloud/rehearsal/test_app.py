"""The rehearsal's app configuration: the real stacks, with only what the emulator forces."""

from dataclasses import replace
from pathlib import Path

from localcloud.rehearsal.app import configs
from stacks.base.config import StateBackend, load
from stacks.base.delivery_config import load_account

ENV = {"ECOMMERCE_STATE_BUCKET": "rehearsal-state", "ECOMMERCE_GITHUB_REPOSITORY": "acme/store-api"}


def test_dev_differs_from_awss_only_where_the_emulator_forces_it(tmp_path):
    _, _, dev = configs(ENV, tmp_path)
    real = load("dev", ENV)
    assert dev == replace(
        real, powertools_layer_arn=None, autoscaling=None, ignore_rule_description_drift=True
    )
    # Its state in the bootstrap's bucket, its roles under the account stack's boundary.
    assert dev.state == StateBackend(bucket="rehearsal-state")
    assert dev.permissions_boundary == "ecommerce-dev-role-boundary"


def test_the_account_stack_is_the_real_one_with_its_state_in_the_run(tmp_path):
    bootstrap, account, _ = configs(ENV, tmp_path)
    assert account == replace(
        load_account(ENV),
        state=StateBackend(local_path=str(tmp_path / "ecommerce-account.tfstate")),
    )
    assert bootstrap.bucket == "rehearsal-state"
    assert (bootstrap.prevent_destroy, bootstrap.noncurrent_versions_kept) == (False, None)
    assert Path(bootstrap.state_path) == tmp_path / "ecommerce-bootstrap.tfstate"
