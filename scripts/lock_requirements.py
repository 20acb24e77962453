"""Pipfile.lock as a requirements file with hashes, for a faster installer than pipenv's.

``python3 scripts/lock_requirements.py [--output FILE]``: every package of the lock's ``default``
and ``develop`` sections (a package in both once, as ``default`` pins it), each as
``name[extras]==version; markers --hash=sha256:...``, so that ``uv pip sync --require-hashes``
installs exactly what ``pipenv sync --dev`` would, from the same lock (Pipfile.lock stays the only
lock). Plain Python 3, no packages: it runs before the virtualenv exists. A lock that cannot be
read or lacks a pin or its hashes is one line and exit status 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class LockError(ValueError):
    """The lock cannot be turned into pinned, hashed requirements."""


def requirement(name: str, entry: dict) -> str:
    """One package of the lock as a requirement line."""
    version, hashes = entry.get("version", ""), entry.get("hashes") or []
    if not version.startswith("==") or not hashes:
        raise LockError(f"Pipfile.lock pins no version with hashes for {name}")
    extras = f"[{','.join(sorted(entry['extras']))}]" if entry.get("extras") else ""
    markers = f"; {entry['markers']}" if entry.get("markers") else ""
    hashed = " ".join(f"--hash={digest}" for digest in sorted(hashes))
    return f"{name}{extras}{version}{markers} {hashed}"


def requirements(lock: dict) -> list[str]:
    """Every package of the lock, ``default`` first, each once."""
    seen: dict[str, str] = {}
    for section in ("default", "develop"):
        for name, entry in sorted(lock.get(section, {}).items()):
            seen.setdefault(name.lower(), requirement(name, entry))
    return list(seen.values())


def main(argv=None) -> int:
    """Write the requirements (stdout, or ``--output``)."""
    parser = argparse.ArgumentParser(prog="scripts/lock_requirements.py", description=__doc__)
    parser.add_argument("--lock", type=Path, default=ROOT / "Pipfile.lock")
    parser.add_argument("--output", type=Path, help="the file to write (default: stdout)")
    args = parser.parse_args(argv)
    try:
        lock = json.loads(args.lock.read_text(encoding="utf-8"))
        text = "".join(line + "\n" for line in requirements(lock))
    except (OSError, ValueError) as error:
        print(f"lock_requirements: {error}", file=sys.stderr)
        return 1
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
