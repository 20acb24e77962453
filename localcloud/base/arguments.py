"""The types of the tools' command-line arguments, shared by every command's parser (the local
cloud's, the soak's, the contract generator's, the benchmarks'), so that a wrong value is
refused the same way everywhere before any work starts: argparse's usage and one line naming
the argument and what it accepts (``argument --port: must be ...``), exit status 2.

Each is an argparse ``type=``: it returns the value, converted, or raises
``argparse.ArgumentTypeError`` with what the argument accepts. None creates or changes anything.
"""

from __future__ import annotations

import argparse
import ipaddress
import math
import os
import re
import subprocess
from pathlib import Path

from localcloud import PROJECT_ROOT
from stacks.base.config import load_all
from stacks.base.delivery_config import ACCOUNT_STACK, BOOTSTRAP_STACK
from stacks.base.zones import REGION_ZONE_IDS

MAX_COUNT = 1_000_000
"""The largest count a tool takes (cycles, runs, requests): more is a typo, not a plan."""
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")

Invalid = argparse.ArgumentTypeError


def _shown(text: str) -> str:
    """The value as the message quotes it (short, on one line)."""
    shown = repr(text)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def port(text: str) -> int:
    """A TCP port: 1..65535, or 0 for a free one."""
    if not (text.isascii() and text.isdigit() and len(text) <= 5 and int(text) <= 65535):
        raise Invalid(f"must be a port from 1 to 65535, or 0 for a free one (got {_shown(text)})")
    return int(text)


def count(text: str) -> int:
    """A whole number from 1 to ``MAX_COUNT``."""
    digits = len(str(MAX_COUNT))
    if not (
        text.isascii() and text.isdigit() and len(text) <= digits and 1 <= int(text) <= MAX_COUNT
    ):
        raise Invalid(f"must be a whole number from 1 to {MAX_COUNT:,} (got {_shown(text)})")
    return int(text)


def share(text: str) -> float:
    """A finite number from 0 to 1: a share of calls."""
    try:
        value = float(text) if text.isascii() else math.nan
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 <= value <= 1):
        raise Invalid(f"must be a number from 0 to 1 (got {_shown(text)})")
    return value


def seconds(text: str) -> float:
    """A positive, finite number of seconds."""
    try:
        value = float(text) if text.isascii() else math.nan
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise Invalid(f"must be a number of seconds above 0 (got {_shown(text)})")
    return value


def region(text: str) -> str:
    """A region of the stacks' table (``stacks.base.zones.REGION_ZONE_IDS``)."""
    if text not in REGION_ZONE_IDS:
        raise Invalid(
            f"must be a region the stacks know (REGION_ZONE_IDS in stacks/base/zones.py: "
            f"{', '.join(sorted(REGION_ZONE_IDS))}) (got {_shown(text)})"
        )
    return text


def host(text: str) -> str:
    """An IPv4 address, or ``localhost``, to listen on."""
    if text != "localhost":
        try:
            ipaddress.IPv4Address(text)
        except ValueError:
            raise Invalid(
                f"must be an IPv4 address such as 127.0.0.1, or localhost (got {_shown(text)})"
            ) from None
    return text


def http_url(text: str) -> str:
    """An http:// or https:// URL with a host."""
    if not re.fullmatch(r"https?://[A-Za-z0-9.\-\[\]:]+(/\S*)?", text) or "//:" in text:
        example = "http://127.0.0.1:5000"
        raise Invalid(f"must be an http:// or https:// URL, e.g. {example} (got {_shown(text)})")
    return text


def email(text: str) -> str:
    """An email address (a person of the user pool signs in with it)."""
    if not _EMAIL.fullmatch(text):
        raise Invalid(f"must be an email address, e.g. ann@example.com (got {_shown(text)})")
    return text


def existing_dir(text: str) -> Path:
    """A folder that exists."""
    path = Path(text)
    if not text or not path.is_dir():
        raise Invalid(f"must be an existing folder (got {_shown(text)})")
    return path


def _writable_parent(path: Path) -> bool:
    """Whether the nearest existing ancestor of ``path`` is a folder this process may write."""
    for parent in path.absolute().parents:
        if parent.exists():
            return parent.is_dir() and os.access(parent, os.W_OK | os.X_OK)
    return False


def file_to_write(text: str) -> Path:
    """A file that can be written: not a folder, in a folder that exists and can be written."""
    path = Path(text)
    parent = path.absolute().parent
    if not text or path.is_dir() or not parent.is_dir() or not os.access(parent, os.W_OK):
        raise Invalid(f"must be a file in an existing, writable folder (got {_shown(text)})")
    return path


def dir_to_write(text: str) -> Path:
    """A folder that exists and can be written, or one that can be created (under a folder that
    can be written)."""
    path = Path(text)
    usable = path.is_dir() and os.access(path, os.W_OK | os.X_OK)
    if not text or not (usable or (not path.exists() and _writable_parent(path))):
        raise Invalid(f"must be a folder that is or can be written (got {_shown(text)})")
    return path


def commit(text: str) -> str:
    """A commit of this repository (a hash, a branch, a tag, ``HEAD~1``...)."""
    found = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{text}^{{commit}}"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=False,
    )
    if not text.strip() or found.returncode != 0:
        raise Invalid(f"must be a commit of this repository, e.g. HEAD~1 (got {_shown(text)})")
    return text


def app_stacks() -> tuple[str, ...]:
    """The stacks the project's app (main.py) defines, each environment's and the delivery's."""
    return (*(config.stack_name for config in load_all({})), ACCOUNT_STACK, BOOTSTRAP_STACK)


def stack(text: str) -> str:
    """A stack the project's app defines."""
    known = app_stacks()
    if text not in known:
        raise Invalid(f"must be a stack the app defines ({', '.join(known)}) (got {_shown(text)})")
    return text
