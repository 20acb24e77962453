"""The outputs loader: three formats, and clear failures (no deployment needed)."""

import json

import pytest

from tests.integration.outputs import REQUIRED, OutputsError, load, parse

FLAT = {key: f"value-{key}" for key in REQUIRED}


def test_cdktf_format_with_one_stack():
    assert parse({"ecommerce-local": FLAT}) == FLAT


def test_cdktf_format_picks_the_named_stack():
    other = FLAT | {"Environment": "dev"}
    assert parse({"ecommerce-local": FLAT, "ecommerce-dev": other}, "ecommerce-dev") == other


def test_cdktf_format_with_several_stacks_needs_a_name():
    with pytest.raises(OutputsError, match="set STACK"):
        parse({"ecommerce-local": FLAT, "ecommerce-dev": FLAT})


def test_unknown_stack():
    with pytest.raises(OutputsError, match="'ecommerce-qa' is not in the outputs file"):
        parse({"ecommerce-local": FLAT}, "ecommerce-qa")


def test_flat_format():
    assert parse(FLAT) == FLAT


def test_terraform_output_json_format():
    data = {
        key: {"value": value, "type": "string", "sensitive": False} for key, value in FLAT.items()
    }
    data["PublicSubnetIds"] = {"value": ["subnet-1", "subnet-2"], "type": ["list", "string"]}
    assert parse(data)["PublicSubnetIds"] == ["subnet-1", "subnet-2"]
    assert parse(data)["VpcId"] == "value-VpcId"


@pytest.mark.parametrize("data", [[], {}, "text"])
def test_not_an_object(data):
    with pytest.raises(OutputsError, match="does not hold a JSON object"):
        parse(data)


def test_missing_file(tmp_path):
    with pytest.raises(OutputsError, match=r"no outputs file at .*deploy first"):
        load(tmp_path / "nope.json")


def test_not_json(tmp_path):
    path = tmp_path / "outputs.json"
    path.write_text("{")
    with pytest.raises(OutputsError, match="is not JSON"):
        load(path)


def test_missing_key_is_named(tmp_path):
    path = tmp_path / "outputs.json"
    path.write_text(
        json.dumps({"ecommerce-local": {k: v for k, v in FLAT.items() if k != "VpcId"}})
    )
    with pytest.raises(OutputsError, match="lacks outputs: VpcId"):
        load(path)
