"""How an invocation fails: the function's time ran out, it raised, or its worker died."""

from __future__ import annotations


class InvokeTimeout(Exception):
    """The function did not answer in time; its worker was stopped."""

    cold: bool | None = None
    """Whether the invocation had to start a worker (None: it never got one)."""
    struck: int | None = None
    """The ``at`` rule whose fault the worker struck with (see ``function_faults``), if any."""


class InvokeFailed(Exception):
    """The function raised, failed to start, or its worker died."""

    cold: bool | None = None
    """Whether the invocation had to start a worker (None: it never got one)."""
    struck: int | None = None
    """The ``at`` rule whose fault the worker struck with (see ``function_faults``), if any."""


class FunctionError(InvokeFailed):
    """The handler raised (its worker stays warm, as in Lambda)."""
