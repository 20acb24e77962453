"""The bootstrap stack: local state, the configured bucket, its outputs, and valid Terraform."""

import json
import shutil
from dataclasses import replace
from pathlib import Path

from cdktf import Testing

from stacks.base.delivery_config import load_bootstrap
from stacks.platform.bootstrap_stack import BootstrapStack


def test_state_is_a_local_file(bootstrap_synth):
    backend = bootstrap_synth.json["terraform"]["backend"]
    assert list(backend) == ["local"]
    assert backend["local"]["path"] == str(Path("state/ecommerce-bootstrap.tfstate").resolve())


def test_bucket_and_region_come_from_the_state_variables(bootstrap_synth):
    assert bootstrap_synth.one("aws_s3_bucket")["bucket"] == "acme-tf-state"
    provider = bootstrap_synth.json["provider"]["aws"][0]
    assert provider["region"] == "us-east-1"
    assert provider["default_tags"] == [
        {"tags": {"project": "ecommerce", "stack": "ecommerce-bootstrap", "managed-by": "cdktf"}}
    ]


def test_outputs(bootstrap_synth):
    assert sorted(bootstrap_synth.json["output"]) == [
        "Region",
        "StateBucketArn",
        "StateBucketName",
        "StateKeyAlias",
        "StateKeyArn",
    ]


def test_protection_is_configuration():
    config = replace(load_bootstrap({"ECOMMERCE_STATE_BUCKET": "b-b-b"}), prevent_destroy=False)
    synth = Testing.synth(BootstrapStack(Testing.app(), config))
    assert '"prevent_destroy": true' not in synth and '"prevent_destroy": false' in synth


def test_valid_terraform():
    assert shutil.which("terraform"), "terraform must be on PATH"
    stack = BootstrapStack(Testing.app(), load_bootstrap({"ECOMMERCE_STATE_BUCKET": "b-b-b"}))
    assert Testing.to_be_valid_terraform(Testing.full_synth(stack))


def test_the_floor_of_kept_versions_is_configuration():
    config = replace(
        load_bootstrap({"ECOMMERCE_STATE_BUCKET": "b-b-b"}), noncurrent_versions_kept=None
    )
    synth = json.loads(Testing.synth(BootstrapStack(Testing.app(), config.validate())))
    [lifecycle] = synth["resource"]["aws_s3_bucket_lifecycle_configuration"].values()
    assert lifecycle["rule"][0]["noncurrent_version_expiration"] == [{"noncurrent_days": 90}]
