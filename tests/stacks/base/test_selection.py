"""ECOMMERCE_STACKS: the stacks a run of the app builds."""

import pytest

from stacks.base.selection import UnknownStack, chosen

DEFINED = ("ecommerce-dev", "ecommerce-local", "ecommerce-account")


@pytest.mark.parametrize("value", [None, "", " ", "all", ","])
def test_every_stack_when_unset_empty_or_all(value):
    env = {} if value is None else {"ECOMMERCE_STACKS": value}
    assert chosen(DEFINED, env) == list(DEFINED)


def test_the_stacks_named_in_the_apps_order():
    env = {"ECOMMERCE_STACKS": " ecommerce-account,ecommerce-dev "}
    assert chosen(DEFINED, env) == ["ecommerce-dev", "ecommerce-account"]
    assert chosen(DEFINED, {"ECOMMERCE_STACKS": "ecommerce-local"}) == ["ecommerce-local"]


def test_a_stack_not_defined_is_refused_naming_the_variable_and_the_stack():
    with pytest.raises(UnknownStack) as refused:
        chosen(DEFINED, {"ECOMMERCE_STACKS": "ecommerce-local,ecommerce-qa"})
    assert str(refused.value).startswith(
        "ECOMMERCE_STACKS names stacks the app does not define: ecommerce-qa (it defines "
    )
    # "all" is a word on its own, not a stack among others.
    with pytest.raises(UnknownStack):
        chosen(DEFINED, {"ECOMMERCE_STACKS": "all,ecommerce-dev"})
