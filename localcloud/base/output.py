"""The local cloud's own lines for its user: ``localcloud: ...`` on stdout, one sentence on stderr
for an expected failure. A closed output (a supervisor gone, a pipe closed) never stops a
teardown, so neither ever raises."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from localcloud.base.errors import LocalCloudError


def say(message: str) -> None:
    """One line of the runner's own output."""
    with contextlib.suppress(OSError, ValueError):
        print(f"localcloud: {message}", flush=True)


def say_error(error: LocalCloudError) -> int:
    """The one sentence of an expected failure, on stderr; its exit status."""
    with contextlib.suppress(OSError, ValueError):
        print(f"localcloud: {error}", file=sys.stderr, flush=True)
    return error.exit_code


def shown(path: Path) -> str:
    """``path`` as a person reads it: relative to the current folder when under it, else from
    ``~`` when under the home folder, else as it is."""
    path = Path(path)
    for base, prefix in ((Path.cwd(), ""), (Path.home(), "~/")):
        with contextlib.suppress(ValueError):
            return prefix + str(path.relative_to(base))
    return str(path)
