"""What every stack shares (stacks/base/aws_stack.py): each output says what it is."""

import pytest


@pytest.fixture(name="every_stack", scope="module")
def every_stack_fixture(synths, account_synth, bootstrap_synth):
    """Every stack main.py builds, synthesized (the account stack with CI roles)."""
    return {
        **{synth.stack.node.id: synth for synth in synths.values()},
        "ecommerce-account": account_synth,
        "ecommerce-bootstrap": bootstrap_synth,
    }


def test_every_output_of_every_stack_has_a_description(every_stack):
    assert len(every_stack) == 6
    for stack, synth in every_stack.items():
        outputs = synth.json["output"]
        assert outputs, stack
        for name, output in outputs.items():
            description = output.get("description", "")
            assert description.strip() and description != name, (stack, name)
            assert description.endswith("."), (stack, name)


def test_descriptions_tell_the_outputs_of_a_stack_apart(every_stack):
    for stack, synth in every_stack.items():
        descriptions = [output["description"] for output in synth.json["output"].values()]
        assert len(set(descriptions)) == len(descriptions), stack
