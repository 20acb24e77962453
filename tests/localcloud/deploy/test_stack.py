"""What a Terraform state file still holds after a destroy (``resources_in_state``): the check
behind ``--destroy`` and the rehearsal's teardown of the delivery stacks."""

import json

from localcloud.deploy.stack import resources_in_state


def _state(tmp_path, resources) -> object:
    path = tmp_path / "s.tfstate"
    path.write_text(json.dumps({"version": 4, "resources": resources}), encoding="utf-8")
    return path


def test_a_resource_or_data_source_with_instances_is_named(tmp_path):
    state = _state(
        tmp_path,
        [
            {"mode": "managed", "type": "aws_s3_bucket", "name": "state", "instances": [{}]},
            {"mode": "data", "type": "aws_region", "name": "current", "instances": [{}]},
        ],
    )
    assert resources_in_state(state) == ["aws_s3_bucket.state", "data.aws_region.current"]


def test_an_entry_without_instances_holds_nothing(tmp_path):
    # Terraform keeps a resource's entry with no instances when all of them are gone.
    state = _state(
        tmp_path, [{"mode": "managed", "type": "aws_s3_bucket", "name": "state", "instances": []}]
    )
    assert resources_in_state(state) == []


def test_a_destroyed_stacks_state_holds_nothing(tmp_path):
    assert resources_in_state(_state(tmp_path, [])) == []


def test_a_state_that_cannot_be_read_counts_as_one_left(tmp_path):
    broken = tmp_path / "s.tfstate"
    broken.write_text("{not json", encoding="utf-8")
    missing = tmp_path / "missing.tfstate"
    for path in (broken, missing):
        [left] = resources_in_state(path)
        assert left.startswith("(unreadable state: ")
