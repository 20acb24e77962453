"""One page of the patch book: a patch of a library's internals as a record, and the only code of
the project that puts a replacement in place of a library's member (``apply``).

A record names its target by dotted path (``module.Class.member``), the library version it was
written for, why (the AWS behaviour the library lacks, or the hook it gives the local cloud) and
how it is made: ``wrap`` (the replacement is made from upstream's member), ``replace`` (it takes
upstream's place) or ``add`` (upstream has no such member). Upstream's member is kept
(``upstream``), so a test can call it, and ``turned_off`` puts it back for the time of a test.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

MISSING = object()
"""What ``upstream`` answers for a member upstream does not have (an ``add``)."""
_UPSTREAM: dict[str, Any] = {}
"""Upstream's member of each target applied, by target."""


@dataclass(frozen=True)
class Patch:
    """A patch of ``target`` (``module.Class.member``), written for ``version``.

    ``kind``: ``fix`` (AWS behaves otherwise: a test shows upstream's defect) or ``hook`` (the
    local cloud's own work hung on upstream's member: nothing upstream could fix). ``how``:
    ``wrap`` (``make(upstream's member)`` takes its place), ``replace`` (``make()`` does) or
    ``add`` (``make()`` is set where upstream has nothing; upstream's own, if it comes, is kept).
    ``around`` (a hook put in place for a while by whoever needs it: ``make`` names it).
    ``untested``: why a fix has no test of upstream's defect (empty: it has one).
    """

    target: str
    version: str
    why: str
    make: Any
    kind: str = "fix"
    how: str = "wrap"
    untested: str = ""

    @property
    def owner_path(self) -> str:
        """The dotted path of the class (or module) whose member is patched."""
        return self.target.rpartition(".")[0]

    @property
    def member(self) -> str:
        """The patched member's name."""
        return self.target.rpartition(".")[2]


def resolve(path: str) -> Any:
    """The object at ``path`` (``module[.attribute...]``): the longest importable module, then
    attributes."""
    parts = path.split(".")
    for end in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:end]))
        except ImportError:
            continue
        for name in parts[end:]:
            found = getattr(found, name)
        return found
    raise ImportError(f"nothing importable in {path}")


def upstream(target: str) -> Any:
    """Upstream's member at ``target`` (``MISSING``: it has none), whether patched or not."""
    if target in _UPSTREAM:
        return _UPSTREAM[target]
    owner_path, _, member = target.rpartition(".")
    return getattr(resolve(owner_path), member, MISSING)


def apply(patch: Patch) -> None:
    """Put ``patch`` in place (once: applying it again changes nothing)."""
    if patch.target in _UPSTREAM:
        return
    owner = resolve(patch.owner_path)
    current = getattr(owner, patch.member, MISSING)
    if patch.how == "add" and current is not MISSING:
        return  # upstream has its own now: the test of the defect says so
    made = patch.make(current) if patch.how == "wrap" else patch.make()
    _UPSTREAM[patch.target] = current
    setattr(owner, patch.member, made)


@contextlib.contextmanager
def turned_off(patch: Patch) -> Iterator[Any]:
    """Upstream's member in place of ``patch``'s while inside (for a test of upstream's defect);
    yields it."""
    owner = resolve(patch.owner_path)
    original = upstream(patch.target)
    current = getattr(owner, patch.member, MISSING)
    _put(owner, patch.member, original)
    try:
        yield original
    finally:
        _put(owner, patch.member, current)


def _put(owner: Any, member: str, value: Any) -> None:
    if value is MISSING:
        if member in vars(owner):
            delattr(owner, member)
    else:
        setattr(owner, member, value)


@contextlib.contextmanager
def around(patch: Patch, wrapper: Callable[..., Any]) -> Iterator[None]:
    """``patch``'s member made ``wrapper(upstream's member, *args)`` while inside (a ``hook`` the
    tests hang on it for their own time)."""
    owner = resolve(patch.owner_path)
    current = getattr(owner, patch.member)

    def wrapped(*args, **kwargs):
        return wrapper(current, *args, **kwargs)

    setattr(owner, patch.member, wrapped)
    try:
        yield
    finally:
        setattr(owner, patch.member, current)
