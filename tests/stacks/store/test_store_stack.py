"""The stack: outputs, provider tags, state backends, and terraform validate per environment."""

import io
import json
import shutil
from contextlib import redirect_stdout

import pytest
from cdktf import Testing

from stacks.base.config import load
from stacks.store.store_stack import StoreStack
from tests.integration.outputs import REQUIRED

# The outputs docs/operations.md lists, which the integration suite also requires.
OUTPUTS = REQUIRED


def test_outputs_have_exactly_the_design_names(env):
    assert sorted(env.json["output"]) == sorted(OUTPUTS)
    assert env.json["output"]["Environment"]["value"] == env.config.name
    assert env.json["output"]["Region"]["value"] == env.config.region
    assert "invoke_url" in env.json["output"]["ApiGatewayUrl"]["value"]


def test_default_tags_on_provider(env):
    provider = env.json["provider"]["aws"][0]
    assert provider["default_tags"] == [{"tags": env.config.tags}]
    assert provider["region"] == env.config.region


def test_resource_names_are_prefixed(env):
    named = [
        *(t["name"] for t in env.resources("aws_dynamodb_table").values()),
        *(f["function_name"] for f in env.resources("aws_lambda_function").values()),
        *(r["name"] for r in env.resources("aws_iam_role").values()),
        *(a["alarm_name"] for a in env.resources("aws_cloudwatch_metric_alarm").values()),
    ]
    assert named and all(n.startswith(f"ecommerce-{env.config.name}-") for n in named)


def test_local_state_is_a_throwaway_file_of_its_own(synths):
    backend = synths["local"].json["terraform"]["backend"]["local"]
    assert backend["path"].endswith(".localcloud/state/terraform.tfstate")
    for name in ("dev", "staging", "prod"):
        assert "backend" not in synths[name].json["terraform"]


def test_s3_backend_with_locking_when_a_bucket_is_configured():
    config = load("prod", {"ECOMMERCE_STATE_BUCKET": "team-state"})
    synth = json.loads(Testing.synth(StoreStack(Testing.app(), config)))
    backend = synth["terraform"]["backend"]["s3"]
    assert backend == {
        "bucket": "team-state",
        "key": "ecommerce-prod/terraform.tfstate",
        "region": "us-east-1",
        "encrypt": True,
        "kms_key_id": "alias/ecommerce-terraform-state",
        "use_lockfile": True,
    }


def test_fallback_to_local_state_is_announced():
    out = io.StringIO()
    with redirect_stdout(out):
        StoreStack(Testing.app(), load("staging", {}))
    assert "no ECOMMERCE_STATE_BUCKET set" in out.getvalue()


def test_resource_counts(synths):
    counts = {
        name: sum(len(v) for v in synth.json["resource"].values()) for name, synth in synths.items()
    }
    # staging: auto scaling of 3 tables and 4 indexes, read and write (a target and a policy
    # each), which dev (on demand) and local (fixed) lack; prod: a third zone besides.
    assert counts["staging"] == counts["dev"] + (3 + 4) * 2 * 2
    assert counts["prod"] > counts["staging"]
    assert counts["dev"] == counts["local"]
    # What the local cloud's deploy reports ("deployed 256 resources", the README's sample): a
    # resource the synth gains or loses is a change to say there too.
    assert counts["local"] == 256


@pytest.mark.parametrize("name", ["dev", "staging", "prod", "local"])
def test_valid_terraform(name):
    """terraform init + validate (the unit conftest points Terraform at the provider mirror)."""
    assert shutil.which("terraform"), "terraform must be on PATH"
    stack = StoreStack(Testing.app(), load(name, {}))
    assert Testing.to_be_valid_terraform(Testing.full_synth(stack))
