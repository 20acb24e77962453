"""Whether ./.venv and ./node_modules hold what Pipfile.lock and package-lock.json pin, and the
functions' runtime environments (``.venv-lambda-3.12``, ``localcloud.lambdas.runtimes``) what they
should.

``python3 scripts/installed.py``: exit 0 when all do, else 1 with one line naming the first
difference. ``./scripts/up.sh`` runs ``scripts/bootstrap.sh`` (uv and npm ci, half a
minute) only when this says something differs. Plain Python 3, no packages: it runs before the
virtualenv exists.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # localcloud.lambdas.runtimes is plain Python too
from localcloud.lambdas import runtimes  # noqa: E402  # pylint: disable=wrong-import-position


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def python_difference(root: Path = ROOT) -> str | None:
    """The first locked Python package that .venv lacks or holds at another version."""
    site = sorted((root / ".venv" / "lib").glob("python*/site-packages"))
    if not site:
        return "there is no .venv"
    installed = {
        _normalized(dist.metadata["Name"]): dist.version
        for dist in metadata.distributions(path=[str(p) for p in site])
        if dist.metadata["Name"]
    }
    lock = json.loads((root / "Pipfile.lock").read_text(encoding="utf-8"))
    for section in ("default", "develop"):
        for name, entry in lock.get(section, {}).items():
            wanted = entry.get("version", "").removeprefix("==")
            have = installed.get(_normalized(name))
            if have is None and "markers" in entry:
                continue  # a package for other platforms or Pythons
            if have != wanted:
                return f"{name} {have or 'missing'} (locked {wanted})"
    return None


def node_difference(root: Path = ROOT) -> str | None:
    """The first locked npm package that node_modules lacks or holds at another version."""
    hidden = root / "node_modules" / ".package-lock.json"
    if not hidden.is_file():
        return "there is no node_modules/.package-lock.json"
    installed = json.loads(hidden.read_text(encoding="utf-8")).get("packages", {})
    lock = json.loads((root / "package-lock.json").read_text(encoding="utf-8"))
    for path, entry in lock.get("packages", {}).items():
        if not path:
            continue  # the project itself
        have = installed.get(path, {}).get("version")
        if have is None and entry.get("optional"):
            continue
        if have != entry.get("version"):
            return f"{path} {have or 'missing'} (locked {entry.get('version')})"
    return None


def runtime_difference(root: Path = ROOT) -> str | None:
    """The first functions' runtime environment that is missing or differs."""
    found = (runtimes.difference(runtime, root) for runtime in runtimes.RUNTIME_SDK)
    return next((difference for difference in found if difference), None)


def main(argv: list[str] | None = None) -> int:
    """Exit 0 when every install matches what it should hold (it takes no arguments: any is
    refused, exit status 2)."""
    argparse.ArgumentParser(prog="scripts/installed.py", description=__doc__).parse_args(argv)
    for kind, difference in (
        ("python", python_difference),
        ("node", node_difference),
        ("functions' runtime", runtime_difference),
    ):
        found = difference()
        if found:
            print(f"install needed ({kind}): {found}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
