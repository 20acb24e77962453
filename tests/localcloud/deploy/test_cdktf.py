"""cdktf's output read by the deployer (localcloud/deploy/cdktf.py): Terraform's error among
cdktf's decorated lines, and the outputs file flattened to one stack's."""

import json

import pytest

from localcloud.base.errors import LocalCloudError
from localcloud.deploy.cdktf import flatten_outputs, terraform_error


def test_terraform_error_from_cdktf_output():
    lines = [
        "ecommerce-local  \x1b[31m╷\x1b[0m",
        "                 \x1b[31m│\x1b[0m \x1b[31mError: \x1b[0m\x1b[1mcreating KMS Key: boom",
        "                 \x1b[31m│\x1b[0m ",
        "                 \x1b[31m│\x1b[0m   with aws_kms_key.key,",
    ]
    assert terraform_error(lines) == "creating KMS Key: boom"
    assert terraform_error(["something else went wrong"]) == "something else went wrong"


def test_flatten_outputs(tmp_path):
    all_outputs = tmp_path / "all.json"
    all_outputs.write_text(json.dumps({"s": {"A": "1", "B": ["x"]}}))
    flat = tmp_path / "flat.json"
    assert flatten_outputs(all_outputs, flat, "s") == {"A": "1", "B": ["x"]}
    assert json.loads(flat.read_text()) == {"A": "1", "B": ["x"]}
    with pytest.raises(LocalCloudError, match="no outputs for other"):
        flatten_outputs(all_outputs, flat, "other")
