"""Which of the app's stacks a run builds: ``ECOMMERCE_STACKS``, stack names comma-separated
(unset, empty or ``all``: every one). The cdktf CLI tells the app nothing of the stack a command
names, so this is how a command for one stack (the local cloud's deploy, ``cdktf diff
ecommerce-dev``) skips building the others; each stack is built alone whichever others are, so
what it synthesizes is the same either way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

STACKS_VARIABLE = "ECOMMERCE_STACKS"


class UnknownStack(ValueError):
    """``ECOMMERCE_STACKS`` names a stack the app does not define."""


def chosen(defined: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """The stacks of ``defined`` (in their order) that ``ECOMMERCE_STACKS`` asks for."""
    asked = [name.strip() for name in env.get(STACKS_VARIABLE, "").split(",") if name.strip()]
    if not asked or asked == ["all"]:
        return list(defined)
    unknown = [name for name in asked if name not in defined]
    if unknown:
        raise UnknownStack(
            f"{STACKS_VARIABLE} names stacks the app does not define: {', '.join(unknown)} "
            f"(it defines {', '.join(defined)}; unset or 'all' for every one)"
        )
    return [name for name in defined if name in asked]
